import type { Document } from 'bson';
import { randomBytes } from 'node:crypto';
import { CommandError } from './errors.js';
import { cursorReply } from './rawbson.js';
import { sessionKey } from './values.js';
import { MAX_BSON_SIZE } from './wire.js';

/** Reply batches stop growing before they reach this many bytes of documents. */
const MAX_BATCH_BYTES = MAX_BSON_SIZE - 64 * 1024;
export const DEFAULT_FIRST_BATCH = 101;

/** Renders one result item to its BSON bytes. */
export type Renderer = (item: unknown) => Buffer;

interface OpenCursor {
  id: bigint;
  ns: string;
  items: unknown[];
  pos: number;
  render: Renderer;
  lastUsed: number;
  lsidKey?: string;
}

/** Options of a new cursor. */
export interface CursorOptions {
  batchSize?: number;
  singleBatch?: boolean;
  /** The command's session id; the cursor is closed when the session ends. */
  lsid?: unknown;
}

function validBatchSize(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  // The message echoes the client's value as JavaScript prints it.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  if (!Number.isFinite(n) || n < 0) throw new CommandError(2, `BSON field '${field}' value must be >= 0, actual value '${String(v)}'`);
  return n;
}

/** Open server-side cursors of one server. */
export class CursorStore {
  private readonly cursors = new Map<bigint, OpenCursor>();

  /** A fresh random positive 63-bit id, like MongoDB's. */
  private newId(): bigint {
    for (;;) {
      const id = randomBytes(8).readBigInt64LE(0) & 0x7fffffffffffffffn;
      if (id !== 0n && !this.cursors.has(id)) return id;
    }
  }

  private takeBatch(c: OpenCursor, max: number): Buffer[] {
    const out: Buffer[] = [];
    let bytes = 0;
    while (c.pos < c.items.length && (max === 0 || out.length < max)) {
      const doc = c.render(c.items[c.pos]);
      if (out.length > 0 && bytes + doc.length > MAX_BATCH_BYTES) break;
      out.push(doc);
      bytes += doc.length;
      c.pos++;
    }
    return out;
  }

  /** Creates a cursor over `items` and returns the reply with its first batch. */
  open(ns: string, items: unknown[], render: Renderer, opts: CursorOptions = {}, extra?: Document): Buffer {
    const batchSize = validBatchSize(opts.batchSize, 'batchSize') ?? DEFAULT_FIRST_BATCH;
    const c: OpenCursor = { id: 0n, ns, items, pos: 0, render, lastUsed: Date.now() };
    const batch = batchSize === 0 ? [] : this.takeBatch(c, batchSize);
    if (c.pos < items.length && !opts.singleBatch) {
      c.id = this.newId();
      if (opts.lsid) c.lsidKey = sessionKey(opts.lsid);
      this.cursors.set(c.id, c);
    }
    return cursorReply('firstBatch', batch, c.id, ns, extra);
  }

  /** Returns the next batch of an open cursor. */
  getMore(id: bigint, ns: string, batchSize: unknown): Buffer {
    const c = this.cursors.get(id);
    if (!c) throw new CommandError(43, `cursor id ${id} not found`);
    if (c.ns !== ns) throw new CommandError(13, `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${c.ns}`);
    c.lastUsed = Date.now();
    const batch = this.takeBatch(c, validBatchSize(batchSize, 'batchSize') ?? 0);
    let replyId = id;
    if (c.pos >= c.items.length) {
      this.cursors.delete(id);
      replyId = 0n;
    }
    return cursorReply('nextBatch', batch, replyId, ns);
  }

  /** Kills cursors; returns the killed and unknown ids. */
  kill(ids: bigint[]): { killed: bigint[]; notFound: bigint[] } {
    const killed: bigint[] = [];
    const notFound: bigint[] = [];
    for (const id of ids) (this.cursors.delete(id) ? killed : notFound).push(id);
    return { killed, notFound };
  }

  has(id: bigint): boolean {
    return this.cursors.has(id);
  }

  get size(): number {
    return this.cursors.size;
  }

  /** Closes cursors idle for longer than `maxIdleMs`. */
  sweep(maxIdleMs: number): void {
    const cutoff = Date.now() - maxIdleMs;
    for (const [id, c] of this.cursors) if (c.lastUsed < cutoff) this.cursors.delete(id);
  }

  /** Closes the cursors opened by a session. */
  killSession(lsidKey: string): void {
    for (const [id, c] of this.cursors) if (c.lsidKey === lsidKey) this.cursors.delete(id);
  }

  clear(): void {
    this.cursors.clear();
  }
}

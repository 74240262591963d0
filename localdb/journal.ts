import { Binary, BSON, type Document } from 'bson';
import fs from 'node:fs';
import path from 'node:path';
import type { Catalog, JournalOp } from './catalog.js';
import type { Logger } from './context.js';
import { crc32 } from './crc.js';
import type { IndexSpec } from './indexes.js';

const HEADER = 8;
const SNAPSHOT_CHUNK = 1000;

/** A journal op as stored: a one-letter tag `o` and short field names. */
type StoredOp =
  | { o: 'p'; ns: string; d: Binary }
  | { o: 'd'; ns: string; id: unknown }
  | { o: 'c'; ns: string; opt?: Document }
  | { o: 'x'; ns: string }
  | { o: 'X'; db: string }
  | { o: 'i'; ns: string; spec: IndexSpec }
  | { o: 'I'; ns: string; name: string }
  | { o: 'r'; from: string; to: string };

function encodeOp(op: JournalOp): StoredOp {
  switch (op.op) {
    case 'put':
      return { o: 'p', ns: op.ns, d: new Binary(op.raw) };
    case 'del':
      return { o: 'd', ns: op.ns, id: op.id };
    case 'create':
      return { o: 'c', ns: op.ns, opt: op.options };
    case 'drop':
      return { o: 'x', ns: op.ns };
    case 'dropDb':
      return { o: 'X', db: op.db };
    case 'index':
      return { o: 'i', ns: op.ns, spec: op.spec };
    case 'dropIndex':
      return { o: 'I', ns: op.ns, name: op.name };
    case 'rename':
      return { o: 'r', from: op.from, to: op.to };
  }
}

function decodeOp(d: StoredOp): JournalOp {
  switch (d.o) {
    case 'p':
      return { op: 'put', ns: d.ns, raw: Buffer.from(d.d.buffer) };
    case 'd':
      return { op: 'del', ns: d.ns, id: d.id };
    case 'c':
      return { op: 'create', ns: d.ns, options: d.opt ?? {} };
    case 'x':
      return { op: 'drop', ns: d.ns };
    case 'X':
      return { op: 'dropDb', db: d.db };
    case 'i':
      return { op: 'index', ns: d.ns, spec: d.spec };
    case 'I':
      return { op: 'dropIndex', ns: d.ns, name: d.name };
    case 'r':
      return { op: 'rename', from: d.from, to: d.to };
    default:
      throw new Error(`unknown journal op ${String((d as { o: unknown }).o)}`);
  }
}

/** Encodes a group of ops as one length-prefixed, checksummed journal record. */
export function encodeRecord(ops: JournalOp[]): Buffer {
  const payload = BSON.serialize({ ops: ops.map(encodeOp) });
  const rec = Buffer.allocUnsafe(HEADER + payload.length);
  rec.writeUInt32LE(payload.length, 0);
  rec.writeUInt32LE(crc32(payload), 4);
  rec.set(payload, HEADER);
  return rec;
}

/** Decodes records from a file image; returns the ops and the length of the intact prefix. */
export function decodeRecords(buf: Buffer): { groups: JournalOp[][]; validLength: number } {
  const groups: JournalOp[][] = [];
  let pos = 0;
  while (pos + HEADER <= buf.length) {
    const len = buf.readUInt32LE(pos);
    const end = pos + HEADER + len;
    if (len < 5 || end > buf.length) break;
    const payload = buf.subarray(pos + HEADER, end);
    if (crc32(payload) !== buf.readUInt32LE(pos + 4)) break;
    try {
      const doc = BSON.deserialize(payload, { promoteValues: true, promoteBuffers: false });
      // Records are written by encodeRecord and pass their checksum before they are read.
      groups.push((doc.ops as StoredOp[]).map(decodeOp));
    } catch {
      break;
    }
    pos = end;
  }
  return { groups, validLength: pos };
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // some platforms cannot fsync directories
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the directory lock, refusing a directory another live server uses. */
function acquireLock(dir: string): string {
  const lock = path.join(dir, 'localdb.lock');
  try {
    const holder = Number(fs.readFileSync(lock, 'utf8'));
    if (Number.isInteger(holder) && holder > 0 && pidAlive(holder)) {
      throw new Error(`localdb: ${dir} is in use by process ${holder}`);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.writeFileSync(lock, String(process.pid));
  return lock;
}

/** Options of the on-disk journal. */
export interface JournalOptions {
  /** Compact (snapshot + fresh journal) once the journal exceeds this many bytes. */
  compactBytes: number;
  logger: Logger;
}

/**
 * Append-only, fsync'd journal of state changes with group commit, plus snapshots.
 * Files in the directory: `snapshot-<gen>.bson` (complete state) and `journal-<gen>.log`
 * (changes after that snapshot). Each file is a sequence of records:
 * uint32 payload length, uint32 CRC-32 of the payload, BSON payload `{ ops: [...] }`.
 */
export class Journal {
  private fd: number;
  private size: number;
  private pending: Buffer[] = [];
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushing = false;
  private scheduled = false;
  private closed = false;
  private lockFile = '';

  private constructor(
    private readonly dir: string,
    private gen: number,
    private readonly catalog: Catalog,
    private readonly opts: JournalOptions,
  ) {
    const file = this.journalPath(gen);
    this.fd = fs.openSync(file, 'a');
    this.size = fs.fstatSync(this.fd).size;
  }

  private journalPath(gen: number): string {
    return path.join(this.dir, `journal-${gen}.log`);
  }

  private snapshotPath(gen: number): string {
    return path.join(this.dir, `snapshot-${gen}.bson`);
  }

  /** Loads the newest snapshot and replays its journal into `catalog`, then opens the journal for appending. */
  static open(dir: string, catalog: Catalog, opts: JournalOptions): Journal {
    fs.mkdirSync(dir, { recursive: true });
    const lockFile = acquireLock(dir);
    try {
      const journal = Journal.recover(dir, catalog, opts);
      journal.lockFile = lockFile;
      return journal;
    } catch (err) {
      fs.rmSync(lockFile, { force: true });
      throw err;
    }
  }

  private static recover(dir: string, catalog: Catalog, opts: JournalOptions): Journal {
    const files = fs.readdirSync(dir);
    const gens = (re: RegExp): number[] => files.map((f) => re.exec(f)).filter((m) => m !== null).map((m) => Number(m[1]));
    const snapshots = gens(/^snapshot-(\d+)\.bson$/);
    const journals = gens(/^journal-(\d+)\.log$/);
    const gen = snapshots.length ? Math.max(...snapshots) : journals.length ? Math.min(...journals) : 0;
    if (snapshots.includes(gen)) {
      const { groups, validLength } = decodeRecords(fs.readFileSync(path.join(dir, `snapshot-${gen}.bson`)));
      if (validLength !== fs.statSync(path.join(dir, `snapshot-${gen}.bson`)).size) throw new Error(`localdb: snapshot-${gen}.bson is corrupt`);
      for (const g of groups) for (const op of g) catalog.apply(op);
    }
    const jpath = path.join(dir, `journal-${gen}.log`);
    if (fs.existsSync(jpath)) {
      const image = fs.readFileSync(jpath);
      const { groups, validLength } = decodeRecords(image);
      for (const g of groups) for (const op of g) catalog.apply(op);
      if (validLength < image.length) {
        opts.logger.warn(`localdb: truncating torn journal tail (${image.length - validLength} bytes)`);
        fs.truncateSync(jpath, validLength);
      }
    }
    for (const f of files) {
      const m = /^(?:snapshot|journal)-(\d+)\.(?:bson|log)$/.exec(f);
      if (f.endsWith('.tmp') || (m && Number(m[1]) < gen)) fs.rmSync(path.join(dir, f), { force: true });
    }
    return new Journal(dir, gen, catalog, opts);
  }

  /** Queues ops as one record; resolves once the record is on disk (group commit). */
  append(ops: JournalOp[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('journal closed'));
    this.pending.push(encodeRecord(ops));
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return done;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    const bufs = this.pending;
    const waiters = this.waiters;
    this.pending = [];
    this.waiters = [];
    try {
      if (this.size > this.opts.compactBytes) this.compact();
      const data = Buffer.concat(bufs);
      const fd = this.fd;
      await new Promise<void>((resolve, reject) => fs.write(fd, data, 0, data.length, null, (e) => (e ? reject(e) : resolve())));
      await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
      this.size += data.length;
      for (const w of waiters) w.resolve();
    } catch (err) {
      this.opts.logger.error('localdb: journal write failed', err);
      for (const w of waiters) w.reject(err as Error);
    } finally {
      this.flushing = false;
      if (this.pending.length) this.schedule();
    }
  }

  /** Writes a snapshot of the whole catalog and starts a fresh journal generation. */
  compact(): void {
    const next = this.gen + 1;
    const tmp = this.snapshotPath(next) + '.tmp';
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const db of this.catalog.dbs.values()) {
        for (const coll of db.values()) {
          const head: JournalOp[] = [{ op: 'create', ns: coll.ns, options: coll.options }];
          for (const spec of coll.indexSpecs()) if (spec.name !== '_id_') head.push({ op: 'index', ns: coll.ns, spec });
          fs.writeSync(fd, encodeRecord(head));
          let chunk: JournalOp[] = [];
          for (const rec of coll.records.values()) {
            chunk.push({ op: 'put', ns: coll.ns, raw: rec.raw });
            if (chunk.length >= SNAPSHOT_CHUNK) {
              fs.writeSync(fd, encodeRecord(chunk));
              chunk = [];
            }
          }
          if (chunk.length) fs.writeSync(fd, encodeRecord(chunk));
        }
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.snapshotPath(next));
    const newFd = fs.openSync(this.journalPath(next), 'a');
    fsyncDir(this.dir);
    fs.closeSync(this.fd);
    fs.rmSync(this.journalPath(this.gen), { force: true });
    fs.rmSync(this.snapshotPath(this.gen), { force: true });
    this.fd = newFd;
    this.gen = next;
    this.size = 0;
  }

  /** Current journal size in bytes (for tests and diagnostics). */
  get bytes(): number {
    return this.size;
  }

  /** Waits for queued records, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.flushing || this.pending.length || this.scheduled) {
      if (!this.flushing && this.pending.length) await this.flush();
      else await new Promise((r) => setImmediate(r));
    }
    this.closed = true;
    fs.closeSync(this.fd);
    fs.rmSync(this.lockFile, { force: true });
  }
}

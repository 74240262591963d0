/**
 * Live feeds over a subgraph's outbox (see `live.ts`): replay from the database, then live records
 * from the bus, in `seq` order with no gap and no duplicate.
 *
 * A subscription first listens on the bus (buffering), then reads the outbox after its cursor, then
 * drains the buffer. Records at or below the last delivered `seq` are dropped (duplicates, replays
 * already covered); a record beyond the next expected `seq` means a gap, filled from the outbox.
 * The per-subscriber buffer is bounded: when it overflows the buffer is discarded and the
 * subscriber reads the outbox instead until it has caught up, so a slow reader costs memory for at
 * most `bufferLimit` records and still loses nothing.
 */
import type { Connection } from 'mongoose';
import { appError } from '../../platform/errors.js';
import type { Bus, BusRecord } from './bus.js';
import { createBus } from './bus.js';
import type { LiveFeed, LiveRecord } from './live.js';
import type { Logger } from '../../platform/logger.js';
import { outboxModels } from './outbox.js';
import { createRelay, type Relay } from './relay.js';

const CURSOR_VERSION = 'v1';

/** The opaque resume cursor of a record: base64url of `v1:<seq>:<topic>`. */
export function encodeCursor(topic: string, seq: number): string {
  return Buffer.from(`${CURSOR_VERSION}:${seq}:${topic}`, 'utf8').toString('base64url');
}

/** The `seq` a cursor points at; BAD_USER_INPUT when malformed or from another topic. */
export function decodeCursor(cursor: unknown, topic: string): number {
  const invalid = (details: string) => appError('BAD_USER_INPUT', 'The cursor is not valid for this subscription', { target: 'after', details });
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid('The cursor is malformed');
  const m = /^v1:(\d{1,15}):(.+)$/s.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw invalid('The cursor is malformed');
  if (m[2] !== topic) throw invalid('The cursor belongs to another subscription');
  return Number(m[1]);
}

/** What a live feed reads: the outbox on `conn` and live records from `bus`. */
export interface LiveFeedOptions {
  conn: Connection;
  bus: Bus;
  logger?: Logger;
  /** Live records buffered per subscriber before it falls back to reading the outbox. Default 1000. */
  bufferLimit?: number;
  /** Outbox records read per round trip while replaying. Default 100. */
  pageSize?: number;
  /** How often a missing `seq` is looked for again before it is skipped. Default 5. */
  holeRetries?: number;
  holeRetryMs?: number;
}

/** A live feed whose open subscriptions can be ended together. */
export interface ClosableLiveFeed extends LiveFeed {
  /** Subscriptions open and listening (their starting point fixed), on `topic` or on all topics. */
  listening(topic?: string): number;
  /** Ends every open subscription with SERVICE_UNAVAILABLE (clients resubscribe elsewhere). */
  close(): void;
}

/** Creates the live feed of one subgraph. */
export function createLiveFeed(opts: LiveFeedOptions): ClosableLiveFeed {
  const open = new Set<TopicSubscription>();
  let closed = false;
  return {
    subscribe(topic, after) {
      if (typeof topic !== 'string' || topic.length === 0) throw appError('BAD_USER_INPUT', 'The topic is invalid', { target: 'topic' });
      if (closed) throw appError('SERVICE_UNAVAILABLE', 'The live feed is shutting down');
      const start = after === undefined || after === null ? undefined : decodeCursor(after, topic);
      const sub = new TopicSubscription(opts, topic, start, () => open.delete(sub));
      open.add(sub);
      return sub;
    },
    listening: (topic) => [...open].filter((s) => s.started && (topic === undefined || s.topic === topic)).length,
    close() {
      closed = true;
      for (const sub of [...open]) sub.fail(appError('SERVICE_UNAVAILABLE', 'The live feed is shutting down'));
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** What a reader of the feed is failed with: the error itself, or an Error carrying a thrown non-error. */
function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

class TopicSubscription implements AsyncIterableIterator<LiveRecord> {
  private lastSeq = 0;
  private live: BusRecord[] = [];
  private backlog: BusRecord[] = [];
  private needsDb = false;
  private holeAttempts = 0;
  private done = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private readonly unsubscribe;
  private readonly init: Promise<void>;
  /** True once the starting point is fixed: every later record will be delivered. */
  started = false;

  constructor(
    private readonly opts: LiveFeedOptions,
    readonly topic: string,
    start: number | undefined,
    private readonly onEnd: () => void,
  ) {
    this.unsubscribe = opts.bus.subscribe(topic, (r) => this.onRecord(r), { onResync: () => this.signalDb() });
    this.init = this.start(start);
    this.init.catch(() => undefined);
  }

  private async start(after: number | undefined): Promise<void> {
    await this.unsubscribe.ready;
    const { Counter } = outboxModels(this.opts.conn);
    const counter = await Counter.findById(this.topic, { seq: 1 }).lean();
    const head = counter?.seq ?? 0;
    if (after !== undefined && after > head) throw appError('BAD_USER_INPUT', 'The cursor is not valid for this subscription', { target: 'after', details: 'The cursor is ahead of the topic' });
    this.lastSeq = after ?? head;
    this.needsDb = after !== undefined && after < head;
    this.started = true;
  }

  private onRecord(record: BusRecord): void {
    if (this.done || record.topic !== this.topic) return;
    if (this.live.length >= (this.opts.bufferLimit ?? 1000)) {
      this.live = [];
      this.needsDb = true;
    } else {
      this.live.push(record);
    }
    this.notify();
  }

  private signalDb(): void {
    this.needsDb = true;
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** Ends the subscription with an error delivered to the reader. */
  fail(err: unknown): void {
    if (this.done) return;
    this.failure = asError(err);
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.unsubscribe();
    this.live = [];
    this.backlog = [];
    this.onEnd();
    this.notify();
  }

  private deliver(r: BusRecord): IteratorResult<LiveRecord> {
    this.lastSeq = r.seq;
    return { done: false, value: { cursor: encodeCursor(r.topic, r.seq), topic: r.topic, seq: r.seq, type: r.type, payload: r.payload } };
  }

  async next(): Promise<IteratorResult<LiveRecord>> {
    try {
      await this.init;
    } catch (err) {
      this.fail(err);
    }
    for (;;) {
      if (this.done) {
        if (this.failure !== undefined) {
          const err = this.failure;
          this.failure = undefined;
          throw err;
        }
        return { done: true, value: undefined };
      }
      const queued = this.backlog.shift();
      if (queued) {
        if (queued.seq > this.lastSeq) return this.deliver(queued);
        continue;
      }
      if (this.needsDb) {
        await this.readOutbox();
        continue;
      }
      const fresh = this.takeLive();
      if (fresh) return this.deliver(fresh);
      if (this.needsDb) continue;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** The next live record in order; flags a gap (and keeps the record) when one is missing. */
  private takeLive(): BusRecord | undefined {
    for (let r = this.live[0]; r !== undefined; r = this.live[0]) {
      if (r.seq <= this.lastSeq) {
        this.live.shift();
        continue;
      }
      if (r.seq === this.lastSeq + 1) return this.live.shift();
      const next = this.live.find((x) => x.seq === this.lastSeq + 1);
      if (next) {
        this.live.splice(this.live.indexOf(next), 1);
        return next;
      }
      this.needsDb = true;
      return undefined;
    }
    return undefined;
  }

  private async readOutbox(): Promise<void> {
    const { conn, pageSize = 100, holeRetries = 5, holeRetryMs = 40, logger } = this.opts;
    const { Outbox } = outboxModels(conn);
    const rows = await Outbox.find({ topic: this.topic, seq: { $gt: this.lastSeq } }, { _id: 0, topic: 1, seq: 1, type: 1, payload: 1 })
      .sort({ seq: 1 })
      .limit(pageSize)
      .lean<BusRecord[]>();
    if (this.done) return;
    const firstLive = this.live.reduce((min, r) => (r.seq > this.lastSeq && r.seq < min ? r.seq : min), Infinity);
    const firstSeq = rows[0]?.seq ?? firstLive;
    if (firstSeq !== Infinity && firstSeq !== this.lastSeq + 1) {
      // A hole: the next record is not visible yet, or expired from the outbox.
      if (this.holeAttempts < holeRetries) {
        this.holeAttempts++;
        await sleep(holeRetryMs * this.holeAttempts);
        return;
      }
      logger?.warn({ topic: this.topic, from: this.lastSeq + 1, to: firstSeq - 1 }, 'outbox records missing; skipped');
      if (!rows.length) this.lastSeq = firstSeq - 1;
    }
    this.holeAttempts = 0;
    this.backlog = rows;
    this.needsDb = rows.length === pageSize;
  }

  return(): Promise<IteratorResult<LiveRecord>> {
    this.finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  throw(err?: unknown): Promise<IteratorResult<LiveRecord>> {
    this.finish();
    return err === undefined ? Promise.resolve({ done: true, value: undefined }) : Promise.reject(asError(err));
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<LiveRecord> {
    return this;
  }
}

/** What a subgraph's live runtime (bus, relay, feed) is built on. */
export interface SubgraphLiveOptions {
  conn: Connection;
  redisUrl?: string;
  /** Redis channel prefix. Default `eventgraph:`. */
  keyPrefix?: string;
  logger?: Logger;
  /** Relay poll interval (safety net). Default 500 ms. */
  pollIntervalMs?: number;
}

/** A subgraph's live runtime: its feed, the relay that publishes its outbox, and the bus between them. */
export interface SubgraphLive {
  live: ClosableLiveFeed;
  relay: Relay;
  bus: Bus;
  /** Stops the relay, ends open feeds, closes the bus. Safe to call twice. */
  stop(): Promise<void>;
}

/** What a subgraph runner starts for subscriptions: bus, outbox relay and live feed on one connection. */
export function createSubgraphLive(opts: SubgraphLiveOptions): SubgraphLive {
  const { conn, redisUrl, keyPrefix, logger, pollIntervalMs } = opts;
  const bus = createBus({ redisUrl, keyPrefix, logger });
  const relay = createRelay({ conn, bus, logger, pollIntervalMs });
  const live = createLiveFeed({ conn, bus, logger });
  let stopping: Promise<void> | undefined;
  return {
    live,
    relay,
    bus,
    stop() {
      stopping ??= (async () => {
        await relay.stop();
        live.close();
        await bus.close();
      })();
      return stopping;
    },
  };
}

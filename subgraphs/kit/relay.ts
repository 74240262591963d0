/**
 * The outbox relay: moves committed outbox records to the bus and marks them published.
 *
 * Two paths feed it: records announced right after their transaction commits (`onOutboxCommit`),
 * and a poll of unpublished records in topic+seq order, the safety net for a crash between commit
 * and publish (or for writes made outside `inTransaction`).
 *
 * Several replicas of one subgraph may share a database. A record announced after its commit is
 * published at once by the replica that wrote it (no other replica knows it yet), then marked
 * `publishedAt`. The poll only looks at records older than `graceMs`, and claims each one before
 * publishing it (`findOneAndUpdate` setting a lease on an unpublished, unleased record), so
 * normally exactly one replica publishes a record. A replica that dies between publishing and
 * marking leaves the record to the poll and it is published again: the bus is at-least-once, and
 * live feeds drop duplicates by `seq`, which makes delivery to clients exactly-once.
 */
import type { Connection } from 'mongoose';
import type { Bus, BusRecord } from './bus.js';
import type { Logger } from '../../platform/logger.js';
import { onOutboxCommit, outboxModels, type OutboxRecord } from './outbox.js';

/** The outbox a relay publishes, the bus it publishes to, and its pace. */
export interface RelayOptions {
  conn: Connection;
  bus: Bus;
  logger?: Logger;
  /** How often unpublished records are looked for. Default 500 ms. */
  pollIntervalMs?: number;
  /** Records fetched per poll. Default 200. */
  batchSize?: number;
  /** How long a claim protects a record from other replicas. Default 10 s. */
  leaseMs?: number;
  /** Age before the poll takes a record over from the replica that wrote it. Default 1 s. */
  graceMs?: number;
}

/** Counts since the relay started. */
export interface RelayStats {
  published: number;
  claimsLost: number;
  failures: number;
}

/** A running outbox relay. */
export interface Relay {
  /** Publishes every record currently unpublished and claimable; resolves when done. */
  flush(): Promise<void>;
  stats(): RelayStats;
  /** Stops polling and listening, waits for the record in flight. Safe to call twice. */
  stop(): Promise<void>;
}

type Pending = Pick<OutboxRecord, '_id' | 'topic' | 'seq' | 'type' | 'payload'> & {
  /** Announced by this process's commit: published without a claim. */
  fresh?: boolean;
};

/** Starts a relay for the outbox on `conn`. */
export function createRelay(opts: RelayOptions): Relay {
  const { conn, bus, logger, pollIntervalMs = 500, batchSize = 200, leaseMs = 10_000, graceMs = 1_000 } = opts;
  const { Outbox } = outboxModels(conn);
  const queue: Pending[] = [];
  const queued = new Set<string>();
  const counters: RelayStats = { published: 0, claimsLost: 0, failures: 0 };
  let draining: Promise<void> | undefined;
  let polling: Promise<void> | undefined;
  let marking: Promise<void> | undefined;
  const toMark: string[] = [];
  let stopped = false;

  function enqueue(records: Pending[]): void {
    if (stopped) return;
    for (const r of records) {
      if (queued.has(r._id)) continue;
      queued.add(r._id);
      queue.push(r);
    }
    kick();
  }

  function kick(): void {
    draining ??= drain().finally(() => {
      draining = undefined;
      if (queue.length && !stopped) kick();
    });
  }

  async function drain(): Promise<void> {
    while (queue.length && !stopped) {
      const record = queue.shift()!;
      try {
        await publishOne(record);
      } catch (err) {
        counters.failures++;
        logger?.warn({ err, id: record._id }, 'outbox record not published; the poll retries it after its lease');
      } finally {
        queued.delete(record._id);
      }
    }
  }

  async function publishOne(record: Pending): Promise<void> {
    if (!record.fresh) {
      const now = new Date();
      const claimed = await Outbox.findOneAndUpdate(
        { _id: record._id, publishedAt: null, $or: [{ claimedUntil: null }, { claimedUntil: { $lte: now } }] },
        { $set: { claimedUntil: new Date(now.getTime() + leaseMs) } },
        { returnDocument: 'after', projection: { _id: 1 } },
      ).lean();
      if (!claimed) {
        counters.claimsLost++;
        return;
      }
    }
    const message: BusRecord = { topic: record.topic, seq: record.seq, type: record.type, payload: record.payload };
    await bus.publish(record.topic, message);
    counters.published++;
    toMark.push(record._id);
    marking ??= markPublished().finally(() => {
      marking = undefined;
    });
  }

  /** Marks published records in batches, off the publishing path. */
  async function markPublished(): Promise<void> {
    while (toMark.length) {
      const ids = toMark.splice(0, toMark.length);
      await Outbox.updateMany({ _id: { $in: ids } }, { $set: { publishedAt: new Date(), claimedUntil: null } }).catch((err: unknown) => {
        logger?.warn({ err, count: ids.length }, 'published outbox records not marked; they may be published again');
      });
    }
  }

  async function poll(minAgeMs = graceMs): Promise<void> {
    const now = new Date();
    const rows = await Outbox.find(
      { publishedAt: null, createdAt: { $lte: new Date(now.getTime() - minAgeMs) }, $or: [{ claimedUntil: null }, { claimedUntil: { $lte: now } }] },
      { _id: 1, topic: 1, seq: 1, type: 1, payload: 1 },
    )
      .sort({ topic: 1, seq: 1 })
      .limit(batchSize)
      .lean<Pending[]>();
    enqueue(rows);
  }

  function pollSafely(minAgeMs?: number): Promise<void> {
    polling ??= poll(minAgeMs)
      .catch((err: unknown) => logger?.warn({ err }, 'outbox poll failed'))
      .finally(() => {
        polling = undefined;
      });
    return polling;
  }

  const unlisten = onOutboxCommit(conn, (records) => enqueue(records.map((r) => ({ ...r, fresh: true }))));
  const timer = setInterval(() => void pollSafely(), pollIntervalMs);
  timer.unref();
  void pollSafely();

  return {
    async flush() {
      for (;;) {
        while (polling) await polling;
        await pollSafely(0);
        while (draining || marking) await (draining ?? marking);
        const left = await Outbox.countDocuments({ publishedAt: null, $or: [{ claimedUntil: null }, { claimedUntil: { $lte: new Date() } }] });
        if (left === 0 || stopped) return;
      }
    },
    stats: () => ({ ...counters }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      unlisten();
      queue.length = 0;
      queued.clear();
      await Promise.all([draining, polling]);
      await marking;
    },
  };
}

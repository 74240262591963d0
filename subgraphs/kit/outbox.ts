/**
 * The transactional outbox: domain events are written in the same transaction as the change they
 * describe, each with a per-topic, monotonically increasing sequence number. The outbox doubles as
 * the event log that subscriptions replay from (`after:` cursors), so it is kept for a retention
 * period rather than deleted on publish.
 *
 * Topics are `<kind>:<id>`, e.g. `checkins:<eventId>`, `payments:<registrationId>`, `sync:<jobId>`.
 */
import { Schema, type ClientSession, type Connection, type Model } from 'mongoose';

/** A domain event as a service records it. */
export interface DomainEvent {
  /** Delivery topic, e.g. `checkins:<eventId>`. */
  topic: string;
  /** Event type from the spec's webhook catalogue, e.g. `checkin.completed`. */
  type: string;
  /** Event body: ids and the fields a subscriber needs; must be BSON/JSON-serialisable. */
  payload: Record<string, unknown>;
}

/** A domain event as stored in the outbox, with its per-topic sequence number. */
export interface OutboxRecord extends DomainEvent {
  _id: string;
  seq: number;
  createdAt: Date;
  publishedAt: Date | null;
  /** Set while one relay replica publishes the record; expired leases are reclaimed. */
  claimedUntil?: Date | null;
}

interface CounterDoc {
  _id: string;
  seq: number;
}

const OUTBOX_RETENTION_SECONDS = 7 * 24 * 3600;

/** The outbox and topic-counter models on a subgraph's connection (created once per connection). */
export function outboxModels(conn: Connection): { Outbox: Model<OutboxRecord>; Counter: Model<CounterDoc> } {
  const existing = conn.models.OutboxRecord as Model<OutboxRecord> | undefined;
  if (existing) return { Outbox: existing, Counter: conn.models.OutboxCounter as Model<CounterDoc> };
  const outboxSchema = new Schema<OutboxRecord>(
    {
      _id: { type: String, required: true },
      topic: { type: String, required: true },
      seq: { type: Number, required: true },
      type: { type: String, required: true },
      payload: { type: Schema.Types.Mixed, required: true },
      createdAt: { type: Date, required: true },
      publishedAt: { type: Date, default: null },
      claimedUntil: { type: Date, default: null },
    },
    { collection: 'outbox', versionKey: false, minimize: false },
  );
  outboxSchema.index({ topic: 1, seq: 1 }, { unique: true });
  outboxSchema.index({ publishedAt: 1 });
  outboxSchema.index({ createdAt: 1 }, { expireAfterSeconds: OUTBOX_RETENTION_SECONDS });
  const counterSchema = new Schema<CounterDoc>({ _id: { type: String, required: true }, seq: { type: Number, required: true } }, { collection: 'outbox_counters', versionKey: false });
  return {
    Outbox: conn.model<OutboxRecord>('OutboxRecord', outboxSchema),
    Counter: conn.model<CounterDoc>('OutboxCounter', counterSchema),
  };
}

/**
 * Appends events to the outbox inside the caller's transaction. Sequence numbers come from a
 * per-topic counter incremented in the same transaction, so concurrent writers to one topic are
 * serialised by the database and a rolled-back write consumes no number.
 *
 * Inside `inTransaction`, writers of one process also queue per topic from the counter update to
 * the end of their transaction: without it, concurrent transactions on a busy topic (check-ins of
 * one event) collide on the counter document, abort with WriteConflict and retry with growing
 * backoff, which turns a burst of twenty writes into seconds of latency.
 */
export async function recordEvents(conn: Connection, session: ClientSession, events: DomainEvent[]): Promise<OutboxRecord[]> {
  const { Outbox, Counter } = outboxModels(conn);
  await lockTopics(conn, session, events.map((e) => e.topic));
  const records: OutboxRecord[] = [];
  for (const ev of events) {
    const counter = await Counter.findOneAndUpdate({ _id: ev.topic }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after', session }).lean();
    const seq = counter.seq;
    records.push({ ...ev, _id: `${ev.topic}#${seq}`, seq, createdAt: new Date(), publishedAt: null });
  }
  if (records.length) await Outbox.insertMany(records, { session });
  pendingOf(session)?.push(...records);
  return records;
}

/** Per connection: the tail of each topic's queue of writers. */
const TOPIC_QUEUES = Symbol('eventgraph.outbox.topicQueues');
/** Per transaction run by `inTransaction`: topic → release of the queue slot it holds. */
const HELD = Symbol('eventgraph.outbox.held');
/** A writer waits this long for its turn, then goes ahead (the database still serialises). */
const TOPIC_WAIT_MS = 2_000;

type ConnectionWithQueues = Connection & { [TOPIC_QUEUES]?: Map<string, Promise<void>> };
type SessionWithHeld = ClientSession & { [HELD]?: Map<string, () => void> };

async function lockTopics(conn: Connection, session: ClientSession, topics: string[]): Promise<void> {
  const held = (session as SessionWithHeld)[HELD];
  if (!held) return;
  const queues = ((conn as ConnectionWithQueues)[TOPIC_QUEUES] ??= new Map<string, Promise<void>>());
  for (const topic of [...new Set(topics)].sort()) {
    if (held.has(topic)) continue;
    const previous = queues.get(topic) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    queues.set(topic, tail);
    held.set(topic, () => {
      release();
      if (queues.get(topic) === tail) queues.delete(topic);
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([previous, new Promise<void>((r) => (timer = setTimeout(r, TOPIC_WAIT_MS)))]);
    clearTimeout(timer);
  }
}

/** Connection event emitted after a transaction that recorded events commits. */
const COMMITTED_EVENT = 'eventgraph:outbox-committed';
/** Per-attempt list of records written in a transaction run by `inTransaction`. */
const PENDING = Symbol('eventgraph.outbox.pending');

type SessionWithPending = ClientSession & { [PENDING]?: OutboxRecord[] };

function pendingOf(session: ClientSession): OutboxRecord[] | undefined {
  return (session as SessionWithPending)[PENDING];
}

/**
 * Calls `listener` with the outbox records of every transaction run by `inTransaction` on `conn`,
 * right after it commits (the relay publishes them without waiting for its next poll).
 */
export function onOutboxCommit(conn: Connection, listener: (records: OutboxRecord[]) => void): () => void {
  conn.on(COMMITTED_EVENT, listener);
  return () => void conn.off(COMMITTED_EVENT, listener);
}

/**
 * Runs `fn` in a transaction (retried on transient errors) and returns its result. State changes
 * and their outbox events commit together or not at all.
 */
export async function inTransaction<T>(conn: Connection, fn: (session: ClientSession) => Promise<T>): Promise<T> {
  let committed: OutboxRecord[] = [];
  const held = new Map<string, () => void>();
  let result: T;
  try {
    result = await conn.transaction(async (session) => {
      // A retried attempt starts over: only the records of the attempt that commits are announced.
      const pending: OutboxRecord[] = [];
      (session as SessionWithPending)[PENDING] = pending;
      (session as SessionWithHeld)[HELD] = held;
      committed = pending;
      return fn(session);
    });
  } finally {
    for (const release of held.values()) release();
  }
  if (committed.length) conn.emit(COMMITTED_EVENT, committed);
  return result;
}

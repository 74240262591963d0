/**
 * The domain-event bus between the outbox relay and the live feeds: in-process (one process) or
 * Redis pub/sub (many processes, `REDIS_URL`).
 *
 * Redis layout: one channel per topic, `<keyPrefix>live:<topic>`, carrying the record as JSON.
 * Channels are subscribed on first use and unsubscribed when the last local handler leaves, so a
 * process only receives the topics somebody in it listens to.
 *
 * The bus is at-most-once and unordered across publishers; consumers (live feeds) put records in
 * order by `seq`, drop duplicates and backfill gaps from the outbox, which stays the source of truth.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../../platform/logger.js';

/** One outbox record as carried by the bus. */
export interface BusRecord {
  topic: string;
  seq: number;
  type: string;
  payload: Record<string, unknown>;
}

/** Receives the records of one topic. */
export type BusHandler = (record: BusRecord) => void;

/** Options of one bus subscription. */
export interface BusSubscribeOptions {
  /**
   * Called when records may have been missed (the Redis subscriber connection was re-established),
   * so the consumer can catch up from the outbox.
   */
  onResync?: () => void;
}

/** Stops the handler; `ready` resolves once the bus delivers the topic to it. */
export interface BusUnsubscribe {
  (): void;
  ready: Promise<void>;
}

/** Fan-out of published outbox records to every process of a subgraph: in-process or over Redis. */
export interface Bus {
  /** Publishes one record on its topic. */
  publish(topic: string, record: BusRecord): Promise<void>;
  /** Delivers every record published on `topic` from now on (see `ready`) to `handler`. */
  subscribe(topic: string, handler: BusHandler, opts?: BusSubscribeOptions): BusUnsubscribe;
  /** Disconnects; later publishes are rejected. Safe to call twice. */
  close(): Promise<void>;
}

/** Where the bus runs and how it logs. */
export interface CreateBusOptions {
  /** Redis URL; without it the bus is in-process. */
  redisUrl?: string;
  /** Prefix of Redis channel names (isolates deployments and tests). Default `eventgraph:`. */
  keyPrefix?: string;
  logger?: Logger;
}

interface Listener {
  handler: BusHandler;
  onResync?: () => void;
}

/** True when a Redis server answers PING at `redisUrl` within `timeoutMs` (readiness, tests). */
export async function redisReachable(redisUrl: string, timeoutMs = 500): Promise<boolean> {
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Creates a bus: Redis pub/sub when `redisUrl` is given, in-process otherwise. */
export function createBus(opts: CreateBusOptions = {}): Bus {
  return opts.redisUrl ? createRedisBus(opts.redisUrl, opts) : createLocalBus(opts);
}

function deliver(listeners: Set<Listener> | undefined, record: BusRecord, logger?: Logger): void {
  if (!listeners) return;
  for (const l of [...listeners]) {
    try {
      l.handler(record);
    } catch (err) {
      logger?.error({ err, topic: record.topic }, 'bus handler failed');
    }
  }
}

function addListener(topics: Map<string, Set<Listener>>, topic: string, listener: Listener): { first: boolean; remove: () => boolean } {
  let set = topics.get(topic);
  const first = !set;
  if (!set) topics.set(topic, (set = new Set()));
  set.add(listener);
  const remove = (): boolean => {
    const current = topics.get(topic);
    if (!current?.delete(listener)) return false;
    if (current.size > 0) return false;
    topics.delete(topic);
    return true;
  };
  return { first, remove };
}

function unsubscriber(fn: () => void, ready: Promise<void>): BusUnsubscribe {
  let done = false;
  const unsub = (() => {
    if (done) return;
    done = true;
    fn();
  }) as BusUnsubscribe;
  unsub.ready = ready;
  return unsub;
}

function createLocalBus({ logger }: CreateBusOptions): Bus {
  const topics = new Map<string, Set<Listener>>();
  let closed = false;
  return {
    async publish(topic, record) {
      if (closed) throw new Error('bus is closed');
      // Delivered on a later tick, like a network bus: publishers never run consumer code inline.
      await Promise.resolve();
      deliver(topics.get(topic), record, logger);
    },
    subscribe(topic, handler, { onResync } = {}) {
      const { remove } = addListener(topics, topic, { handler, onResync });
      return unsubscriber(() => void remove(), Promise.resolve());
    },
    close() {
      closed = true;
      topics.clear();
      return Promise.resolve();
    },
  };
}

function parseRecord(raw: string): BusRecord | undefined {
  try {
    const v = JSON.parse(raw) as Partial<BusRecord>;
    if (typeof v.topic === 'string' && typeof v.seq === 'number' && typeof v.type === 'string' && v.payload && typeof v.payload === 'object') return v as BusRecord;
  } catch {
    // fall through
  }
  return undefined;
}

function createRedisBus(redisUrl: string, { keyPrefix = 'eventgraph:', logger }: CreateBusOptions): Bus {
  const channelPrefix = `${keyPrefix}live:`;
  const pub = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
  const sub = new Redis(redisUrl, { lazyConnect: true, autoResubscribe: true });
  const topics = new Map<string, Set<Listener>>();
  /** Per channel: the SUBSCRIBE in flight or done, so `ready` can wait for it. */
  const subscribed = new Map<string, Promise<void>>();
  let closed = false;
  let readyOnce = false;
  for (const conn of [pub, sub]) conn.on('error', (err: Error) => logger?.warn({ err: err.message }, 'redis bus connection error'));

  sub.on('message', (channel: string, raw: string) => {
    if (!channel.startsWith(channelPrefix)) return;
    const record = parseRecord(raw);
    if (!record) {
      logger?.warn({ channel }, 'malformed bus message dropped');
      return;
    }
    deliver(topics.get(channel.slice(channelPrefix.length)), record, logger);
  });
  sub.on('ready', () => {
    if (!readyOnce) {
      readyOnce = true;
      return;
    }
    // Reconnected: messages published while disconnected were lost on the wire.
    for (const set of topics.values()) for (const l of set) l.onResync?.();
  });
  const connecting = {
    pub: pub.connect().catch((err: unknown) => logger?.warn({ err }, 'redis bus publisher failed to connect')),
    sub: sub.connect().catch((err: unknown) => logger?.warn({ err }, 'redis bus subscriber failed to connect')),
  };

  return {
    async publish(topic, record) {
      if (closed) throw new Error('bus is closed');
      await connecting.pub;
      await pub.publish(channelPrefix + topic, JSON.stringify(record));
    },
    subscribe(topic, handler, { onResync } = {}) {
      const channel = channelPrefix + topic;
      const { first, remove } = addListener(topics, topic, { handler, onResync });
      if (first) {
        subscribed.set(
          channel,
          connecting.sub.then(() => sub.subscribe(channel)).then(() => undefined),
        );
      }
      const ready = subscribed.get(channel) ?? Promise.resolve();
      return unsubscriber(() => {
        if (remove() && !closed) {
          subscribed.delete(channel);
          sub.unsubscribe(channel).catch((err: unknown) => logger?.warn({ err, channel }, 'redis unsubscribe failed'));
        }
      }, ready);
    },
    async close() {
      if (closed) return;
      closed = true;
      topics.clear();
      subscribed.clear();
      await Promise.all([connecting.pub, connecting.sub]);
      await Promise.all([pub.quit().catch(() => pub.disconnect()), sub.quit().catch(() => sub.disconnect())]);
    },
  };
}

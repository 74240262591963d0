import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDb, type LocalDb } from '../../localdb/index.js';
import { createBus, type Bus, type BusRecord } from './bus.js';
import { openConnection } from './db.js';
import type { LiveRecord } from './live.js';
import { createLiveFeed, createSubgraphLive, decodeCursor, encodeCursor } from './live-feed.js';
import { inTransaction, outboxModels, recordEvents } from './outbox.js';
import { createRelay } from './relay.js';

let db: LocalDb;
const conns: Connection[] = [];

beforeAll(async () => {
  db = await startLocalDb({ port: 0 });
});
afterAll(async () => {
  await Promise.all(conns.map((c) => c.close()));
  await db.stop();
});

async function connect(): Promise<Connection> {
  const conn = await openConnection(db.uri, `live_${randomUUID().slice(0, 8)}`);
  conns.push(conn);
  return conn;
}

async function write(conn: Connection, topic: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await inTransaction(conn, (s) => recordEvents(conn, s, [{ topic, type: 'tick', payload: { i } }]));
}

/** Reads `n` records (or fails after `ms`). */
async function take(it: AsyncIterator<LiveRecord>, n: number, ms = 5000): Promise<LiveRecord[]> {
  const out: LiveRecord[] = [];
  const deadline = Date.now() + ms;
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${out.length} of ${n} records`);
    const r = await Promise.race([it.next(), new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), left))]);
    if (r === 'timeout') throw new Error(`timed out after ${out.length} of ${n} records`);
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('cursors', () => {
  it('round-trip and refuse other topics and garbage with BAD_USER_INPUT', () => {
    expect(decodeCursor(encodeCursor('checkins:e1', 42), 'checkins:e1')).toBe(42);
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return (err as { extensions?: { code?: string; target?: string } }).extensions;
      }
      return undefined;
    };
    expect(codeOf(() => decodeCursor(encodeCursor('checkins:e1', 1), 'checkins:e2'))).toMatchObject({ code: 'BAD_USER_INPUT', target: 'after' });
    expect(codeOf(() => decodeCursor('not a cursor!', 't'))?.code).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor(Buffer.from('v2:1:t').toString('base64url'), 't'))?.code).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor(42, 't'))?.code).toBe('BAD_USER_INPUT');
  });
});

describe('live feed over the outbox', () => {
  it('replays after a cursor, then continues live with no gap and no duplicate', async () => {
    const conn = await connect();
    const live = createSubgraphLive({ conn, pollIntervalMs: 50 });
    try {
      await write(conn, 'ticks:a', 5);
      const first = await take(live.live.subscribe('ticks:a', encodeCursor('ticks:a', 0)), 5);
      expect(first.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);

      const it = live.live.subscribe('ticks:a', first[1]!.cursor);
      const replayed = await take(it, 3);
      expect(replayed.map((r) => r.seq)).toEqual([3, 4, 5]);
      await write(conn, 'ticks:a', 3);
      const fresh = await take(it, 3);
      expect(fresh.map((r) => [r.seq, r.payload.i])).toEqual([[6, 0], [7, 1], [8, 2]]);
      expect(fresh[0]!.cursor).toBe(encodeCursor('ticks:a', 6));
      await it.return?.();
    } finally {
      await live.stop();
      await live.stop();
    }
  });

  it('without a cursor starts after the latest record; an unknown future cursor is refused', async () => {
    const conn = await connect();
    const live = createSubgraphLive({ conn, pollIntervalMs: 50 });
    try {
      await write(conn, 'ticks:b', 2);
      const it = live.live.subscribe('ticks:b');
      const pending = take(it, 1);
      await new Promise((r) => setTimeout(r, 100));
      await write(conn, 'ticks:b', 1);
      expect((await pending).map((r) => r.seq)).toEqual([3]);
      await it.return?.();

      expect(() => live.live.subscribe('ticks:b', encodeCursor('ticks:other', 1))).toThrow(/cursor/);
      const ahead = live.live.subscribe('ticks:b', encodeCursor('ticks:b', 99));
      await expect(ahead.next()).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    } finally {
      await live.stop();
    }
  });

  it('publishes records committed without a notification (crash between commit and publish) from the poll', async () => {
    const conn = await connect();
    const bus = createBus();
    const feed = createLiveFeed({ conn, bus });
    const it = feed.subscribe('ticks:c', encodeCursor('ticks:c', 0));
    // Written with a bare transaction: no commit notification reaches any relay.
    await conn.transaction((s) => recordEvents(conn, s, [{ topic: 'ticks:c', type: 'tick', payload: { i: 0 } }]));
    const relay = createRelay({ conn, bus, pollIntervalMs: 50 });
    try {
      expect((await take(it, 1)).map((r) => r.seq)).toEqual([1]);
      await relay.flush();
      const { Outbox } = outboxModels(conn);
      expect(await Outbox.countDocuments({ publishedAt: null })).toBe(0);
      expect(relay.stats().published).toBe(1);
    } finally {
      await it.return?.();
      await relay.stop();
      await bus.close();
    }
  });

  it('fills a gap in live records from the outbox, and drops duplicates', async () => {
    const conn = await connect();
    const bus = createBus();
    const feed = createLiveFeed({ conn, bus });
    await write(conn, 'ticks:d', 1);
    const it = feed.subscribe('ticks:d');
    const first = it.next();
    await new Promise((r) => setTimeout(r, 100));
    // Records 2 and 3 are committed but only 3 reaches the bus, then 3 again.
    await write(conn, 'ticks:d', 2);
    const rec = (seq: number): BusRecord => ({ topic: 'ticks:d', seq, type: 'tick', payload: { i: seq } });
    await bus.publish('ticks:d', rec(3));
    await bus.publish('ticks:d', rec(3));
    expect((await first).value?.seq).toBe(2);
    expect((await take(it, 1)).map((r) => r.seq)).toEqual([3]);
    await write(conn, 'ticks:d', 1);
    await bus.publish('ticks:d', rec(2));
    await bus.publish('ticks:d', rec(4));
    expect((await take(it, 1)).map((r) => r.seq)).toEqual([4]);
    await it.return?.();
    await bus.close();
  });

  it('bounds the buffer of a slow reader and still delivers everything in order', async () => {
    const conn = await connect();
    const bus = createBus();
    const relay = createRelay({ conn, bus, pollIntervalMs: 50 });
    const feed = createLiveFeed({ conn, bus, bufferLimit: 3, pageSize: 4 });
    const it = feed.subscribe('ticks:e');
    await new Promise((r) => setTimeout(r, 50));
    await write(conn, 'ticks:e', 20);
    await relay.flush();
    const all = await take(it, 20);
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await it.return?.();
    await relay.stop();
    await bus.close();
  });

  it('with two relay replicas on one database, publishes every record once', async () => {
    const conn = await connect();
    const conn2 = await openConnection(db.uri, conn.name);
    conns.push(conn2);
    const bus: Bus = createBus();
    const seen: number[] = [];
    bus.subscribe('ticks:f', (r) => seen.push(r.seq));
    const relays = [createRelay({ conn, bus, pollIntervalMs: 20 }), createRelay({ conn: conn2, bus, pollIntervalMs: 20 })];
    await conn.transaction(async (s) => {
      await recordEvents(conn, s, Array.from({ length: 30 }, (_, i) => ({ topic: 'ticks:f', type: 'tick', payload: { i } })));
    });
    await Promise.all(relays.map((r) => r.flush()));
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(relays[0]!.stats().published + relays[1]!.stats().published).toBe(30);
    await Promise.all(relays.map((r) => r.stop()));
    await bus.close();
  });

  it('queues concurrent writers of one topic instead of letting them collide and retry', async () => {
    const conn = await connect();
    let attempts = 0;
    const seqs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        inTransaction(conn, async (s) => {
          attempts++;
          const [rec] = await recordEvents(conn, s, [{ topic: 'ticks:h', type: 'tick', payload: { i } }]);
          return rec!.seq;
        }),
      ),
    );
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(attempts).toBe(20);
  });

  it('ends open feeds with SERVICE_UNAVAILABLE on stop', async () => {
    const conn = await connect();
    const live = createSubgraphLive({ conn });
    const it = live.live.subscribe('ticks:g');
    const pending = it.next();
    await live.stop();
    await expect(pending).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(() => live.live.subscribe('ticks:g')).toThrow(/shutting down/);
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBus, redisReachable, type Bus, type BusRecord } from './bus.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

function record(topic: string, seq: number): BusRecord {
  return { topic, seq, type: 'test.event', payload: { seq } };
}

function collector() {
  const got: BusRecord[] = [];
  let wake: (() => void) | undefined;
  return {
    got,
    handler: (r: BusRecord) => {
      got.push(r);
      wake?.();
    },
    async until(n: number, ms = 2000): Promise<BusRecord[]> {
      const deadline = Date.now() + ms;
      while (got.length < n && Date.now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 20)));
      return got;
    },
  };
}

describe('in-process bus', () => {
  it('delivers a topic only to its subscribers, and stops after unsubscribe', async () => {
    const bus = createBus();
    const a = collector();
    const b = collector();
    const unsubA = bus.subscribe('t:a', a.handler);
    bus.subscribe('t:b', b.handler);
    await unsubA.ready;
    await bus.publish('t:a', record('t:a', 1));
    await bus.publish('t:b', record('t:b', 1));
    expect((await a.until(1)).map((r) => r.seq)).toEqual([1]);
    expect((await b.until(1)).map((r) => r.topic)).toEqual(['t:b']);
    unsubA();
    await bus.publish('t:a', record('t:a', 2));
    await new Promise((r) => setTimeout(r, 20));
    expect(a.got).toHaveLength(1);
    await bus.close();
    await bus.close();
    await expect(bus.publish('t:a', record('t:a', 3))).rejects.toThrow(/closed/);
  });

  it('keeps no state between instances, and a failing handler does not stop the others', async () => {
    const one = createBus();
    const two = createBus();
    const c = collector();
    two.subscribe('t', c.handler);
    one.subscribe('t', () => {
      throw new Error('boom');
    });
    const d = collector();
    one.subscribe('t', d.handler);
    await one.publish('t', record('t', 1));
    expect((await d.until(1)).map((r) => r.seq)).toEqual([1]);
    expect(c.got).toHaveLength(0);
    await Promise.all([one.close(), two.close()]);
  });
});

describe('Redis bus', () => {
  let reachable = false;
  const buses: Bus[] = [];
  beforeAll(async () => {
    reachable = await redisReachable(REDIS_URL);
    if (!reachable) console.warn(`Redis bus tests skipped: ${REDIS_URL} is unreachable`);
  });
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
  });

  it('carries records between processes sharing a prefix, and isolates other prefixes', async (ctx) => {
    if (!reachable) return ctx.skip();
    const prefix = `test:${randomUUID()}:`;
    const publisher = createBus({ redisUrl: REDIS_URL, keyPrefix: prefix });
    const consumer = createBus({ redisUrl: REDIS_URL, keyPrefix: prefix });
    const stranger = createBus({ redisUrl: REDIS_URL, keyPrefix: `test:${randomUUID()}:` });
    buses.push(publisher, consumer, stranger);
    const got = collector();
    const foreign = collector();
    const unsub = consumer.subscribe('checkins:e1', got.handler);
    const unsubForeign = stranger.subscribe('checkins:e1', foreign.handler);
    await Promise.all([unsub.ready, unsubForeign.ready]);
    for (let i = 1; i <= 3; i++) await publisher.publish('checkins:e1', record('checkins:e1', i));
    expect((await got.until(3)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(got.got[0]).toEqual(record('checkins:e1', 1));
    expect(foreign.got).toHaveLength(0);

    unsub();
    await publisher.publish('checkins:e1', record('checkins:e1', 4));
    await new Promise((r) => setTimeout(r, 100));
    expect(got.got).toHaveLength(3);
  });
});

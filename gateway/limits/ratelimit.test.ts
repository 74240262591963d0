import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createLogger } from '../../platform/logger.js';
import { DEFAULT_TIER_LIMITS, type TierLimit } from '../auth/config.js';
import { createMemoryRateLimiter, rateLimitHeaders } from './ratelimit.js';
import { createRedisRateLimiter } from './redis.js';
import { redisReachable } from '../../subgraphs/kit/bus.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const logger = createLogger('test', 'silent');

const redisUp = await redisReachable(REDIS_URL);

/** A tier that barely refills during a test, so counts are exact. */
const SLOW: TierLimit = { perMinute: 1, burst: 20, concurrency: 3 };

describe('memory rate limiter', () => {
  it('allows the burst, then refuses with Retry-After, then refills at the tier rate', async () => {
    let t = 1_000_000;
    const limiter = createMemoryRateLimiter({ now: () => t });
    const tier = DEFAULT_TIER_LIMITS.anonymous; // 30/min, burst 10
    const decisions = [];
    for (let i = 0; i < 11; i++) decisions.push(await limiter.consume('ip:1', tier, 1));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    const refused = decisions[10]!;
    expect(refused).toMatchObject({ allowed: false, limit: 30, remaining: 0, retryAfter: 2 });
    expect(rateLimitHeaders(refused)).toEqual({ 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil((t + 20_000) / 1000)), 'retry-after': '2' });
    t += 2_000; // one unit refilled (30/min = 0.5/s)
    expect((await limiter.consume('ip:1', tier, 1)).allowed).toBe(true);
    expect((await limiter.consume('ip:1', tier, 1)).allowed).toBe(false);
    expect((await limiter.consume('ip:2', tier, 1)).remaining).toBe(9); // other clients have their own bucket
  });

  it('charges the operation cost and never overdraws', async () => {
    const limiter = createMemoryRateLimiter({ now: () => 0 });
    const tier = DEFAULT_TIER_LIMITS.user; // burst 20
    expect(await limiter.consume('u', tier, 15)).toMatchObject({ allowed: true, remaining: 5 });
    expect(await limiter.consume('u', tier, 6)).toMatchObject({ allowed: false, remaining: 5, retryAfter: 1 });
    expect(await limiter.consume('u', tier, 5)).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('keeps at most maxKeys buckets: past that, the least recently used client starts over', async () => {
    const limiter = createMemoryRateLimiter({ now: () => 0, maxKeys: 2 });
    await limiter.consume('a', SLOW, 20);
    await limiter.consume('b', SLOW, 20);
    expect((await limiter.consume('a', SLOW, 1)).allowed).toBe(false); // a is the most recent again
    await limiter.consume('c', SLOW, 20); // b goes
    expect((await limiter.consume('a', SLOW, 1)).allowed).toBe(false);
    expect(await limiter.consume('b', SLOW, 1)).toMatchObject({ allowed: true, remaining: 19 });
  });

  it('allows exactly the burst under concurrent load', async () => {
    const limiter = createMemoryRateLimiter();
    const results = await Promise.all(Array.from({ length: 100 }, () => limiter.consume('k', SLOW, 1)));
    expect(results.filter((r) => r.allowed)).toHaveLength(20);
  });

  it('caps concurrent requests per client and frees a slot once', async () => {
    const limiter = createMemoryRateLimiter();
    const slots = await Promise.all([1, 2, 3].map(() => limiter.acquire('c', 3)));
    expect(slots.every((s) => s !== null)).toBe(true);
    expect(await limiter.acquire('c', 3)).toBeNull();
    expect(await limiter.acquire('other', 3)).not.toBeNull();
    await slots[0]!();
    await slots[0]!(); // second release is a no-op
    expect(await limiter.acquire('c', 3)).not.toBeNull();
    expect(await limiter.acquire('c', 3)).toBeNull();
  });
});

describe.skipIf(!redisUp)('redis rate limiter (skipped: no Redis at 127.0.0.1:6379)', () => {
  const prefix = `eg:test:${randomUUID()}:`;
  const connections: Redis[] = [];
  const connect = () => {
    const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    connections.push(r);
    return r;
  };
  const replicas = () => [createRedisRateLimiter({ redis: connect(), prefix, logger }), createRedisRateLimiter({ redis: connect(), prefix, logger })] as const;

  afterAll(async () => {
    const admin = connections[0] ?? connect();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await Promise.all(connections.map((c) => c.quit()));
  });

  it('two replicas share one budget: exactly the burst is allowed under concurrent load', async () => {
    const [a, b] = replicas();
    const key = `load-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).consume(key, SLOW, 1)));
    expect(results.filter((r) => r.allowed)).toHaveLength(20);
    const refused = results.find((r) => !r.allowed)!;
    expect(refused.limit).toBe(1);
    expect(refused.retryAfter).toBeGreaterThan(0);
  });

  it('what one replica spends, the other cannot', async () => {
    const [a, b] = replicas();
    const key = `spend-${randomUUID()}`;
    expect(await a.consume(key, SLOW, 15)).toMatchObject({ allowed: true, remaining: 5 });
    expect(await b.consume(key, SLOW, 6)).toMatchObject({ allowed: false, remaining: 5 });
    expect(await b.consume(key, SLOW, 5)).toMatchObject({ allowed: true, remaining: 0 });
    const headers = rateLimitHeaders(await a.consume(key, SLOW, 1));
    expect(Number(headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    expect(headers['retry-after']).toBeDefined();
  });

  it('shares concurrency slots across replicas and frees released ones', async () => {
    const [a, b] = replicas();
    const key = `conc-${randomUUID()}`;
    const held = await Promise.all([a.acquire(key, 3), b.acquire(key, 3), a.acquire(key, 3)]);
    expect(held.every((r) => r !== null)).toBe(true);
    expect(await b.acquire(key, 3)).toBeNull();
    await held[1]!();
    const again = await b.acquire(key, 3);
    expect(again).not.toBeNull();
    expect(await a.acquire(key, 3)).toBeNull();
  });

  it('falls back to limiting per replica when Redis is unreachable', async () => {
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    const limiter = createRedisRateLimiter({ redis: dead, prefix, logger });
    expect(await limiter.consume('x', SLOW, 1)).toMatchObject({ allowed: true, remaining: 19 });
    expect(await limiter.acquire('x', 1)).not.toBeNull();
    expect(await limiter.acquire('x', 1)).toBeNull();
    await limiter.close();
    dead.disconnect();
  });
});

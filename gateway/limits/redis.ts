/**
 * Rate limits shared by every gateway replica through Redis. Each check is one atomic Lua script
 * (registered with ioredis `defineCommand`, so it runs by SHA): the bucket refill and take happen
 * in Redis with Redis's own clock, and concurrency slots are members of a sorted set scored by
 * their expiry, so a replica that dies holding slots frees them when they expire.
 *
 * When Redis fails, the limiter answers from a local in-memory limiter (and logs), so an outage
 * of Redis degrades limits to per replica instead of refusing all traffic.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../platform/logger.js';
import { createMemoryRateLimiter, decide, type RateLimiter, type Release } from './ratelimit.js';

/** KEYS[1] bucket hash; ARGV capacity, refill per ms, units. Returns {tokens before take, now ms}. */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local units = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then tokens = cap; at = now end
tokens = math.min(cap, tokens + math.max(0, now - at) * rate)
local before = tokens
if tokens >= units then tokens = tokens - units end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((cap - tokens) / rate) + 1000)
return { tostring(before), tostring(now) }
`;

/** KEYS[1] slot set; ARGV limit, slot id, ttl ms. Returns 1 when a slot was taken. */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
`;

interface LimiterCommands {
  egRateTake(key: string, capacity: string, perMs: string, units: string): Promise<[string, string]>;
  egSlotAcquire(key: string, limit: string, id: string, ttlMs: string): Promise<number>;
}

/** Options of `createRedisRateLimiter`. */
export interface RedisLimiterOptions {
  redis: Redis;
  /** Prefix of every key (tests use a unique one). */
  prefix?: string;
  /** A concurrency slot is freed after this long even if never released (crashed replica). */
  slotTtlMs?: number;
  logger: Logger;
  /** Close the Redis connection in close(). Default false (the caller owns it). */
  ownsConnection?: boolean;
}

/** Creates the shared limiter. */
export function createRedisRateLimiter(opts: RedisLimiterOptions): RateLimiter {
  const { redis, prefix = 'eg:rl:', slotTtlMs = 120_000, logger, ownsConnection = false } = opts;
  const local = createMemoryRateLimiter();
  redis.defineCommand('egRateTake', { numberOfKeys: 1, lua: TAKE });
  redis.defineCommand('egSlotAcquire', { numberOfKeys: 1, lua: ACQUIRE });
  const commands = redis as unknown as LimiterCommands;
  let failing = false;
  const degraded = (err: unknown) => {
    if (!failing) logger.warn({ err }, 'redis rate limiter unavailable; limiting per replica');
    failing = true;
  };

  return {
    async consume(key, tier, units) {
      try {
        const [before, now] = await commands.egRateTake(`${prefix}b:${key}`, String(tier.burst), String(tier.perMinute / 60_000), String(units));
        failing = false;
        return decide(tier, Number(before), units, Number(now)).decision;
      } catch (err) {
        degraded(err);
        return local.consume(key, tier, units);
      }
    },
    async acquire(key, limit) {
      const id = randomUUID();
      const slots = `${prefix}c:${key}`;
      try {
        if ((await commands.egSlotAcquire(slots, String(limit), id, String(slotTtlMs))) !== 1) return null;
      } catch (err) {
        degraded(err);
        return local.acquire(key, limit);
      }
      let released = false;
      const release: Release = async () => {
        if (released) return;
        released = true;
        await redis.zrem(slots, id).catch((err: unknown) => logger.warn({ err }, 'could not release a concurrency slot'));
      };
      return release;
    },
    async close() {
      await local.close();
      if (ownsConnection) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/**
 * Rate limits per client: a token bucket (capacity = the tier's burst, refilled at its requests per
 * minute) consumed by each operation's cost in request units, and a cap on concurrent requests.
 * This module holds the shared types, the response headers and the in-memory limiter used by a
 * single gateway; `redis.ts` shares the same budget across gateway replicas.
 */
import { LRUCache } from 'lru-cache';
import type { TierLimit } from '../auth/config.js';

/** The outcome of taking units from a bucket. */
export interface RateDecision {
  allowed: boolean;
  /** The tier's requests per minute. */
  limit: number;
  /** Whole units left after this request. */
  remaining: number;
  /** Unix seconds at which the bucket is full again. */
  resetAt: number;
  /** Seconds until this request's units would be available (0 when allowed). */
  retryAfter: number;
}

/** Releases a concurrency slot. Safe to call twice. */
export type Release = () => Promise<void>;

/** Token buckets and concurrency slots per client key. */
export interface RateLimiter {
  /** Takes `units` from the client's bucket (nothing is taken when not allowed). */
  consume(key: string, tier: TierLimit, units: number): Promise<RateDecision>;
  /** Holds one of `limit` concurrent slots; null when all are taken. */
  acquire(key: string, limit: number): Promise<Release | null>;
  close(): Promise<void>;
}

/** Computes a decision from a bucket's token count after refill (shared by both limiters). */
export function decide(tier: TierLimit, tokensBefore: number, units: number, nowMs: number): { decision: RateDecision; tokensAfter: number } {
  const perMs = tier.perMinute / 60_000;
  const allowed = tokensBefore >= units;
  const tokensAfter = allowed ? tokensBefore - units : tokensBefore;
  return {
    tokensAfter,
    decision: {
      allowed,
      limit: tier.perMinute,
      remaining: Math.max(0, Math.floor(tokensAfter)),
      resetAt: Math.ceil((nowMs + (tier.burst - tokensAfter) / perMs) / 1000),
      retryAfter: allowed ? 0 : Math.max(1, Math.ceil((units - tokensBefore) / perMs / 1000)),
    },
  };
}

/** The X-RateLimit-* headers (and Retry-After when refused) for a decision. */
export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  return {
    'x-ratelimit-limit': String(d.limit),
    'x-ratelimit-remaining': String(d.remaining),
    'x-ratelimit-reset': String(d.resetAt),
    ...(d.allowed ? {} : { 'retry-after': String(d.retryAfter) }),
  };
}

/** Options of `createMemoryRateLimiter`. */
export interface MemoryLimiterOptions {
  now?: () => number;
  /**
   * Buckets kept. A bucket is dropped once it would be full again (nothing to remember); past
   * this many the least recently used goes first. Default 50 000.
   */
  maxKeys?: number;
}

/** A limiter for one gateway process. */
export function createMemoryRateLimiter({ now = Date.now, maxKeys = 50_000 }: MemoryLimiterOptions = {}): RateLimiter {
  const buckets = new LRUCache<string, { tokens: number; at: number }>({ max: maxKeys, perf: { now }, ttlResolution: 0 });
  const running = new Map<string, number>();

  return {
    consume(key, tier, units) {
      const t = now();
      const perMs = tier.perMinute / 60_000;
      const b = buckets.get(key);
      const before = b ? Math.min(tier.burst, b.tokens + Math.max(0, t - b.at) * perMs) : tier.burst;
      const { decision, tokensAfter } = decide(tier, before, units, t);
      const untilFull = Math.ceil((tier.burst - tokensAfter) / perMs);
      if (untilFull > 0) buckets.set(key, { tokens: tokensAfter, at: t }, { ttl: untilFull });
      else buckets.delete(key);
      return Promise.resolve(decision);
    },
    acquire(key, limit) {
      const n = running.get(key) ?? 0;
      if (n >= limit) return Promise.resolve(null);
      running.set(key, n + 1);
      let released = false;
      return Promise.resolve(() => {
        if (!released) {
          released = true;
          const left = (running.get(key) ?? 1) - 1;
          if (left <= 0) running.delete(key);
          else running.set(key, left);
        }
        return Promise.resolve();
      });
    },
    close() {
      buckets.clear();
      running.clear();
      return Promise.resolve();
    },
  };
}

/**
 * The outside-service policy against a small HTTP service on loopback that fails on command:
 * retries with jittered backoff and Retry-After, per-attempt timeouts, breakers per destination.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrokenCircuitError, TaskCancelledError, createResilience, isTransient, parseRetryAfter } from './resilience.js';

/** What the service answers next, per path: a list of statuses (then 200), with optional headers. */
const script = new Map<string, Array<{ status: number; headers?: Record<string, string> } | 'hang'>>();
const hits = new Map<string, number>();
let aborted = 0;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const next = script.get(path)?.shift();
    if (next === 'hang') {
      req.on('close', () => aborted++);
      return;
    }
    res.writeHead(next?.status ?? 200, { 'content-type': 'application/json', ...next?.headers });
    res.end(JSON.stringify({ ok: !next }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  script.clear();
  hits.clear();
  aborted = 0;
});

/** An adapter's call: a non-2xx answer becomes an error carrying its status and Retry-After. */
async function call(path: string, signal: AbortSignal): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { signal });
  if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')) });
  return res.json();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('outside-service policy', () => {
  it('tries transient failures again with full-jitter exponential waits until the service answers', async () => {
    const waits: Array<{ attempt: number; delayMs: number }> = [];
    const policy = createResilience({ initialDelayMs: 20, onRetry: ({ attempt, delayMs }) => waits.push({ attempt, delayMs }) });
    script.set('/flaky', [{ status: 503 }, { status: 502 }, { status: 500 }]);
    expect(await policy.execute('svc', (signal) => call('/flaky', signal))).toEqual({ ok: true });
    expect(hits.get('/flaky')).toBe(4);
    expect(waits.map((w) => w.attempt)).toEqual([1, 2, 3]);
    waits.forEach((w, i) => {
      expect(w.delayMs).toBeGreaterThanOrEqual(0);
      expect(w.delayMs).toBeLessThan(20 * 2 ** i);
    });
  });

  it('gives up after the configured retries with the last failure', async () => {
    const policy = createResilience({ initialDelayMs: 1, retries: 2 });
    script.set('/down', [{ status: 503 }, { status: 503 }, { status: 504 }, { status: 503 }]);
    await expect(policy.execute('svc', (signal) => call('/down', signal))).rejects.toMatchObject({ status: 504 });
    expect(hits.get('/down')).toBe(3);
  });

  it('waits at least what Retry-After asks for, and does not retry when it asks for more than the longest wait', async () => {
    const waits: number[] = [];
    const policy = createResilience({ initialDelayMs: 1, maxDelayMs: 2_000, onRetry: ({ delayMs }) => waits.push(delayMs) });
    script.set('/limited', [{ status: 429, headers: { 'retry-after': '1' } }]);
    expect(await policy.execute('svc', (signal) => call('/limited', signal))).toEqual({ ok: true });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(1_000);

    script.set('/later', [{ status: 429, headers: { 'retry-after': '120' } }]);
    await expect(policy.execute('svc', (signal) => call('/later', signal))).rejects.toMatchObject({ status: 429, retryAfterMs: 120_000 });
    expect(hits.get('/later')).toBe(1);
  });

  it('neither retries nor counts a refusal', async () => {
    const policy = createResilience({ initialDelayMs: 1, breakerThreshold: 2 });
    script.set('/refuse', Array.from({ length: 5 }, () => ({ status: 400 })));
    for (let i = 0; i < 5; i++) await expect(policy.execute('svc', (signal) => call('/refuse', signal))).rejects.toMatchObject({ status: 400 });
    expect(hits.get('/refuse')).toBe(5);
    expect(policy.breakerState('svc')).toBe('closed');
  });

  it('times out each attempt and aborts its request', async () => {
    const policy = createResilience({ timeoutMs: 100, retries: 1, initialDelayMs: 1 });
    script.set('/hang', ['hang', 'hang']);
    await expect(policy.execute('svc', (signal) => call('/hang', signal))).rejects.toBeInstanceOf(TaskCancelledError);
    expect(hits.get('/hang')).toBe(2);
    await vi.waitFor(() => expect(aborted).toBe(2)); // the server sees the second abort a moment later
  });

  it('opens a breaker per destination: calls fail fast there, other destinations go on, a trial call closes it', async () => {
    const changes: string[] = [];
    const policy = createResilience({ retries: 0, breakerThreshold: 2, halfOpenAfterMs: 200, onBreakerChange: (d, s) => changes.push(`${d}:${s}`) });
    script.set('/a', [{ status: 503 }, { status: 503 }]);
    for (let i = 0; i < 2; i++) await expect(policy.execute('a', (signal) => call('/a', signal))).rejects.toMatchObject({ status: 503 });
    expect(policy.breakerState('a')).toBe('open');
    await expect(policy.execute('a', (signal) => call('/a', signal))).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(hits.get('/a')).toBe(2);
    expect(await policy.execute('b', (signal) => call('/b', signal))).toEqual({ ok: true });
    expect(policy.breakerState('b')).toBe('closed');
    await sleep(250);
    expect(await policy.execute('a', (signal) => call('/a', signal))).toEqual({ ok: true });
    expect(policy.breakerState('a')).toBe('closed');
    expect(changes).toEqual(['a:open', 'a:half-open', 'a:closed']);
  });

  it('stops trying once the caller aborts', async () => {
    const policy = createResilience({ timeoutMs: 5_000, initialDelayMs: 1 });
    script.set('/hang', ['hang']);
    const caller = new AbortController();
    const pending = policy.execute('svc', (signal) => call('/hang', signal), caller.signal);
    await vi.waitFor(() => expect(hits.get('/hang')).toBe(1));
    caller.abort();
    await expect(pending).rejects.toBeInstanceOf(TaskCancelledError);
    expect(hits.get('/hang')).toBe(1);
  });
});

describe('failure classes', () => {
  it('treats timeouts, network errors and 408/429/5xx as transient, anything else not', () => {
    expect(isTransient(new TaskCancelledError())).toBe(true);
    expect(isTransient(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toBe(true);
    expect(isTransient({ statusCode: 429 })).toBe(true);
    expect(isTransient({ status: 503 })).toBe(true);
    expect(isTransient({ status: 501 })).toBe(false);
    expect(isTransient({ status: 402 })).toBe(false);
    expect(isTransient(new Error('card declined'))).toBe(false);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

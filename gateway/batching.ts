/**
 * Subgraph request batching: the calls one operation makes to one subgraph close together (the
 * fetches of a query plan's Parallel node) travel as one HTTP POST whose body is a JSON array of
 * GraphQL requests, and the array answer is split back to each caller. The subgraph builds one
 * context per HTTP request, so the batch's operations share their DataLoaders.
 *
 * A call joins the batch of the operation it runs for (see `BatchingFetcher.run`). The batch is
 * sent on the event-loop turn after the last call joined, at the latest `maxWaitMs` after the
 * first, or as soon as it holds `maxSize` calls or `maxBytes` of bodies. A batch of one, and calls
 * whose headers differ from the others', go out as plain single requests.
 *
 * Answers: a well-formed array gives every caller its own element. When the subgraph answers the
 * batch with a non-2xx status, elements that carry `data` are answered with 200 and the others
 * with the batch's status (a request error of one operation); any other non-2xx answer is handed
 * to every caller unchanged, so each fails exactly as its single request would. A 2xx answer that
 * is not an array of one object per request fails every caller.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Fetcher } from './fetcher.js';

type FetcherRequestInit = NonNullable<Parameters<Fetcher>[1]>;
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

export interface BatchingOptions {
  /** Longest a call waits for others to join its batch, in milliseconds. Default 2. */
  maxWaitMs?: number;
  /** Most calls in one batch. Default 100. */
  maxSize?: number;
  /** Most bytes of request bodies in one batch. Default 512 KiB. */
  maxBytes?: number;
}

export interface BatchingFetcher {
  /** The fetcher to give the data source: batches calls made inside `run`, passes others on. */
  fetch: Fetcher;
  /** Runs `fn`; its calls of `fetch` are batched with other calls under the same `key`. */
  run<T>(key: object, fn: () => Promise<T>): Promise<T>;
}

/** A subgraph answered a batch with a body that cannot be split back to its operations. */
export class MalformedBatchError extends Error {}

interface Call {
  url: string;
  init: FetcherRequestInit;
  body: string;
  bytes: number;
  resolve(res: FetcherResponse): void;
  reject(err: unknown): void;
}

interface Pending {
  calls: Call[];
  bytes: number;
  immediate?: NodeJS.Immediate;
  timer: NodeJS.Timeout;
}

/** Headers that describe one body and are not shared by a batch. */
const PER_BODY_HEADERS = new Set(['content-length', 'content-encoding', 'transfer-encoding']);

function signatureOf(call: Call): string {
  const headers = Object.entries(call.init.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const);
  headers.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([call.url, headers.filter(([k]) => !PER_BODY_HEADERS.has(k))]);
}

function memberResponse(batch: FetcherResponse, status: number, body: string): FetcherResponse {
  const headers = new Headers();
  for (const [key, value] of batch.headers) {
    if (!PER_BODY_HEADERS.has(key.toLowerCase())) headers.append(key, value);
  }
  const response = new Response(body, { status, statusText: status === batch.status ? batch.statusText : '', headers });
  Object.defineProperty(response, 'url', { value: batch.url });
  return response as unknown as FetcherResponse;
}

/** Splits a batch answer into one response per call, or throws MalformedBatchError. */
function split(subgraph: string, batch: FetcherResponse, text: string, count: number): FetcherResponse[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const wellFormed = Array.isArray(parsed) && parsed.length === count && parsed.every((el) => typeof el === 'object' && el !== null && !Array.isArray(el));
  if (wellFormed) {
    return (parsed as object[]).map((el) => memberResponse(batch, batch.ok || !('data' in el) ? batch.status : 200, JSON.stringify(el)));
  }
  if (!batch.ok) return Array.from({ length: count }, () => memberResponse(batch, batch.status, text));
  throw new MalformedBatchError(`Subgraph ${subgraph} answered a batch of ${count} operations with HTTP ${batch.status} and a body that is not an array of ${count} results`);
}

/** Wraps `fetcher` so calls of one operation to the subgraph `subgraph` are batched. */
export function createBatchingFetcher(subgraph: string, fetcher: Fetcher, { maxWaitMs = 2, maxSize = 100, maxBytes = 512 * 1024 }: BatchingOptions = {}): BatchingFetcher {
  const scope = new AsyncLocalStorage<object>();
  const pending = new Map<object, Pending>();

  function single(call: Call): void {
    fetcher(call.url, call.init).then(call.resolve, call.reject);
  }

  async function sendBatch(calls: Call[]): Promise<void> {
    const first = calls[0];
    const init: FetcherRequestInit = { ...first.init, method: 'POST', body: `[${calls.map((c) => c.body).join(',')}]` };
    let responses: FetcherResponse[];
    try {
      const batch = await fetcher(first.url, init);
      responses = split(subgraph, batch, await batch.text(), calls.length);
    } catch (err) {
      for (const call of calls) call.reject(err);
      return;
    }
    calls.forEach((call, i) => call.resolve(responses[i]));
  }

  function flush(key: object): void {
    const batch = pending.get(key);
    if (!batch) return;
    pending.delete(key);
    clearTimeout(batch.timer);
    if (batch.immediate) clearImmediate(batch.immediate);
    const groups = new Map<string, Call[]>();
    for (const call of batch.calls) {
      const signature = signatureOf(call);
      const group = groups.get(signature);
      if (group) group.push(call);
      else groups.set(signature, [call]);
    }
    for (const group of groups.values()) {
      if (group.length === 1) single(group[0]);
      else void sendBatch(group);
    }
  }

  function enqueue(key: object, call: Call): void {
    let batch = pending.get(key);
    if (batch && (batch.calls.length >= maxSize || batch.bytes + call.bytes > maxBytes)) {
      flush(key);
      batch = undefined;
    }
    if (!batch) {
      batch = { calls: [], bytes: 0, timer: setTimeout(() => flush(key), maxWaitMs) };
      pending.set(key, batch);
    }
    batch.calls.push(call);
    batch.bytes += call.bytes;
    if (batch.immediate) clearImmediate(batch.immediate);
    batch.immediate = setImmediate(() => flush(key));
  }

  const fetch: Fetcher = (url, init = {}) => {
    const key = scope.getStore();
    const method = (init.method ?? 'GET').toUpperCase();
    if (!key || method !== 'POST' || typeof init.body !== 'string' || init.signal) return fetcher(url, init);
    const body = init.body;
    return new Promise<FetcherResponse>((resolve, reject) => enqueue(key, { url, init, body, bytes: Buffer.byteLength(body), resolve, reject }));
  };

  return { fetch, run: (key, fn) => scope.run(key, fn) };
}

/**
 * Subgraph request batching: the calls one operation makes to one subgraph close together (the
 * fetches of a query plan's Parallel node) travel as one HTTP POST whose body is a JSON array of
 * GraphQL requests, and the array answer is split back to each caller. The subgraph builds one
 * context per HTTP request, so the batch's operations share their DataLoaders.
 *
 * Batching is opt-in per subgraph (`SubgraphBatching`): many subgraphs refuse array bodies (stock
 * Apollo Server, whose `allowBatchedHttpRequests` is off by default, GraphQL Yoga).
 *
 * A call joins the batch of the operation it runs for (see `BatchingFetcher.run`). The batch is
 * sent on the event-loop turn after the last call joined, at the latest `maxWaitMs` after the
 * first, or as soon as it holds `maxSize` calls or `maxBytes` of bodies. A batch of one, and calls
 * whose headers differ from the others', go out as plain single requests.
 *
 * Answers: an array of one object per request gives every caller its own element; when its
 * status is not 2xx, elements that carry `data` are answered with 200 and the others with the
 * batch's status (a request error of one operation). Any other answer (a non-2xx or a 2xx whose
 * body is not such an array: "Operation batching disabled", "Batching is not supported", …) means
 * the subgraph did not take the batch: every call is sent again as its own request and receives
 * that request's answer. When one of those single requests succeeds, the subgraph takes single
 * requests but refuses batches, and this fetcher stops batching to it for its life
 * (@apollo/gateway keeps a subgraph's data source across supergraph reloads unless its URL
 * changes). A 413 answer only re-sends, as does a batch that every single request fails too (a
 * subgraph that is down is not marked as refusing). A batch that fails without an answer
 * (refused connection, timeout) fails every call, as single requests would.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subgraphEnvName } from './config.js';
import type { Fetcher } from './fetcher.js';

type FetcherRequestInit = NonNullable<Parameters<Fetcher>[1]>;
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/**
 * Which subgraphs receive batched requests: none, all, or the named ones (names as in the
 * supergraph, compared in their environment form: `my-graph` matches `MY_GRAPH`).
 */
export type SubgraphBatching = 'off' | 'all' | readonly string[];

/** Whether `setting` sends batched requests to the subgraph `subgraph`. Unset means off. */
export function batchesTo(setting: SubgraphBatching | undefined, subgraph: string): boolean {
  if (setting === undefined || setting === 'off') return false;
  if (setting === 'all') return true;
  const name = subgraphEnvName(subgraph);
  return setting.some((s) => subgraphEnvName(s) === name);
}

/** How a subgraph answered the batch it refused, for the log. */
export interface BatchRefusal {
  subgraph: string;
  status: number;
  /** The start of the answer's body. */
  body: string;
}

export interface BatchingOptions {
  /** Longest a call waits for others to join its batch, in milliseconds. Default 2. */
  maxWaitMs?: number;
  /** Most calls in one batch. Default 100. */
  maxSize?: number;
  /** Most bytes of request bodies in one batch. Default 512 KiB. */
  maxBytes?: number;
}

export interface BatchingFetcherOptions extends BatchingOptions {
  /** The subgraph's name (for errors and the log). */
  subgraph: string;
  /** Sends the batched and the single requests. */
  fetcher: Fetcher;
  /** Called once, when the subgraph is found to refuse batches. */
  onRefused?: (refusal: BatchRefusal) => void;
}

export interface BatchingFetcher {
  /** The fetcher to give the data source: batches calls made inside `run`, passes others on. */
  fetch: Fetcher;
  /** Runs `fn`; its calls of `fetch` are batched with other calls under the same `key`. */
  run<T>(key: object, fn: () => Promise<T>): Promise<T>;
}

interface Call {
  url: string;
  init: FetcherRequestInit;
  body: string;
  bytes: number;
  resolve: (res: FetcherResponse) => void;
  reject: (err: unknown) => void;
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
  return response;
}

/** The elements of a batch answer when it is an array of one object per call. */
function elementsOf(text: string, count: number): object[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const wellFormed = Array.isArray(parsed) && parsed.length === count && parsed.every((el) => typeof el === 'object' && el !== null && !Array.isArray(el));
  return wellFormed ? (parsed as object[]) : undefined;
}

/** Wraps `fetcher` so calls of one operation to the subgraph `subgraph` are batched. */
export function createBatchingFetcher({ subgraph, fetcher, onRefused, maxWaitMs = 2, maxSize = 100, maxBytes = 512 * 1024 }: BatchingFetcherOptions): BatchingFetcher {
  const scope = new AsyncLocalStorage<object>();
  const pending = new Map<object, Pending>();
  let refused = false;

  function single(call: Call): void {
    fetcher(call.url, call.init).then(call.resolve, call.reject);
  }

  /** Sends each call on its own after the subgraph did not take their batch. */
  function resend(calls: Call[], batch: FetcherResponse, text: string): void {
    const judge = batch.status !== 413;
    for (const call of calls) {
      fetcher(call.url, call.init).then((res) => {
        if (judge && res.ok && !refused) {
          refused = true;
          onRefused?.({ subgraph, status: batch.status, body: text.slice(0, 500) });
        }
        call.resolve(res);
      }, call.reject);
    }
  }

  async function sendBatch(calls: Call[]): Promise<void> {
    const [first] = calls;
    if (!first) return;
    const init: FetcherRequestInit = { ...first.init, method: 'POST', body: `[${calls.map((c) => c.body).join(',')}]` };
    let batch: FetcherResponse;
    let text: string;
    try {
      batch = await fetcher(first.url, init);
      text = await batch.text();
    } catch (err) {
      for (const call of calls) call.reject(err);
      return;
    }
    const elements = elementsOf(text, calls.length);
    if (!elements) return resend(calls, batch, text);
    calls.forEach((call, i) => {
      const el = elements[i];
      // elementsOf answers one element per call; a missing one would fail its call only.
      if (el === undefined) return call.reject(new Error(`the batch answer of ${subgraph} has no element ${i}`));
      call.resolve(memberResponse(batch, batch.ok || !('data' in el) ? batch.status : 200, JSON.stringify(el)));
    });
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
      if (group.length === 1 || refused) group.forEach(single);
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
    if (!key || refused || method !== 'POST' || typeof init.body !== 'string' || init.signal) return fetcher(url, init);
    const body = init.body;
    return new Promise<FetcherResponse>((resolve, reject) => enqueue(key, { url, init, body, bytes: Buffer.byteLength(body), resolve, reject }));
  };

  return { fetch, run: (key, fn) => scope.run(key, fn) };
}

/**
 * HTTP client for gateway → subgraph calls: keep-alive connection pools owned by one gateway
 * (destroyed by `close()`), a per-request timeout, and the `Fetcher` shape @apollo/gateway's
 * RemoteGraphQLDataSource expects.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';

/** The fetch shape RemoteGraphQLDataSource calls. */
export type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherRequestInit = NonNullable<Parameters<Fetcher>[1]>;
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

export interface SubgraphFetcher {
  fetch: Fetcher;
  /** Closes pooled connections; later calls fail. Safe to call twice. */
  close(): void;
}

export interface FetcherOptions {
  /** Abort a call that has not completed after this many milliseconds. */
  timeoutMs: number;
  /** Sockets kept per subgraph host. */
  maxSockets?: number;
}

/** Thrown when a subgraph does not answer in time. */
export class SubgraphTimeoutError extends Error {}

function responseOf(url: string, res: IncomingMessage, body: Buffer): FetcherResponse {
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (Array.isArray(v)) for (const item of v) headers.append(k, item);
    else if (v !== undefined) headers.set(k, v);
  }
  const status = res.statusCode ?? 0;
  const nullBody = status === 204 || status === 304;
  const response = new Response(nullBody ? null : body, { status, statusText: res.statusMessage ?? '', headers });
  Object.defineProperty(response, 'url', { value: url });
  return response as unknown as FetcherResponse;
}

/** Creates a keep-alive fetcher with a timeout. */
export function createSubgraphFetcher({ timeoutMs, maxSockets = 256 }: FetcherOptions): SubgraphFetcher {
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets, keepAliveMsecs: 1_000 });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets, keepAliveMsecs: 1_000 });
  let closed = false;

  const fetch: Fetcher = (url: string, init: FetcherRequestInit = {}) =>
    new Promise<FetcherResponse>((resolve, reject) => {
      if (closed) return reject(new Error('the gateway is stopping'));
      const signal = init.signal as AbortSignal | undefined;
      if (signal?.aborted) return reject(signal.reason);
      const target = new URL(url);
      const https = target.protocol === 'https:';
      const body = init.body === undefined ? undefined : Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body);
      const headers: Record<string, string> = { ...init.headers };
      if (body) headers['content-length'] = String(body.length);
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: unknown) => {
        done();
        reject(err);
      };
      const req = (https ? httpsRequest : httpRequest)(target, { method: init.method ?? 'GET', headers, agent: https ? httpsAgent : httpAgent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          done();
          resolve(responseOf(url, res, Buffer.concat(chunks)));
        });
        res.on('error', fail);
      });
      const onAbort = () => req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      const timer = setTimeout(() => req.destroy(new SubgraphTimeoutError(`no answer from ${target.host} within ${timeoutMs} ms`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', fail);
      req.end(body);
    });

  return {
    fetch,
    close() {
      closed = true;
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

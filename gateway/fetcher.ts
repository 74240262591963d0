/**
 * HTTP client for gateway → subgraph calls: keep-alive connection pools owned by one gateway
 * (destroyed by `close()`), a per-request timeout, and the `Fetcher` shape @apollo/gateway's
 * RemoteGraphQLDataSource expects.
 *
 * Keep-alive: a pooled connection left idle for `idleTimeoutMs` is closed by the gateway. Keep it
 * below the subgraph server's keep-alive timeout (Node's http server: 5 s), so the gateway never
 * sends a request on a connection the server is closing. A server that announces a shorter
 * timeout (`Keep-Alive: timeout=N`) is honoured too: its connections are closed one second
 * before N.
 *
 * Stale connections: when a call on a reused connection fails because the peer closed or reset
 * it before any byte of an answer arrived (ECONNRESET, "socket hang up", EPIPE), the request never
 * reached a server that answered it. Calls whose GraphQL operations are all queries (and GETs)
 * are sent once more, on a new connection. A call that holds a mutation, or a body that cannot
 * be read as GraphQL, is never sent again: the server may have received it.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import { OperationTypeNode, getOperationAST, parse } from 'graphql';

/** The fetch shape RemoteGraphQLDataSource calls. */
export type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherRequestInit = NonNullable<Parameters<Fetcher>[1]>;
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

export interface SubgraphFetcher {
  fetch: Fetcher;
  /** Closes pooled connections; later calls fail. Safe to call twice. */
  close(): void;
}

/** How long a pooled subgraph connection may stay idle before the gateway closes it (ms). */
export const DEFAULT_IDLE_TIMEOUT_MS = 4_000;

export interface FetcherOptions {
  /** Abort a call that has not completed after this many milliseconds (a repeated send included). */
  timeoutMs: number;
  /**
   * Close a pooled connection idle for this many milliseconds. Must be below the subgraphs'
   * keep-alive timeout. Default 4000 (Node's http server keeps idle connections 5 s).
   */
  idleTimeoutMs?: number;
  /** Sockets kept per subgraph host. */
  maxSockets?: number;
}

/** Thrown when a subgraph does not answer in time. */
export class SubgraphTimeoutError extends Error {}

/** Error codes of a connection the peer closed or reset. */
const PEER_CLOSED_CODES = new Set(['ECONNRESET', 'EPIPE']);

/** What a failed fetch rejects with: the error itself, or an Error carrying a non-error reason. */
function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(`the subgraph request failed: ${String(reason)}`);
}

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
  return response;
}

/**
 * Whether sending this request twice cannot change data: a GET or HEAD, or a GraphQL POST body
 * (one request or a batch) whose every operation is a query. Unreadable bodies count as unsafe.
 */
export function isSafeToResend(method: string, body: string | undefined): boolean {
  if (method === 'GET' || method === 'HEAD') return true;
  if (body === undefined) return false;
  try {
    const parsed: unknown = JSON.parse(body);
    const requests = Array.isArray(parsed) ? parsed : [parsed];
    return (
      requests.length > 0 &&
      requests.every((r: unknown) => {
        const { query, operationName } = (r ?? {}) as { query?: unknown; operationName?: unknown };
        if (typeof query !== 'string') return false;
        const op = getOperationAST(parse(query), typeof operationName === 'string' ? operationName : undefined);
        return op?.operation === OperationTypeNode.QUERY;
      })
    );
  } catch {
    return false;
  }
}

/** Creates a keep-alive fetcher with a timeout. */
export function createSubgraphFetcher({ timeoutMs, idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS, maxSockets = 256 }: FetcherOptions): SubgraphFetcher {
  // `timeout` is the idle timeout of pooled sockets: a free socket that sees no traffic for that
  // long is destroyed (a socket in use is not: the call's own timer bounds it).
  const agentOptions = { keepAlive: true, maxSockets, keepAliveMsecs: 1_000, timeout: idleTimeoutMs };
  const httpAgent = new HttpAgent(agentOptions);
  const httpsAgent = new HttpsAgent(agentOptions);
  let closed = false;
  /** Requests on their own connection (outside the pools), destroyed by close(). */
  const unpooled = new Set<ClientRequest>();

  const fetch: Fetcher = (url: string, init: FetcherRequestInit = {}) =>
    new Promise<FetcherResponse>((resolve, reject) => {
      if (closed) return reject(new Error('the gateway is stopping'));
      const signal = init.signal as AbortSignal | undefined;
      if (signal?.aborted) return reject(asError(signal.reason));
      const target = new URL(url);
      const https = target.protocol === 'https:';
      const method = (init.method ?? 'GET').toUpperCase();
      const body = init.body === undefined ? undefined : Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body);
      const headers: Record<string, string> = { ...init.headers };
      if (body) headers['content-length'] = String(body.length);
      let current: ClientRequest | undefined;
      let settled = false;
      const done = () => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: unknown) => {
        if (settled) return;
        done();
        reject(asError(err));
      };

      /** Sends the request; `fresh` sends it on a new connection that is closed after the answer. */
      const send = (fresh: boolean): void => {
        const agent = fresh ? false : https ? httpsAgent : httpAgent;
        const req = (https ? httpsRequest : httpRequest)(target, { method, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            if (settled) return;
            done();
            resolve(responseOf(url, res, Buffer.concat(chunks)));
          });
          res.on('error', fail);
        });
        current = req;
        if (fresh) {
          unpooled.add(req);
          req.on('close', () => unpooled.delete(req));
        }
        let socket: Socket | undefined;
        let bytesReadBefore = 0;
        let answered = false;
        req.on('socket', (s: Socket) => {
          socket = s;
          bytesReadBefore = s.bytesRead;
        });
        req.on('response', () => {
          answered = true;
        });
        req.on('error', (err: NodeJS.ErrnoException) => {
          const staleConnection =
            !fresh && !answered && !settled && !closed && req.reusedSocket && PEER_CLOSED_CODES.has(err.code ?? '') && socket !== undefined && socket.bytesRead === bytesReadBefore;
          if (staleConnection && isSafeToResend(method, body?.toString('utf8'))) send(true);
          else fail(err);
        });
        req.end(body);
      };

      const onAbort = () => current?.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      const timer = setTimeout(() => current?.destroy(new SubgraphTimeoutError(`no answer from ${target.host} within ${timeoutMs} ms`)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      send(false);
    });

  return {
    fetch,
    close() {
      closed = true;
      httpAgent.destroy();
      httpsAgent.destroy();
      for (const req of unpooled) req.destroy(new Error('the gateway is stopping'));
    },
  };
}

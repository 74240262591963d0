/**
 * The gateway's graphql-ws endpoint (`/graphql` on the gateway's own HTTP server): authenticates
 * connections (`connection.ts`), authorizes, plans and deduplicates subscriptions, and fans events out.
 *
 * Close codes: 4403 credentials refused or expired, 4429 slow consumer (reconnect and resume with
 * `after`), 1001 gateway shutting down (after every subscription got `complete`), and graphql-ws's
 * own. A schema reload ends subscriptions with an `error` message coded SCHEMA_RELOADED; the socket
 * stays open for the client to resubscribe.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { makeServer, handleProtocols, type ServerOptions } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../../platform/logger.js';
import { createPrincipalSigner, type Principal } from '../../platform/principal.js';
import { authenticateConnection, createConnection, type Authenticated, type Connection } from './connection.js';
import { codedError, refusal, toErrorMessage } from './errors.js';
import { prepareSubscription, type Admit, type Authorize } from './prepare.js';
import { createSchemaState, type SchemaState, type SupergraphInput } from './schema.js';
import { createStandaloneSources, type DataSourceFetcher, type FetchSources } from './sources.js';
import { createHub, type SubscriptionHub } from './hub.js';
import type { SharedCounters, SharedSpec } from './shared.js';
import { Heartbeat } from './heartbeat.js';
import { ClientSubscription, GatewayCloseCode } from './subscriber.js';
import { createUpstreamPool, type UpstreamPool } from './upstream.js';

/** Options of the endpoint (`createSubscriptionServer`). */
export interface SubscriptionServerOptions {
  supergraph: SupergraphInput;
  internalSecret: string;
  logger: Logger;
  /** Verifies `connection_init` credentials; throw to refuse (4403). Default: everyone is anonymous. */
  authenticate?: (credentials: unknown) => Promise<Authenticated>;
  /** Subscribe-time operation rules (the same the gateway applies over HTTP). */
  authorize?: Authorize;
  /** Subscribe-time abuse and rate limits. */
  admit?: Admit;
  /** Whether the caller may see the schema; when false, errors carry no "Did you mean …?" suggestions. Default: yes. */
  revealsSchema?: (principal: Principal) => boolean;
  /** The caller's address for `admit` (default: the socket's remote address). */
  clientAddress?: (req: IncomingMessage) => string;
  path?: string;
  /** Pending output per socket before it is closed as a slow consumer. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** WebSocket ping interval; a socket that misses a pong is terminated. Default 12 s. */
  keepAliveMs?: number;
  /**
   * How often an authenticated connection's credentials are verified again (the token, the key, and
   * that the user is not erased); a refusal closes it with 4403. 0 turns it off. Default 30 s.
   */
  revalidateMs?: number;
  connectionInitWaitMs?: number;
  exposeErrors?: boolean;
  /**
   * Data sources for per-event fetches (inside the gateway: the gateway's own). Default: direct
   * data sources to the supergraph's subgraph URLs, using `fetcher` when given.
   */
  sources?: FetchSources;
  fetcher?: DataSourceFetcher;
  maxPendingEvents?: number;
  /** Fan-out passes over a subscription's subscribers start at most this often. Default 0. */
  minPassIntervalMs?: number;
  backoffMs?: { min: number; max: number };
  /** Longest wait in stop() for `complete` messages to reach the sockets. Default 2 s. */
  shutdownGraceMs?: number;
}

/** Counters of the endpoint. */
export interface SubscriptionStats extends SharedCounters {
  connections: number;
  subscribers: number;
  /** Distinct subscriptions, each with one upstream subscription. */
  sharedSubscriptions: number;
  slowConsumerDisconnects: number;
  /** Connections closed because their credentials expired or are no longer accepted (re-verification). */
  expiredDisconnects: number;
}

/** The running endpoint. */
export interface SubscriptionServer {
  /** Takes an HTTP upgrade for the endpoint's path; false when the path is not this endpoint's. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Listens for upgrades on an HTTP server; returns the detach function. */
  attach(server: HttpServer): () => void;
  /** Serves a new supergraph; open subscriptions end with SCHEMA_RELOADED. Throws for an unusable one. */
  reload(supergraph: SupergraphInput): void;
  stats(): SubscriptionStats;
  /** Completes every subscription, then closes sockets and subgraph connections. Safe to call twice. */
  stop(): Promise<void>;
}

interface Extra {
  socket: WebSocket;
}

/** What `onSubscribe` hands to `subscribe` through graphql-ws's execution args. */
interface Prepared {
  spec: SharedSpec;
  socket: WebSocket;
  id: string;
}

/** Creates the subscription endpoint. Throws when the supergraph cannot be served. */
export function createSubscriptionServer(opts: SubscriptionServerOptions): SubscriptionServer {
  const { internalSecret, logger, authenticate, authorize, admit, clientAddress = (req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown', path = '/graphql', maxBufferedBytes = 1 << 20, keepAliveMs = 12_000, revalidateMs = 30_000, connectionInitWaitMs = 3_000, exposeErrors = false, sources, fetcher, maxPendingEvents, minPassIntervalMs, backoffMs, shutdownGraceMs = 2_000 } = opts;
  const signer = createPrincipalSigner({ secret: internalSecret });
  const counters: SharedCounters = { upstreamOpened: 0, upstreamResubscribed: 0, planExecutions: 0, eventsDelivered: 0, fanOutMs: 0, socketWrites: 0 };
  let slowConsumerDisconnects = 0;
  let expiredDisconnects = 0;
  let version = 1;
  const build = (input: SupergraphInput, v: number) => createSchemaState({ supergraph: input, version: v, sources: sources ?? createStandaloneSources({ subgraphs: input.subgraphs, signer, fetcher }) });
  let state: SchemaState = build(opts.supergraph, version);
  const runtimeFor = (s: SchemaState) => {
    const pool = createUpstreamPool({ wsUrls: s.wsUrls, signer, logger });
    return { pool, hub: createHub({ pool, signer, logger, counters, exposeErrors, maxPendingEvents, minPassIntervalMs, backoffMs }) };
  };
  let runtime: { pool: UpstreamPool; hub: SubscriptionHub } = runtimeFor(state);
  const conns = new Map<WebSocket, Connection>();
  const active = new Set<ClientSubscription>();
  const pendingSends = new Set<Promise<void>>();
  let stopping: Promise<void> | undefined;

  const protocol = makeServer<Record<string, unknown>, Extra>({
    connectionInitWaitTimeout: connectionInitWaitMs,
    onConnect: async (ctx) => {
      const socket = ctx.extra.socket;
      const conn = conns.get(socket);
      if (!conn || stopping) return false;
      if (!authenticate) {
        conn.request = undefined;
        return true;
      }
      return authenticateConnection({ conn, socket, params: ctx.connectionParams, authenticate, onExpired: () => void expiredDisconnects++, revalidateMs, onRevoked: () => void expiredDisconnects++, logger });
    },
    onSubscribe: async (ctx, id, payload) => {
      const socket = ctx.extra.socket;
      const conn = conns.get(socket);
      if (!conn || stopping) return refusal([codedError('SERVICE_UNAVAILABLE', 'The gateway is shutting down')]);
      const current = state;
      const spec = await prepareSubscription(current, conn.principal, conn.address, payload, { authorize, admit, revealsSchema: opts.revealsSchema, logger });
      if (Array.isArray(spec)) return refusal(spec);
      const prepared: Prepared = { spec, socket, id };
      return { schema: current.apiGraphQLSchema, document: spec.document, operationName: spec.operationName, variableValues: spec.variables, contextValue: prepared };
    },
    subscribe: (args) => {
      const { spec, socket, id } = args.contextValue as Prepared;
      const sub = new ClientSubscription({
        id,
        output: {
          socket,
          maxBufferedBytes,
          onOverflow: () => {
            if (socket.readyState !== socket.OPEN) return;
            slowConsumerDisconnects++;
            socket.close(GatewayCloseCode.SlowConsumer, 'Slow consumer: reconnect and resume with after');
          },
        },
        onFinished: (s) => active.delete(s),
      });
      if (spec.state !== state || stopping) {
        sub.end([codedError(stopping ? 'SERVICE_UNAVAILABLE' : 'SCHEMA_RELOADED')]);
        return sub;
      }
      active.add(sub);
      sub.leave = runtime.hub.join(spec, sub);
      return sub;
    },
    onError: (_ctx, _id, _payload, errors) => toErrorMessage(errors, exposeErrors),
  } satisfies ServerOptions<Record<string, unknown>, Extra>);

  function open(socket: WebSocket, request: IncomingMessage): void {
    const conn = createConnection({ request, address: clientAddress(request) });
    conns.set(socket, conn);
    heartbeat.add(socket);
    socket.on('pong', () => {
      conn.alive = true;
    });
    socket.on('error', (err) => {
      logger.debug({ err }, 'subscription socket error');
      socket.terminate();
    });
    const closed = protocol.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          if (socket.readyState !== socket.OPEN) return;
          const sent = new Promise<void>((resolve) => socket.send(data, () => resolve()));
          pendingSends.add(sent);
          void sent.then(() => pendingSends.delete(sent));
          return sent;
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', (data) => {
            cb(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8')).catch((err: unknown) => {
              logger.error({ err }, 'subscription message handling failed');
              socket.close(4500, 'Internal server error');
            });
          }),
      },
      { socket },
    );
    socket.once('close', (code, reason) => {
      clearTimeout(conn.expiry);
      clearInterval(conn.revalidation);
      conns.delete(socket);
      heartbeat.delete(socket);
      void closed(code, String(reason));
    });
  }

  const wss = new WebSocketServer({ noServer: true, handleProtocols, perMessageDeflate: false, maxPayload: 256 * 1024, clientTracking: false });
  // Each socket is pinged once per keepAliveMs; a socket that has not answered the previous ping is terminated.
  const heartbeat = new Heartbeat<WebSocket>({
    intervalMs: keepAliveMs,
    visit: (socket) => {
      const conn = conns.get(socket);
      if (!conn) return heartbeat.delete(socket);
      if (!conn.alive) return socket.terminate();
      conn.alive = false;
      socket.ping();
    },
  });

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if ((req.url ?? '/').split('?')[0] !== path) return false;
    if (stopping) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return true;
    }
    wss.handleUpgrade(req, socket, head, (ws) => open(ws, req));
    return true;
  }

  const waitFor = (p: Promise<unknown>, ms: number) => Promise.race([p, new Promise<void>((r) => setTimeout(r, ms).unref())]);

  return {
    handleUpgrade,
    attach(server) {
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        // Another path with nobody else listening would hang: refuse it.
        if (!handleUpgrade(req, socket, head) && server.listenerCount('upgrade') === 1) socket.destroy();
      };
      server.on('upgrade', onUpgrade);
      return () => void server.off('upgrade', onUpgrade);
    },
    reload(supergraph) {
      const next = build(supergraph, ++version);
      const old = runtime;
      state = next;
      runtime = runtimeFor(next);
      old.hub.closeAll([codedError('SCHEMA_RELOADED')]);
      void old.pool.dispose();
      logger.info({ version }, 'subscriptions: supergraph reloaded');
    },
    stats: () => ({
      ...counters,
      connections: conns.size,
      subscribers: active.size,
      sharedSubscriptions: runtime.hub.size(),
      slowConsumerDisconnects,
      expiredDisconnects,
    }),
    stop() {
      stopping ??= (async () => {
        heartbeat.stop();
        runtime.hub.closeAll();
        // graphql-ws sends `complete` for each ended subscription on the next ticks; let them reach the sockets.
        await new Promise<void>((r) => setImmediate(r));
        await waitFor(Promise.all([...pendingSends]), shutdownGraceMs);
        const closing = [...conns.keys()].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.once('close', () => resolve());
              s.close(GatewayCloseCode.GoingAway, 'Gateway shutting down');
            }),
        );
        await waitFor(Promise.all(closing), shutdownGraceMs);
        for (const s of conns.keys()) s.terminate();
        await runtime.pool.dispose();
        await new Promise<void>((r) => wss.close(() => r()));
      })();
      return stopping;
    },
  };
}

/**
 * Runs one subgraph: GraphQL over HTTP (POST/GET /graphql) and graphql-ws (/graphql) on one port,
 * `/health` and `/ready`, correlation ids, verified principals, spec-shaped errors.
 *
 * Principals: the gateway signs the caller into the `x-principal` header (HTTP) or into the
 * subscribe message's `extensions.principal` (WebSocket). A missing principal is anonymous; a
 * present but invalid one is refused with UNAUTHENTICATED. WebSocket connections must present an
 * internal principal in `connectionParams.principal` when `requireInternalConnection` is on.
 */
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { appError, toSpecError } from '../../platform/errors.js';
import { CORRELATION_HEADER, HttpError, correlationIdOf, executeApolloHttp, parseJson, readBody, sendError, sendJson } from '../../platform/http.js';
import type { Logger } from '../../platform/logger.js';
import { InvalidPrincipalError, PRINCIPAL_HEADER, createPrincipalVerifier, type Principal } from '../../platform/principal.js';
import type { BaseSubgraphContext } from './context.js';

/** An extra HTTP route (e.g. `POST /webhooks/stripe`). Return true when handled. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, correlationId: string) => Promise<boolean>;

/** What a subgraph server serves and how. */
export interface SubgraphServerOptions<TContext extends BaseSubgraphContext> {
  name: string;
  schema: GraphQLSchema;
  /** Builds the per-request context (DataLoaders are created here, once per request). */
  buildContext: (base: BaseSubgraphContext) => TContext | Promise<TContext>;
  logger: Logger;
  internalSecret: string;
  port?: number;
  host?: string;
  /** Readiness probe (e.g. a database ping). */
  ready?: () => Promise<boolean>;
  routes?: RouteHandler[];
  /** Refuse WebSocket connections without an internal principal. Default true. */
  requireInternalConnection?: boolean;
  /** Show unexpected error messages (development only). */
  exposeErrors?: boolean;
  maxBodyBytes?: number;
  plugins?: ApolloServerPlugin<TContext>[];
}

/** A listening subgraph server. */
export interface SubgraphServer {
  name: string;
  url: string;
  wsUrl: string;
  port: number;
  httpServer: Server;
  /** Stops accepting, completes subscriptions, closes sockets. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts a subgraph server and resolves once it listens. */
export async function startSubgraphServer<TContext extends BaseSubgraphContext>(opts: SubgraphServerOptions<TContext>): Promise<SubgraphServer> {
  const { name, schema, buildContext, logger, internalSecret, port = 0, host = '127.0.0.1', ready = () => Promise.resolve(true), routes = [], requireInternalConnection = true, exposeErrors = false, maxBodyBytes = 1_000_000, plugins = [] } = opts;
  const principals = createPrincipalVerifier({ secret: internalSecret });

  const apollo = new ApolloServer<TContext>({
    schema,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // The gateway sends the fetches of one operation to this subgraph close together as one JSON
    // array; Apollo builds the context once per HTTP request, so they share its DataLoaders.
    allowBatchedHttpRequests: true,
    // The process owns shutdown (stop() below); Apollo's own handlers would re-raise the signal.
    stopOnTerminationSignals: false,
    // Federated traces (ftv1) only serve Apollo's usage reporting, which the gateway keeps off.
    plugins: [ApolloServerPluginInlineTraceDisabled(), ...plugins],
    formatError: (formatted, original) =>
      toSpecError(formatted, original, {
        exposeUnexpected: exposeErrors,
        onMasked: (err) => logger.error({ err }, 'unexpected error'),
      }),
  });
  await apollo.start();

  async function contextFor(principal: Principal, correlationId: string): Promise<TContext> {
    return buildContext({ principal, correlationId, logger: logger.child({ correlationId }) });
  }

  const httpServer = createServer((req, res) => {
    const correlationId = correlationIdOf(req);
    res.setHeader(CORRELATION_HEADER, correlationId);
    handle(req, res, correlationId).catch((err: unknown) => {
      if (err instanceof HttpError) return sendError(res, err.code, err.message, correlationId, err.details);
      logger.error({ err, correlationId }, 'request failed');
      sendError(res, 'INTERNAL_SERVER_ERROR', 'Unexpected error', correlationId);
    });
  });
  httpServer.keepAliveTimeout = 65_000;

  async function handle(req: IncomingMessage, res: ServerResponse, correlationId: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return sendJson(res, 200, { status: 'ok', subgraph: name });
    if (path === '/ready') {
      const ok = await ready().catch(() => false);
      return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'unavailable', subgraph: name });
    }
    for (const route of routes) if (await route(req, res, correlationId)) return;
    if (path !== '/graphql' && path !== '/') return sendError(res, 'RESOURCE_NOT_FOUND', 'Not found', correlationId);
    let principal: Principal;
    try {
      principal = await principals.verify(req.headers[PRINCIPAL_HEADER]);
    } catch (err) {
      if (err instanceof InvalidPrincipalError) return sendError(res, 'UNAUTHENTICATED', 'The caller principal is not valid', correlationId, err.message);
      throw err;
    }
    const body = req.method === 'POST' ? parseJson(await readBody(req, maxBodyBytes)) : undefined;
    await executeApolloHttp(apollo, req, res, body, () => contextFor(principal, correlationId), { [CORRELATION_HEADER]: correlationId });
  }

  const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsDisposable = useServer<Record<string, unknown>, { connectionPrincipal?: Principal }>(
    {
      schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        try {
          const p = await principals.verify(params.principal);
          if (requireInternalConnection && p.kind !== 'internal') return false;
          ctx.extra.connectionPrincipal = p;
          return true;
        } catch {
          return false;
        }
      },
      context: async (ctx, _id, payload) => {
        const ext = payload.extensions ?? {};
        const correlationId = typeof ext.correlationId === 'string' ? ext.correlationId : `ws-${_id}`;
        let principal = ctx.extra.connectionPrincipal;
        if (ext.principal !== undefined) {
          try {
            principal = await principals.verify(ext.principal);
          } catch {
            throw appError('UNAUTHENTICATED', 'The caller principal is not valid');
          }
        }
        // onConnect accepts a connection only with a verified principal, so every subscription has one.
        if (!principal) throw appError('UNAUTHENTICATED', 'The connection carries no principal');
        return contextFor(principal, correlationId);
      },
      onError: (_ctx, _id, _payload, errors) => {
        logger.warn({ errors }, 'subscription error');
      },
    },
    wss,
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const actualPort = (httpServer.address() as AddressInfo).port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  let stopping: Promise<void> | undefined;

  return {
    name,
    url: `http://${hostForUrl}:${actualPort}/graphql`,
    wsUrl: `ws://${hostForUrl}:${actualPort}/graphql`,
    port: actualPort,
    httpServer,
    stop() {
      stopping ??= (async () => {
        for (const client of wss.clients) client.close(1001, 'Server shutting down');
        await wsDisposable.dispose();
        await new Promise<void>((r) => wss.close(() => r()));
        await apollo.stop();
        httpServer.closeAllConnections();
        await new Promise<void>((r) => httpServer.close(() => r()));
      })();
      return stopping;
    },
  };
}

/**
 * The gateway server: one Node HTTP server with GraphQL over HTTP on `/graphql` (Apollo Server +
 * @apollo/gateway), `/health`, `/ready`, extension routes, and the WebSocket upgrade handed to an
 * plugin. Request pipeline: correlation id → CORS → route → body (size limit, JSON) → admission
 * (`gateway/admission.ts`: the plugins' buildContext, onParams, the parse kept in `ctx.operation`,
 * onOperation) → Apollo (CSRF prevention, the shared document, plugins' Apollo plugins, plan and
 * execute) → spec-shaped errors with the correlation id, answered as GraphQL over HTTP asks
 * (`gateway/http.ts`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloGateway } from '@apollo/gateway';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import { appError, isAppError } from '../platform/errors.js';
import { CORRELATION_HEADER, HttpError, correlationIdOf, parseJson, readBody, sendJson } from '../platform/http.js';
import { createLogger, type Logger } from '../platform/logger.js';
import { ANONYMOUS, type Principal } from '../platform/principal.js';
import { createAdmissions } from './admission.js';
import { applyLibraryEnvironment, type GatewayConfig } from './config.js';
import { handleCors } from './cors.js';
import { createDataSources } from './datasource.js';
import { formatGatewayError, type ErrorScope } from './errors.js';
import { createSubgraphFetcher } from './fetcher.js';
import { answerReady } from './health.js';
import { answerError, answerGraphQL, createRequestOutcomes, createServedGateway } from './http.js';
import { createApolloLogger } from './logging.js';
import { createDocumentPlugin, createOperationParser } from './operation.js';
import { createSupergraphSource, type ReloadOutcome } from './reload.js';
import type { PreparedSupergraph } from './supergraph.js';
import type { GatewayContext, GatewayExtension, GatewayState } from './types.js';

/** Options of `createGateway`. */
export interface GatewayOptions {
  config: GatewayConfig;
  /** A fixed supergraph; when absent the file at `supergraphPath` is served and watched. */
  supergraphSdl?: string;
  /** Defaults to `config.supergraphPath`. */
  supergraphPath?: string;
  /** Reload when the supergraph file changes (default true). */
  watch?: boolean;
  reloadDebounceMs?: number;
  /** The plugins, in pipeline order (see `gateway/plugins.ts`). */
  extensions?: GatewayExtension[];
  logger?: Logger;
  /** Called each time the gateway parses an operation text (a cached text is not parsed again). */
  onParse?: (source: string) => void;
  /** Defaults to `config.port` / `config.host`; 0 picks a free port. */
  port?: number;
  host?: string;
}

/** A running gateway. */
export interface GatewayServer {
  url: string;
  wsUrl: string;
  port: number;
  httpServer: Server;
  /** The current state (schema, supergraph, data sources), as extensions see it. */
  getState(): GatewayState;
  /** Reads the supergraph file again now (a file change does the same after a short debounce). */
  reload(): Promise<ReloadOutcome>;
  /** Stops accepting, lets in-flight requests finish (up to the grace period), closes everything. Safe to call twice. */
  stop(): Promise<void>;
}

const JSON_TYPE = /^application\/(graphql-response\+)?json\s*(;|$)/i;

/** Builds the gateway, loads the supergraph and listens. */
export async function createGateway(opts: GatewayOptions): Promise<GatewayServer> {
  const { config, extensions = [], watch = true } = opts;
  const logger = opts.logger ?? createLogger('gateway', config.logLevel);
  const scope = new AsyncLocalStorage<ErrorScope>();
  const disposers: Array<() => Promise<void> | void> = [];
  const disposeAll = async () => {
    for (const dispose of disposers.splice(0).reverse()) {
      await Promise.resolve()
        .then(dispose)
        .catch((err: unknown) => logger.error({ err }, 'dispose failed'));
    }
  };
  /** A failed start releases what was already built. */
  const failed = async (err: unknown): Promise<never> => {
    await disposeAll();
    throw err;
  };
  applyLibraryEnvironment(config);

  const fetcher = createSubgraphFetcher({ timeoutMs: config.subgraphTimeoutMs, idleTimeoutMs: config.subgraphIdleTimeoutMs });
  disposers.push(() => fetcher.close());
  const dataSources = createDataSources({ fetcher: fetcher.fetch, internalSecret: config.internalSecret, extensions, logger, batching: config.subgraphBatching });

  let apiSchema: GraphQLSchema | undefined;
  let stopping = false;
  const notifySchema = (prepared: PreparedSupergraph) => {
    for (const e of extensions) {
      try {
        e.onSchemaChange?.(apiSchema!, prepared);
      } catch (err) {
        logger.error({ err, extension: e.name }, 'onSchemaChange failed');
      }
    }
  };
  const source = await createSupergraphSource({
    sdl: opts.supergraphSdl,
    path: opts.supergraphSdl === undefined ? (opts.supergraphPath ?? config.supergraphPath) : undefined,
    watch,
    debounceMs: opts.reloadDebounceMs,
    subgraphUrls: config.subgraphUrls,
    logger,
    onUpdated: notifySchema,
  }).catch(failed);
  disposers.push(() => source.close());

  const gateway = new ApolloGateway({
    supergraphSdl: source.hook,
    buildService: (def) => dataSources.build(def),
    logger: createApolloLogger(logger),
    validateSupergraph: true,
    __exposeQueryPlanExperimental: false,
  });
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
    apiSchema = schema;
  });
  const outcomes = createRequestOutcomes();
  const tokenLimits = extensions.flatMap((e) => (e.maxTokens === undefined ? [] : [e.maxTokens]));
  const parser = createOperationParser({ maxTokens: tokenLimits.length ? Math.min(...tokenLimits) : undefined, onParse: opts.onParse });
  const admissions = createAdmissions({ extensions, parser });
  const introspection = config.introspection || extensions.some((e) => e.gatesIntrospection);

  const schemaDeciders = extensions.filter((e) => e.revealsSchema !== undefined);
  /** Whether error messages may suggest schema names to this caller (introspection is open to them). */
  const revealsSchema = (principal: Principal): boolean =>
    schemaDeciders.length > 0 ? schemaDeciders.every((e) => e.revealsSchema!(principal)) : config.introspection;

  const currentScope = (): ErrorScope => scope.getStore() ?? { logger, revealSchema: revealsSchema(ANONYMOUS) };
  const apollo = new ApolloServer<GatewayContext>({
    gateway: createServedGateway(gateway),
    introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    logger: createApolloLogger(logger),
    // Documents are parsed and validated once, by the gateway (`createDocumentPlugin`).
    documentStore: null,
    plugins: [outcomes.plugin, createDocumentPlugin({ parser, introspection }), ...extensions.flatMap((e) => e.apolloPlugins ?? [])],
    formatError: (formatted, original) => formatGatewayError(formatted, original, currentScope(), config.exposeErrors),
  });
  await apollo.start().catch(failed);
  disposers.push(() => apollo.stop());

  function createContext(init: { correlationId?: string; principal?: Principal; req?: IncomingMessage } = {}): GatewayContext {
    const correlationId = init.correlationId ?? randomUUID();
    return { correlationId, logger: logger.child({ correlationId }), principal: init.principal ?? ANONYMOUS, extras: {}, ...(init.req ? { req: init.req } : {}) };
  }
  const getState = (): GatewayState => ({
    schema: apiSchema!,
    prepared: source.current(),
    serviceMap: () => dataSources.serviceMap(),
    createContext,
    admitOperation: (ctx, init) => admissions.admitDetached(ctx, init),
    config,
    logger,
    stopping,
  });
  notifySchema(source.current());

  let inFlight = 0;
  let drained: (() => void) | undefined;
  const httpServer = createServer((req, res) => {
    inFlight++;
    const correlationId = correlationIdOf(req);
    const log = logger.child({ correlationId });
    const started = process.hrtime.bigint();
    res.setHeader(CORRELATION_HEADER, correlationId);
    if (stopping) res.setHeader('connection', 'close');
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) drained?.();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info({ method: req.method, path: (req.url ?? '/').split('?')[0], status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    const store = { correlationId, logger: log, revealSchema: revealsSchema(ANONYMOUS) };
    const refuse = (err: GraphQLError, headers?: Record<string, string>) => answerError({ req, res, err, scope: store, exposeErrors: config.exposeErrors, headers });
    void scope.run(store, () =>
      handle(req, res, store, refuse).catch((err: unknown) => {
        if (err instanceof HttpError) return refuse(appError(err.code, err.message, { details: err.details }));
        if (isAppError(err)) return refuse(err);
        log.error({ err }, 'request failed');
        refuse(appError('INTERNAL_SERVER_ERROR', 'Unexpected error', { details: `Quote correlation id ${correlationId} when reporting this.` }));
      }),
    );
  });
  httpServer.keepAliveTimeout = 65_000;
  const routes = extensions.flatMap((e) => e.httpRoutes ?? []);

  /** Serves one request; `refuse` answers a coded error raised before Apollo runs. */
  async function handle(req: IncomingMessage, res: ServerResponse, store: ErrorScope & { correlationId: string }, refuse: (err: GraphQLError, headers?: Record<string, string>) => void): Promise<void> {
    const { correlationId } = store;
    if (handleCors(req, res, config.corsOrigins, correlationId)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/ready') return answerReady(res, { stopping, subgraphs: source.current().subgraphs, fetch: fetcher.fetch, timeoutMs: Math.min(config.subgraphTimeoutMs, 2_000) });
    for (const route of routes) if (await route(req, res, { correlationId, logger: store.logger })) return;
    if (path !== '/graphql') return refuse(appError('RESOURCE_NOT_FOUND', 'Not found', { details: `No route for ${path}` }));
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'POST') {
      req.resume();
      return refuse(appError('METHOD_NOT_ALLOWED', 'Method not allowed', { details: 'Use GET or POST on /graphql' }), { allow: 'GET, POST' });
    }
    let body: unknown;
    if (method === 'POST') {
      const contentType = req.headers['content-type'] ?? '';
      if (!JSON_TYPE.test(contentType)) {
        req.resume();
        const details = 'POST /graphql takes Content-Type: application/json';
        return refuse(appError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type', { details }), { 'accept-post': 'application/json' });
      }
      body = parseJson(await readBody(req, config.maxBodyBytes));
      if (typeof body !== 'object' || body === null) throw new HttpError('BAD_USER_INPUT', 'The request body must be a JSON object', 'Send {"query": "...", "variables": {...}}');
    }
    const ctx = createContext({ correlationId, req });
    await admissions.admitRequest(ctx, req, res, body);
    store.revealSchema = revealsSchema(ctx.principal);
    await answerGraphQL({ apollo, outcomes, req, res, body, ctx });
  }

  disposers.push(() => {
    httpServer.closeAllConnections();
    if (httpServer.listening) httpServer.close();
  });
  for (const e of extensions) if (e.attachWebSocket) await Promise.resolve(e.attachWebSocket(httpServer, getState)).catch(failed);

  const host = opts.host ?? config.host;
  await new Promise<void>((resolveListen, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(opts.port ?? config.port, host, () => {
      httpServer.off('error', reject);
      resolveListen();
    });
  }).catch(failed);
  const port = (httpServer.address() as AddressInfo).port;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  logger.info({ port, subgraphs: source.current().subgraphs }, 'gateway listening');

  let stopped: Promise<void> | undefined;
  async function shutdown(): Promise<void> {
    stopping = true;
    const closed = new Promise<void>((r) => httpServer.close(() => r()));
    httpServer.closeIdleConnections();
    for (const e of [...extensions].reverse()) {
      await e.stop?.().catch((err: unknown) => logger.error({ err, extension: e.name }, 'extension stop failed'));
    }
    if (inFlight > 0) {
      await new Promise<void>((r) => {
        drained = r;
        setTimeout(r, config.shutdownGraceMs).unref();
      });
    }
    httpServer.closeAllConnections();
    await closed;
    await disposeAll();
    logger.info('gateway stopped');
  }

  return {
    url: `http://${hostForUrl}:${port}/graphql`,
    wsUrl: `ws://${hostForUrl}:${port}/graphql`,
    port,
    httpServer,
    getState,
    reload: () => source.reload(),
    stop() {
      stopped ??= shutdown();
      return stopped;
    },
  };
}

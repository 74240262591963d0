/**
 * The gateway server: one Node HTTP server with GraphQL over HTTP on `/graphql` (Apollo Server +
 * @apollo/gateway), `/health`, `/ready`, extension routes, and the WebSocket upgrade handed to an
 * extension. Request pipeline: correlation id → CORS → route → body (size limit, JSON) →
 * extensions' buildContext (authentication, rate limits) → Apollo (CSRF prevention, extension
 * plugins, plan and execute) → spec-shaped errors with the correlation id.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type ApolloServerOptionsWithGateway, type ApolloServerPlugin } from '@apollo/server';
import { ApolloGateway } from '@apollo/gateway';
import { GraphQLError, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import { appError, isAppError, type ErrorCode } from '../subgraphs/kit/errors.js';
import { CORRELATION_HEADER, HttpError, correlationIdOf, parseJson, readBody, sendJson } from '../subgraphs/kit/http.js';
import { createLogger, type Logger } from '../subgraphs/kit/logger.js';
import { ANONYMOUS, type Principal } from '../subgraphs/kit/principal.js';
import { applyLibraryEnvironment, type GatewayConfig } from './config.js';
import { handleCors } from './cors.js';
import { createDataSources } from './datasource.js';
import { formatGatewayError, isRequestError, withCompletionErrors, type ErrorScope } from './errors.js';
import { createSubgraphFetcher } from './fetcher.js';
import { answerReady } from './health.js';
import { apolloLogger } from './logging.js';
import { createSupergraphSource, type ReloadOutcome } from './reload.js';
import type { PreparedSupergraph } from './supergraph.js';
import type { GatewayContext, GatewayExtension, GatewayState } from './types.js';

export interface GatewayOptions {
  config: GatewayConfig;
  /** A fixed supergraph; when absent the file at `supergraphPath` is served and watched. */
  supergraphSdl?: string;
  /** Defaults to `config.supergraphPath`. */
  supergraphPath?: string;
  /** Reload when the supergraph file changes (default true). */
  watch?: boolean;
  reloadDebounceMs?: number;
  extensions?: GatewayExtension[];
  logger?: Logger;
  /** Defaults to `config.port` / `config.host`; 0 picks a free port. */
  port?: number;
  host?: string;
}

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

/** The response media types of GraphQL over HTTP. */
export type GraphQLMediaType = 'application/json' | 'application/graphql-response+json';
const MEDIA_TYPES: readonly GraphQLMediaType[] = ['application/json', 'application/graphql-response+json'];

/**
 * The response media type a client's `Accept` header prefers (RFC 9110 quality values; on a tie
 * the range listed first wins, then `application/json`), as Apollo Server negotiates it. No header
 * means `application/json`; null when the client accepts neither.
 */
export function preferredMediaType(accept: string | undefined): GraphQLMediaType | null {
  if (!accept || !accept.trim()) return 'application/json';
  const ranges = accept.split(',').flatMap((part, order) => {
    const [range, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    return range && Number.isFinite(q) ? [{ range, q, order }] : [];
  });
  let best: { type: GraphQLMediaType; q: number; specificity: number; order: number } | null = null;
  for (const type of MEDIA_TYPES) {
    let match: { q: number; specificity: number; order: number } | null = null;
    for (const r of ranges) {
      const specificity = r.range === type ? 2 : r.range === 'application/*' ? 1 : r.range === '*/*' ? 0 : -1;
      if (specificity < 0 || (match && match.specificity >= specificity)) continue;
      match = { q: r.q, specificity, order: r.order };
    }
    if (!match || match.q <= 0) continue;
    if (!best || match.q > best.q || (match.q === best.q && (match.specificity > best.specificity || (match.specificity === best.specificity && match.order < best.order)))) {
      best = { type, ...match };
    }
  }
  return best?.type ?? null;
}

/** Why no operation of the document can run (graphql-js's wording). */
function operationNotFound(document: DocumentNode, operationName: string | undefined): GraphQLError {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length;
  const message = operationName
    ? `Unknown operation named "${operationName}".`
    : operations > 1
      ? 'Must provide operation name if query contains multiple operations.'
      : 'Must provide an operation.';
  return new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
}

/** The content type of a response in the given media type. */
function contentTypeOf(media: GraphQLMediaType | null): string {
  return `${media ?? 'application/json'}; charset=utf-8`;
}

/**
 * The HTTP status of a response that carries only GraphQL request errors (the document does not
 * parse or validate, its variables cannot be coerced): GraphQL over HTTP asks for 200 when the
 * response is `application/json` and for the error's status (400) with
 * `application/graphql-response+json`.
 */
function requestErrorStatus(media: GraphQLMediaType | null, status: number): number {
  return media === 'application/json' ? 200 : status;
}

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

  const fetcher = createSubgraphFetcher({ timeoutMs: config.subgraphTimeoutMs });
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
    logger: apolloLogger(logger),
    validateSupergraph: true,
    __exposeQueryPlanExperimental: false,
  });
  gateway.onSchemaLoadOrUpdate(({ apiSchema: schema }) => {
    apiSchema = schema;
  });
  /** @apollo/gateway as Apollo Server runs it, with the nulls it finds in non-null positions reported as errors. */
  const served: ApolloServerOptionsWithGateway<GatewayContext>['gateway'] = {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    async load(options) {
      const loaded = await gateway.load(options);
      const executor = loaded.executor;
      if (!executor) return loaded;
      return {
        ...loaded,
        async executor(requestContext) {
          // Apollo Server could not choose the operation: answer that as a request error rather than
          // letting @apollo/gateway fail on it with an uncoded (masked, 500) error.
          if (!requestContext.operation) return { errors: [operationNotFound(requestContext.document, requestContext.request.operationName)] };
          return withCompletionErrors(await executor(requestContext));
        },
      };
    },
    stop: () => gateway.stop(),
  };

  /**
   * HTTP requests whose response holds only GraphQL request errors (see `requestErrorStatus`).
   * Keyed by the request: Apollo Server hands plugins a copy of the context object.
   */
  const requestErrorsOnly = new WeakSet<IncomingMessage>();
  const outcomePlugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async willSendResponse(rc) {
          const body = rc.response.body;
          const result = body.kind === 'single' ? body.singleResult : body.initialResult;
          const req = rc.contextValue.req;
          if (req && result.data === undefined && rc.errors?.length && rc.errors.every(isRequestError)) requestErrorsOnly.add(req);
        },
      };
    },
  };

  const schemaDeciders = extensions.filter((e) => e.revealsSchema);
  /** Whether error messages may suggest schema names to this caller (introspection is open to them). */
  const revealsSchema = (principal: Principal): boolean =>
    schemaDeciders.length > 0 ? schemaDeciders.every((e) => e.revealsSchema!(principal)) : config.introspection;

  const currentScope = (): ErrorScope => scope.getStore() ?? { logger, revealSchema: revealsSchema(ANONYMOUS) };
  const apollo = new ApolloServer<GatewayContext>({
    gateway: served,
    introspection: config.introspection || extensions.some((e) => e.gatesIntrospection),
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    logger: apolloLogger(logger),
    plugins: [outcomePlugin, ...extensions.flatMap((e) => e.apolloPlugins ?? [])],
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
    serviceMap: dataSources.serviceMap,
    createContext,
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
    const store: ErrorScope = { correlationId, logger: log, revealSchema: revealsSchema(ANONYMOUS) };
    scope.run(store, () =>
      handle(req, res, store).catch((err: unknown) => {
        if (err instanceof HttpError) return answerError(req, res, appError(err.code, err.message, { details: err.details }), store);
        if (isAppError(err)) return answerError(req, res, err, store);
        log.error({ err }, 'request failed');
        answerError(req, res, appError('INTERNAL_SERVER_ERROR', 'Unexpected error', { details: `Quote correlation id ${correlationId} when reporting this.` }), store);
      }),
    );
  });
  httpServer.keepAliveTimeout = 65_000;
  const routes = extensions.flatMap((e) => e.httpRoutes ?? []);

  async function handle(req: IncomingMessage, res: ServerResponse, store: ErrorScope): Promise<void> {
    const correlationId = store.correlationId as string;
    if (handleCors(req, res, config.corsOrigins, correlationId)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/ready') return answerReady(res, { stopping, subgraphs: source.current().subgraphs, fetch: fetcher.fetch, timeoutMs: Math.min(config.subgraphTimeoutMs, 2_000) });
    for (const route of routes) if (await route(req, res, { correlationId, logger: store.logger })) return;
    if (path !== '/graphql') return answerError(req, res, appError('RESOURCE_NOT_FOUND', 'Not found', { details: `No route for ${path}` }), store);
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'POST') {
      req.resume();
      return answerError(req, res, appError('METHOD_NOT_ALLOWED', 'Method not allowed', { details: 'Use GET or POST on /graphql' }), store, { allow: 'GET, POST' });
    }
    let body: unknown;
    if (method === 'POST') {
      const contentType = req.headers['content-type'] ?? '';
      if (!JSON_TYPE.test(contentType)) {
        req.resume();
        const details = 'POST /graphql takes Content-Type: application/json';
        return answerError(req, res, appError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type', { details }), store, { 'accept-post': 'application/json' });
      }
      body = parseJson(await readBody(req, config.maxBodyBytes));
      if (typeof body !== 'object' || body === null) throw new HttpError('BAD_USER_INPUT', 'The request body must be a JSON object', 'Send {"query": "...", "variables": {...}}');
    }
    const ctx = createContext({ correlationId, req });
    for (const e of extensions) await e.buildContext?.(ctx, req, res, body);
    store.revealSchema = revealsSchema(ctx.principal);
    await answerGraphQL(req, res, body, ctx);
  }

  /** Hands one GraphQL request to Apollo Server and writes its answer (headers set by Apollo and plugins included). */
  async function answerGraphQL(req: IncomingMessage, res: ServerResponse, body: unknown, ctx: GatewayContext): Promise<void> {
    const headers = new HeaderMap();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
      context: async () => ctx,
    });
    const out: Record<string, string> = { [CORRELATION_HEADER]: ctx.correlationId };
    for (const [k, v] of result.headers) out[k] = v;
    let status = result.status ?? 200;
    if (requestErrorsOnly.has(req)) {
      const media = /^application\/json\b/i.test(result.headers.get('content-type') ?? '') ? 'application/json' : 'application/graphql-response+json';
      status = requestErrorStatus(media, status);
    }
    res.writeHead(status, out);
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }

  /**
   * Answers an error raised before Apollo runs (body, authentication, limits, routes) in the spec
   * shape, in the media type the client prefers. Its HTTP status is its code's, except that a
   * document that does not parse answers 200 as `application/json` (GraphQL over HTTP).
   */
  function answerError(req: IncomingMessage, res: ServerResponse, err: GraphQLError, store: ErrorScope, headers: Record<string, string> = {}): void {
    const correlationId = store.correlationId as string;
    if (res.headersSent) {
      res.end();
      return;
    }
    const formatted = formatGatewayError(err.toJSON(), err, store, config.exposeErrors);
    const ext = formatted.extensions as { code: ErrorCode; status: number };
    const media = preferredMediaType(req.headers.accept);
    const status = isRequestError(err) ? requestErrorStatus(media, ext.status) : ext.status;
    res.writeHead(status, { 'content-type': contentTypeOf(media), [CORRELATION_HEADER]: correlationId, ...headers });
    res.end(JSON.stringify({ errors: [formatted] }));
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

/**
 * Like createGateway, and stops gracefully on SIGTERM/SIGINT (for a process that runs only the
 * gateway). The signal handlers are removed by stop().
 */
export async function startGateway(opts: GatewayOptions): Promise<GatewayServer> {
  const gw = await createGateway(opts);
  const onSignal = (signal: NodeJS.Signals) => {
    gw.getState().logger.info({ signal }, 'shutting down');
    void gw.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const stop = gw.stop;
  return {
    ...gw,
    stop() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      return stop();
    },
  };
}

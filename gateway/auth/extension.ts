/**
 * The gateway's security extension: who may do what.
 *
 * Per HTTP request (`buildContext`): authenticate (JWT bearer, API key; a bad credential is
 * refused, never downgraded) → admit (batching, safelist, token/depth/alias/cost limits,
 * concurrency, rate limit by cost, X-RateLimit-* headers) → Apollo plugins: the shield (scope rules
 * for every field before the plan runs; introspection gate) and the mutation audit log. Routes:
 * `POST /oauth/token` (client credentials) and `GET /admin/audit` (admins).
 *
 * For WebSocket subscriptions it exports `authenticate`, `authorizeOperation` and `admitOperation`
 * (see docs/security.md).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import type { DocumentNode, GraphQLError, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { appError, isAppError } from '../../platform/errors.js';
import type { Logger } from '../../platform/logger.js';
import { hasScope, type Principal } from '../../platform/principal.js';
import type { GatewayContext, GatewayExtension, GatewayRoute } from '../types.js';
import { createOperationGate, type Admission } from '../limits/gate.js';
import { createMemoryRateLimiter, rateLimitHeaders, type RateLimiter } from '../limits/ratelimit.js';
import { createRedisRateLimiter } from '../limits/redis.js';
import { loadSafelist } from '../limits/safelist.js';
import { authorizeDocument } from '../shield/authorize.js';
import { completeResult, type CompletedResult } from '../shield/complete.js';
import { createShieldState, useShield } from '../shield/plugin.js';
import { createApiKeyVerifier } from './apikey.js';
import { createAuditLog, type AuditLog } from './audit.js';
import { auditMutation, createAuditRoute, useAudit } from './audit-http.js';
import { createAuthenticator, type Authenticated } from './authenticate.js';
import type { AuthConfig } from './config.js';
import { createTokenVerifier } from './jwt.js';
import { TOKEN_PATH, createOAuthTokenRoute } from './oauth.js';
import { createPeopleDirectory } from './people.js';
import { createUserStatusVerifier } from './users.js';

export interface SecurityOptions {
  auth: AuthConfig;
  logger: Logger;
  /** MongoDB URI for the audit log (database `eventgraph_gateway`); without it there is no audit log. */
  auditMongoUri?: string;
  /** The people subgraph's URL; by default the one named `people` in the served supergraph. */
  peopleUrl?: string;
  /** A Redis connection for limits shared by replicas; by default one to `auth.redisUrl` when set. */
  redis?: Redis;
  /** Prefix of the rate-limit keys in Redis. */
  redisKeyPrefix?: string;
  /**
   * Check users (and partners' owners) with the people subgraph, refusing erased and unknown
   * ones (default true). Only a gateway over a graph without the people subgraph turns it off.
   */
  checkUsers?: boolean;
}

/** The outcome of authorizing an operation for a caller (used for subscriptions). */
export interface OperationAuthorization {
  /** The operation to run: the original, a pruned copy, or null when no root field is allowed. */
  document: DocumentNode | null;
  /** One error per denied selection at its path in the operation (list positions omitted). */
  errors: GraphQLError[];
  /** `reject`: refuse the whole operation when `errors` is not empty; `partial`: run `document`. */
  onDeny: 'partial' | 'reject';
  /** Applies the denials to one result of `document`: null plus an error at each denied path. */
  complete(data: Record<string, unknown> | null | undefined): Promise<CompletedResult>;
}

export interface SecurityExtension extends GatewayExtension {
  /** Verifies `{ authorization?: 'Bearer …' | 'ApiKey …', apiKey?: string }` (graphql-ws `connectionParams`). */
  authenticate(credentials: unknown): Promise<Authenticated>;
  /** Checks every field of `document` against the caller's rights, with the served schema's rules. */
  authorizeOperation(document: DocumentNode, variables: Record<string, unknown> | undefined, principal: Principal, operationName?: string | null): Promise<OperationAuthorization>;
  /**
   * Refuses a principal whose user is erased or unknown (UNAUTHENTICATED), then applies the abuse
   * and rate limits to one operation request (`{ query, variables, operationName }`).
   */
  admitOperation(principal: Principal, clientAddress: string, request: unknown): Promise<Admission>;
}

/** The client address: the socket's, or the first X-Forwarded-For hop behind a trusted proxy. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || req.socket.remoteAddress || 'unknown';
}

/** GraphQL request fields of a GET request's query string. */
function requestFromUrl(req: IncomingMessage): Record<string, unknown> {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const json = (name: string) => {
    const raw = params.get(name);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw appError('BAD_USER_INPUT', 'The input is invalid', { target: name, details: `${name} must be JSON` });
    }
  };
  return { query: params.get('query') ?? undefined, operationName: params.get('operationName') ?? undefined, variables: json('variables'), extensions: json('extensions') };
}

function setHeaders(res: ServerResponse, headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
}

/** Builds the extension (reads the safelist file, opens Redis and the audit log lazily). */
export async function createSecurityExtension(opts: SecurityOptions): Promise<SecurityExtension> {
  const { auth, logger, auditMongoUri } = opts;
  let schema: GraphQLSchema | undefined;
  let peopleUrl = opts.peopleUrl;
  const shieldState = createShieldState(auth.introspection);

  const directory = createPeopleDirectory({
    url: () => {
      if (!peopleUrl) throw appError('SERVICE_UNAVAILABLE', 'Credentials cannot be checked right now', { details: 'no people subgraph is known' });
      return peopleUrl;
    },
    internalSecret: auth.internalSecret,
  });
  const users = opts.checkUsers === false ? undefined : createUserStatusVerifier({ directory, ttlMs: auth.userStatusCacheTtlMs, maxEntries: auth.userStatusCacheMaxEntries });
  const authenticator = createAuthenticator({
    tokens: createTokenVerifier(auth.jwt),
    apiKeys: createApiKeyVerifier({ directory, ttlMs: auth.apiKeyCacheTtlMs, negativeTtlMs: auth.apiKeyNegativeTtlMs, maxEntries: auth.apiKeyCacheMaxEntries }),
    users,
  });

  const ownedRedis = !opts.redis && auth.redisUrl ? new Redis(auth.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined;
  ownedRedis?.on('error', (err) => logger.debug({ err }, 'redis connection error'));
  const redis = opts.redis ?? ownedRedis;
  const limiter: RateLimiter = redis ? createRedisRateLimiter({ redis, prefix: opts.redisKeyPrefix, logger }) : createMemoryRateLimiter();
  const safelist = auth.safelistPath ? await loadSafelist(auth.safelistPath) : undefined;
  const gate = createOperationGate({ limits: auth.limits, tiers: auth.tiers, limiter, safelist, schema: () => schema });
  const audit: AuditLog | undefined = auditMongoUri ? createAuditLog({ uri: auditMongoUri, logger }) : undefined;

  const who = (ctx: GatewayContext) => ({ principal: ctx.principal, correlationId: ctx.correlationId });
  const plugins = [
    useShield<GatewayContext>({
      state: shieldState,
      onDeny: auth.onDeny,
      principalOf: (ctx) => ctx.principal,
      correlationIdOf: (ctx) => ctx.correlationId,
      onDenied: (ctx, result) => {
        ctx.extras.deniedCodes = result.denials.map((d) => String(d.error.extensions.code));
      },
    }),
    ...(audit ? [useAudit<GatewayContext>({ audit, who, extraCodes: (ctx) => (ctx.extras.deniedCodes as string[] | undefined) ?? [] })] : []),
  ];

  async function buildContext(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void> {
    const address = clientAddress(req, auth.trustProxy);
    let authenticated: Authenticated;
    try {
      authenticated = await authenticator.fromHeaders(req.headers);
    } catch (err) {
      // Failed credentials spend the address's anonymous budget (no free guessing of keys).
      await chargeAddress(req, res);
      throw err;
    }
    ctx.principal = authenticated.principal;
    const request = body === undefined ? requestFromUrl(req) : body;
    try {
      const admission = await gate.admit(ctx.principal, address, request, (h) => setHeaders(res, h));
      res.once('close', () => void admission.release());
    } catch (err) {
      if (audit && isAppError(err) && err.extensions.code !== 'RATE_LIMITED') {
        const operation = refusedMutation(request);
        if (operation) void auditMutation(audit, operation, undefined, who(ctx), [String(err.extensions.code)]);
      }
      throw err;
    }
  }

  /** Charges each call of a route to the caller address's anonymous budget (no free guessing of client secrets). */
  function limitedByAddress(path: string, route: GatewayRoute): GatewayRoute {
    return async (req, res, ctx) => {
      if ((req.url ?? '').split('?')[0] !== path) return false;
      await chargeAddress(req, res);
      return route(req, res, ctx);
    };
  }

  async function chargeAddress(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const address = clientAddress(req, auth.trustProxy);
    const decision = await limiter.consume(`anonymous:ip:${address}`, auth.tiers.anonymous, 1);
    setHeaders(res, rateLimitHeaders(decision));
    if (!decision.allowed) throw appError('RATE_LIMITED', 'Too many requests', { details: `Retry in ${decision.retryAfter} s` });
  }

  /** The mutation a refused request carried, when it is one the gate could parse. */
  function refusedMutation(request: unknown): OperationDefinitionNode | undefined {
    const query = request && typeof request === 'object' ? (request as { query?: unknown }).query : undefined;
    if (typeof query !== 'string' || !/\bmutation\b/.test(query)) return undefined;
    return gate.operationOf(query, (request as { operationName?: unknown }).operationName);
  }

  return {
    name: 'security',
    gatesIntrospection: true,
    revealsSchema: (principal) => auth.introspection === 'on' || (auth.introspection === 'scoped' && hasScope(principal, 'schema:read')),
    httpRoutes: [
      limitedByAddress(TOKEN_PATH, createOAuthTokenRoute({ directory, users, jwt: auth.jwt, ttlSeconds: auth.oauthTokenTtlSeconds, logger })),
      ...(audit ? [createAuditRoute(audit, authenticator)] : []),
    ],
    buildContext,
    apolloPlugins: plugins,
    onSchemaChange(next, prepared) {
      schema = next;
      shieldState.setRules(prepared.rules);
      peopleUrl = opts.peopleUrl ?? prepared.subgraphs.find((s) => s.name === 'people')?.url;
    },
    async stop() {
      await limiter.close();
      if (ownedRedis) await ownedRedis.quit().catch(() => ownedRedis.disconnect());
      await audit?.close();
    },
    authenticate: (credentials) => authenticator.authenticate(credentials),
    async authorizeOperation(document, variables, principal, operationName) {
      if (!schema) throw appError('SERVICE_UNAVAILABLE', 'The gateway has not loaded its schema yet');
      const current = schema;
      const result = await authorizeDocument(current, shieldState.guardFor(current), document, principal, operationName);
      return {
        document: result.document,
        errors: result.errors,
        onDeny: auth.onDeny,
        complete: (data) => completeResult(shieldState.completionSchemaFor(current), result, data, variables, operationName),
      };
    },
    async admitOperation(principal, address, request) {
      // A connection outlives its user: each operation on it checks again that the user may act.
      await authenticator.verifyActive(principal);
      return gate.admit(principal, address, request, () => {});
    },
  };
}

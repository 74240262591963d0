/**
 * `useRateLimits`: abuse and rate limits per caller (docs/security.md, Rate limits). Before an
 * operation runs: a batch is refused, the token limit applies while the gateway parses
 * (`maxTokens`), the parsed operation is measured against the depth, alias and cost limits, then
 * the caller takes a concurrency slot (held until the answer is finished) and pays the operation's
 * cost in request units from its rate budget. The X-RateLimit-* headers are set as soon as the
 * budget was consulted, so refusals carry them too.
 *
 * Nothing is free to guess: an operation refused before it was charged (a document that does not
 * parse, a limit, the safelist) costs one unit of the caller's budget, failed credentials one unit
 * of the address's anonymous budget, and so does each call of the routes in `meteredPaths`
 * (`POST /oauth/token`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { appError } from '../../platform/errors.js';
import type { Principal } from '../../platform/principal.js';
import type { OperationLimits, Tier, TierLimit } from '../auth/config.js';
import { analyzeOperation } from '../limits/analyze.js';
import { rateLimitHeaders, type RateLimiter } from '../limits/ratelimit.js';
import type { GatewayContext, GatewayExtension, OperationAdmission } from '../types.js';

/** Options of `useRateLimits`. */
export interface RateLimitsOptions {
  limiter: RateLimiter;
  tiers: Record<Tier, TierLimit>;
  limits: OperationLimits;
  /** Take the client address from X-Forwarded-For (behind a trusted proxy). Default false. */
  trustProxy?: boolean;
  /** Routes (paths) each call of which costs one unit of the caller address's anonymous budget. */
  meteredPaths?: readonly string[];
}

/** The client address: the socket's, or the first X-Forwarded-For hop behind a trusted proxy. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || req.socket.remoteAddress || 'unknown';
}

/** The bucket key of a caller: user id, client id, service name, or the address of an anonymous caller. */
function clientKey(p: Principal, address: string): string {
  if (p.kind === 'partner') return `client:${p.clientId ?? p.sub}`;
  if (p.kind === 'user' || p.kind === 'internal') return `${p.kind}:${p.sub}`;
  return `ip:${address}`;
}

const tooComplex = (target: string, details: string) => appError('OPERATION_TOO_COMPLEX', 'The operation exceeds a limit', { target, details });

function setHeaders(res: ServerResponse, headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
}

/** Creates the plugin. Its `stop()` closes the limiter (not the Redis connection the limiter may use). */
export function useRateLimits({ limiter, tiers, limits, trustProxy = false, meteredPaths = [] }: RateLimitsOptions): GatewayExtension {
  let schema: GraphQLSchema | undefined;
  /** HTTP requests whose credentials were accepted (a later refusal costs the caller's own budget). */
  const authenticated = new WeakSet<GatewayContext>();
  /** Admissions already charged (or refused for the budget itself): nothing more to pay. */
  const charged = new WeakSet<OperationAdmission>();

  const addressOf = (admission: OperationAdmission, ctx: GatewayContext) => admission.clientAddress ?? (ctx.req ? clientAddress(ctx.req, trustProxy) : 'unknown');

  /** Takes `units` from the caller's budget; throws RATE_LIMITED when they are not there. */
  async function charge(principal: Principal, address: string, units: number, admission: Pick<OperationAdmission, 'setHeaders'>, details?: (retryAfter: number) => string): Promise<void> {
    const tier = tiers[principal.kind];
    const decision = await limiter.consume(`${principal.kind}:${clientKey(principal, address)}`, tier, units);
    admission.setHeaders(rateLimitHeaders(decision));
    if (!decision.allowed) {
      const why = details?.(decision.retryAfter) ?? `This request needs ${units} of your ${tier.perMinute} request units per minute; retry in ${decision.retryAfter} s`;
      throw appError('RATE_LIMITED', 'Too many requests', { details: why });
    }
  }

  /** One unit of an address's anonymous budget (failed credentials, metered routes). */
  const chargeAddress = (address: string, admission: Pick<OperationAdmission, 'setHeaders'>) =>
    charge({ kind: 'anonymous', sub: null, scopes: [], roles: [] }, address, 1, admission, (retryAfter) => `Retry in ${retryAfter} s`);

  return {
    name: 'rate-limits',
    maxTokens: limits.maxTokens,
    httpRoutes: [
      async (req, res) => {
        if (meteredPaths.includes((req.url ?? '').split('?')[0] ?? '')) await chargeAddress(clientAddress(req, trustProxy), { setHeaders: (h) => setHeaders(res, h) });
        return false;
      },
    ],
    buildContext(ctx) {
      authenticated.add(ctx);
    },
    onParams(admission) {
      if (Array.isArray(admission.params)) throw appError('BAD_USER_INPUT', 'Batched operations are not accepted', { target: 'body', details: 'Send one operation per request' });
    },
    async onOperation(admission, ctx) {
      const { principal } = ctx;
      const address = addressOf(admission, ctx);
      const tier = tiers[principal.kind];
      const op = admission.operation;
      let cost = 0;
      if (op?.operation) {
        const analysis = analyzeOperation(schema, op.document, op.operation, op.variables);
        if (analysis.depth > limits.maxDepth) throw tooComplex('depth', `The operation nests ${analysis.depth} levels deep; the limit is ${limits.maxDepth}`);
        if (analysis.aliases > limits.maxAliases) throw tooComplex('aliases', `The operation uses ${analysis.aliases} aliases; the limit is ${limits.maxAliases}`);
        if (analysis.cost > limits.maxCost) throw tooComplex('cost', `The operation costs ${analysis.cost} points; the limit is ${limits.maxCost}`);
        cost = analysis.cost;
      }
      const units = Math.max(1, Math.ceil(cost / limits.costUnit));
      charged.add(admission);
      if (units > tier.burst) {
        await charge(principal, address, 0, admission);
        throw tooComplex('cost', `The operation costs ${units} request units; at most ${tier.burst} fit in your rate limit`);
      }
      const key = `${principal.kind}:${clientKey(principal, address)}`;
      const release = await limiter.acquire(key, tier.concurrency);
      if (!release) {
        const decision = await limiter.consume(key, tier, 0);
        admission.setHeaders({ ...rateLimitHeaders(decision), 'retry-after': '1' });
        throw appError('RATE_LIMITED', 'Too many concurrent requests', { details: `At most ${tier.concurrency} requests may run at once` });
      }
      try {
        await charge(principal, address, units, admission);
      } catch (err) {
        await release();
        throw err;
      }
      admission.units = units;
      admission.onFinished(release);
    },
    async onRefused(_error, admission, ctx) {
      if (charged.has(admission)) return;
      charged.add(admission);
      const address = addressOf(admission, ctx);
      // Over WebSocket the connection's credentials were accepted when it opened.
      if (admission.transport === 'websocket' || authenticated.has(ctx)) await charge(ctx.principal, address, 1, admission);
      else if (ctx.principal.kind === 'anonymous') await chargeAddress(address, admission);
    },
    onSchemaChange(next) {
      schema = next;
    },
    stop: () => limiter.close(),
  };
}

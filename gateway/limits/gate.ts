/**
 * Admission of one GraphQL request, before Apollo sees it: batching refused, safelist, token limit
 * (graphql `parse(…, { maxTokens })`), depth, alias and cost limits, then the caller's concurrency
 * slot and rate-limit budget (the operation's cost in request units). Every refusal is a coded
 * error in the spec shape; the X-RateLimit-* headers are handed to `setHeaders` as soon as the
 * budget has been consulted, so they are on refusals too.
 */
import { createHash } from 'node:crypto';
import { GraphQLError, parse, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { appError } from '../../platform/errors.js';
import type { Principal } from '../../platform/principal.js';
import type { OperationLimits, Tier, TierLimit } from '../auth/config.js';
import { analyzeOperation, selectOperation, type OperationAnalysis } from './analyze.js';
import { rateLimitHeaders, type RateLimiter, type Release } from './ratelimit.js';
import type { Safelist } from './safelist.js';

/** The GraphQL-over-HTTP request fields the gate reads. */
export interface GraphQLRequestFields {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
  id?: unknown;
  documentId?: unknown;
}

export interface Admission {
  /** Frees the concurrency slot; call when the response is finished. Safe to call twice. */
  release: Release;
  /** Request units charged. */
  units: number;
  /** The parsed document and its measures (absent for a hash-only request the gate has not seen). */
  document?: DocumentNode;
  analysis?: OperationAnalysis;
}

export interface OperationGate {
  /** Admits one request or throws the coded error that refuses it. */
  admit(principal: Principal, clientAddress: string, request: unknown, setHeaders: (headers: Record<string, string>) => void): Promise<Admission>;
  /** The operation of a request text, when it parses within the token limit (to audit refusals). */
  operationOf(query: string, operationName?: unknown): OperationDefinitionNode | undefined;
}

export interface OperationGateOptions {
  limits: OperationLimits;
  tiers: Record<Tier, TierLimit>;
  limiter: RateLimiter;
  safelist?: Safelist;
  /** The API schema in service (for field types in the cost). */
  schema: () => GraphQLSchema | undefined;
  /** Parsed documents kept by text hash. */
  cacheSize?: number;
}

/** The rate-limit tier of a principal. */
export function tierOf(p: Principal): Tier {
  return p.kind;
}

/** The bucket key of a caller: user id, client id, service name, or the address of an anonymous caller. */
export function clientKey(p: Principal, address: string): string {
  if (p.kind === 'partner') return `client:${p.clientId ?? p.sub}`;
  if (p.kind === 'user' || p.kind === 'internal') return `${p.kind}:${p.sub}`;
  return `ip:${address}`;
}

const tooComplex = (target: string, details: string) => appError('OPERATION_TOO_COMPLEX', 'The operation exceeds a limit', { target, details });
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function persistedHash(extensions: unknown): string | undefined {
  const pq = extensions && typeof extensions === 'object' ? (extensions as Record<string, unknown>).persistedQuery : undefined;
  const hash = pq && typeof pq === 'object' ? (pq as Record<string, unknown>).sha256Hash : undefined;
  return typeof hash === 'string' ? hash : undefined;
}

/**
 * Puts a safelisted body into a request that named it by id, so Apollo runs the listed text; a
 * persisted-query hash that is not the text's sha256 (a manifest id) is dropped with it.
 */
function substituteText(request: GraphQLRequestFields, text: string): void {
  const writable = request as { query?: unknown; extensions?: unknown };
  writable.query = text;
  const hash = persistedHash(request.extensions);
  if (hash !== undefined && hash !== sha256(text)) {
    const { persistedQuery: _dropped, ...rest } = request.extensions as Record<string, unknown>;
    writable.extensions = rest;
  }
}

/** Creates the gate. */
export function createOperationGate(opts: OperationGateOptions): OperationGate {
  const { limits, tiers, limiter, safelist, schema, cacheSize = 2000 } = opts;
  const parsed = new LRUCache<string, { text: string; document: DocumentNode }>({ max: cacheSize });

  function parseCached(text: string, hash: string): DocumentNode {
    const hit = parsed.get(hash);
    if (hit && hit.text === text) return hit.document;
    let document: DocumentNode;
    try {
      document = parse(text, { maxTokens: limits.maxTokens });
    } catch (err) {
      const message = err instanceof GraphQLError ? err.message : String(err);
      if (/maxTokens|tokens/.test(message) && message.includes(String(limits.maxTokens))) throw tooComplex('tokens', `The operation has more than ${limits.maxTokens} tokens`);
      throw appError('GRAPHQL_PARSE_FAILED', 'The operation could not be parsed', { details: message });
    }
    parsed.set(hash, { text, document });
    return document;
  }

  /** Parses and measures the request; throws the first limit it breaks. */
  function inspect(request: GraphQLRequestFields): { document?: DocumentNode; analysis?: OperationAnalysis } {
    let text: string | undefined;
    if (safelist) {
      const found = safelist.resolve(request);
      text = found.text;
      const document = parseCached(text, sha256(text));
      if (!found.listed && !safelist.allowsDocument(document)) throw appError('PERSISTED_QUERY_NOT_ALLOWED', 'The operation is not on the safelist', { details: 'Only the operations of the published apps may run here' });
      if (request.query === undefined) substituteText(request, text);
      return measure(document, request);
    }
    if (typeof request.query === 'string' && request.query !== '') text = request.query;
    else if (request.query !== undefined && request.query !== null) throw appError('BAD_USER_INPUT', 'The query must be a string', { target: 'query' });
    const hash = text !== undefined ? sha256(text) : persistedHash(request.extensions);
    if (text === undefined) {
      const known = hash ? parsed.get(hash) : undefined;
      return known ? measure(known.document, request) : {};
    }
    return measure(parseCached(text, hash as string), request);
  }

  function measure(document: DocumentNode, request: GraphQLRequestFields): { document: DocumentNode; analysis?: OperationAnalysis } {
    const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
    const operation = selectOperation(document, operationName);
    if (!operation) return { document };
    const variables = request.variables && typeof request.variables === 'object' ? (request.variables as Record<string, unknown>) : {};
    const analysis = analyzeOperation(schema(), document, operation, variables);
    if (analysis.depth > limits.maxDepth) throw tooComplex('depth', `The operation nests ${analysis.depth} levels deep; the limit is ${limits.maxDepth}`);
    if (analysis.aliases > limits.maxAliases) throw tooComplex('aliases', `The operation uses ${analysis.aliases} aliases; the limit is ${limits.maxAliases}`);
    if (analysis.cost > limits.maxCost) throw tooComplex('cost', `The operation costs ${analysis.cost} points; the limit is ${limits.maxCost}`);
    return { document, analysis };
  }

  return {
    async admit(principal, address, body, setHeaders) {
      const tier = tiers[tierOf(principal)];
      const key = `${tierOf(principal)}:${clientKey(principal, address)}`;
      const charge = async (units: number) => {
        const decision = await limiter.consume(key, tier, units);
        setHeaders(rateLimitHeaders(decision));
        if (!decision.allowed) {
          throw appError('RATE_LIMITED', 'Too many requests', { details: `This request needs ${units} of your ${tier.perMinute} request units per minute; retry in ${decision.retryAfter} s` });
        }
      };
      if (Array.isArray(body)) {
        await charge(1);
        throw appError('BAD_USER_INPUT', 'Batched operations are not accepted', { target: 'body', details: 'Send one operation per request' });
      }
      const request = (body && typeof body === 'object' ? body : {}) as GraphQLRequestFields;
      let inspected: ReturnType<typeof inspect>;
      try {
        inspected = inspect(request);
      } catch (err) {
        await charge(1);
        throw err;
      }
      const units = Math.max(1, Math.ceil((inspected.analysis?.cost ?? 0) / limits.costUnit));
      if (units > tier.burst) {
        await charge(0);
        throw tooComplex('cost', `The operation costs ${units} request units; at most ${tier.burst} fit in your rate limit`);
      }
      const release = await limiter.acquire(key, tier.concurrency);
      if (!release) {
        const decision = await limiter.consume(key, tier, 0);
        setHeaders({ ...rateLimitHeaders(decision), 'retry-after': '1' });
        throw appError('RATE_LIMITED', 'Too many concurrent requests', { details: `At most ${tier.concurrency} requests may run at once` });
      }
      try {
        await charge(units);
      } catch (err) {
        await release();
        throw err;
      }
      return { release, units, ...inspected };
    },
    operationOf(query, operationName) {
      try {
        return selectOperation(parseCached(query, sha256(query)), typeof operationName === 'string' ? operationName : undefined);
      } catch {
        return undefined;
      }
    },
  };
}

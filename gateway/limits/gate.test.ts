import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getIntrospectionQuery, parse } from 'graphql';
import { ConfigError } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';
import { createAdmissions } from '../admission.js';
import { loadAuthConfig } from '../auth/config.js';
import { createOperationParser, selectOperation, type GraphQLParams } from '../operation.js';
import { useRateLimits } from '../plugins/rate-limits.js';
import { useSafelist } from '../plugins/safelist.js';
import { PRINCIPALS, testSchema } from '../shield/testing.js';
import type { PreparedSupergraph } from '../supergraph.js';
import type { GatewayExtension, OperationAdmission } from '../types.js';
import { analyzeOperation } from './analyze.js';
import { createMemoryRateLimiter } from './ratelimit.js';
import { createSafelist } from './safelist.js';

const schema = testSchema();
const config = loadAuthConfig({ NODE_ENV: 'test' });

function measure(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  return analyzeOperation(schema, document, selectOperation(document)!, variables);
}

const logger = createLogger('test', 'silent');

/**
 * The gateway's admission of one operation with the safelist and rate-limits plugins, as for a
 * caller whose credentials were accepted: `admit` resolves with the units charged and the release
 * of the concurrency slot, or throws the refusal.
 */
function gateWith(overrides: Partial<typeof config.limits> = {}, safelist?: ReturnType<typeof createSafelist>) {
  const limits = { ...config.limits, ...overrides };
  const rateLimits = useRateLimits({ limiter: createMemoryRateLimiter(), tiers: config.tiers, limits });
  // The rate limits read only the API schema of a supergraph change.
  rateLimits.onSchemaChange?.(schema, {} as PreparedSupergraph);
  const plugins: GatewayExtension[] = [...(safelist ? [useSafelist({ safelist })] : []), rateLimits];
  const admissions = createAdmissions({ extensions: plugins, parser: createOperationParser({ maxTokens: limits.maxTokens }) });
  return {
    async admit(principal: Principal, address: string, body: unknown, setHeaders: (headers: Record<string, string>) => void) {
      const finished: Array<() => void | Promise<void>> = [];
      const admission: OperationAdmission = { params: body as GraphQLParams, transport: 'websocket', clientAddress: address, setHeaders, onFinished: (fn) => void finished.push(fn) };
      await admissions.admit({ correlationId: 'test', logger, principal, extras: {} }, admission);
      const release = async () => {
        for (const fn of finished.splice(0)) await fn();
      };
      return { units: admission.units, release };
    },
  };
}

/** Runs the gate once; returns the refusal code and details, or the admission. */
async function admit(gate: ReturnType<typeof gateWith>, body: unknown, principal = PRINCIPALS.attendee) {
  const headers: Record<string, string> = {};
  try {
    const admission = await gate.admit(principal, '10.0.0.1', body, (h) => Object.assign(headers, h));
    await admission.release();
    return { ok: true as const, units: admission.units, headers };
  } catch (err) {
    const ext = (err as { extensions: Record<string, unknown> }).extensions;
    return { ok: false as const, code: ext.code, target: ext.target, details: String(ext.details), headers };
  }
}


describe('operation cost, depth and aliases', () => {
  it('charges a connection by its page size and multiplies nesting', () => {
    expect(measure('{ event(id: "1") { title } }')).toMatchObject({ cost: 1, depth: 2, aliases: 0 });
    expect(measure('{ events { totalCount } }').cost).toBe(20); // default page size
    expect(measure('{ events(first: 100) { edges { node { id title } } } }').cost).toBe(300);
    expect(measure('{ events(first: $n) { edges { node { id } } } }'.replace('{ events', 'query($n: Int) { events'), { n: 5 }).cost).toBe(15);
    expect(measure('{ events(first: 5000) { totalCount } }').cost).toBe(100); // capped at the maximum page
    // a list of objects inside each node multiplies again (10 by default)
    expect(measure('{ events(first: 10) { edges { node { registrations { ticketCode } } } } }').cost).toBe(10 * (1 + 1 + 1 + 10));
    expect(measure('mutation { createEvent(title: "x") { id } }').cost).toBe(11);
  });

  it('counts aliases and depth through fragments, evaluating each fragment once', () => {
    const m = measure(`{ a: event(id: "1") { ...F } b: event(id: "2") { ...F } }
      fragment F on Event { t: title organizer { n: name payments { amount } } }`);
    expect(m).toMatchObject({ aliases: 6, depth: 4 });
    // a fragment bomb: each level spreads the previous one twice
    const levels = Array.from({ length: 30 }, (_, i) => `fragment L${i + 1} on Event { ...L${i} ...L${i} }`).join('\n');
    const bomb = measure(`{ event(id: "1") { ...L30 } } fragment L0 on Event { x: title } ${levels}`);
    expect(bomb.aliases).toBe(2 ** 30);
  });

  it('lets the standard introspection query through the default limits', async () => {
    const r = await admit(gateWith(), { query: getIntrospectionQuery() }, PRINCIPALS.partner);
    expect(r).toMatchObject({ ok: true, units: 1 });
  });
});

describe('operation gate', () => {
  it('refuses deep, alias-bombed, costly and oversized operations with OPERATION_TOO_COMPLEX', async () => {
    const gate = gateWith({ maxDepth: 4, maxAliases: 5, maxCost: 50, maxTokens: 200 });
    expect(await admit(gate, { query: '{ me { id } events { edges { node { organizer { name } } } } }' })).toMatchObject({ ok: false, code: 'OPERATION_TOO_COMPLEX', target: 'depth' });
    const aliases = Array.from({ length: 6 }, (_, i) => `a${i}: __typename`).join(' ');
    expect(await admit(gate, { query: `{ ${aliases} }` })).toMatchObject({ ok: false, code: 'OPERATION_TOO_COMPLEX', target: 'aliases' });
    expect(await admit(gate, { query: '{ events(first: 60) { totalCount } }' })).toMatchObject({ ok: false, code: 'OPERATION_TOO_COMPLEX', target: 'cost', details: 'The operation costs 60 points; the limit is 50' });
    const long = `{ ${Array.from({ length: 250 }, () => '__typename').join(' ')} }`;
    expect(await admit(gate, { query: long })).toMatchObject({ ok: false, code: 'OPERATION_TOO_COMPLEX', target: 'tokens' });
  });

  it('refuses batches, syntax errors, and operations bigger than the tier burst', async () => {
    const gate = gateWith();
    expect(await admit(gate, [{ query: '{ me { id } }' }, { query: '{ me { id } }' }])).toMatchObject({ ok: false, code: 'BAD_USER_INPUT', target: 'body' });
    expect(await admit(gate, { query: '{ me { ' })).toMatchObject({ ok: false, code: 'GRAPHQL_PARSE_FAILED' });
    // 2 000 points = 20 units: fits a user's burst (20) but not an anonymous caller's (10)
    const heavy = '{ events(first: 100) { edges { node { registrations(first: 6) { id } } } } }';
    expect(await admit(gate, { query: heavy })).toMatchObject({ ok: true, units: 9 });
    expect(await admit(gate, { query: '{ events(first: 100) { edges { node { registrations(first: 20) { id } } } } }' }, PRINCIPALS.anonymous)).toMatchObject({ ok: false, code: 'OPERATION_TOO_COMPLEX', target: 'cost' });
  });

  it('charges the rate budget by cost and sets the headers, also on refusals', async () => {
    const gate = gateWith();
    const big = { query: '{ events(first: 100) { edges { node { id organizer { name } } } } }' }; // 400 points = 4 units
    const first = await admit(gate, big, PRINCIPALS.anonymous);
    expect(first).toMatchObject({ ok: true, units: 4 });
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': '6' });
    expect(await admit(gate, big, PRINCIPALS.anonymous)).toMatchObject({ ok: true, headers: { 'x-ratelimit-remaining': '2' } });
    const refused = await admit(gate, big, PRINCIPALS.anonymous);
    expect(refused).toMatchObject({ ok: false, code: 'RATE_LIMITED', headers: { 'x-ratelimit-remaining': '2' } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(4);
    // a one-field query still fits
    expect(await admit(gate, { query: '{ event(id: "1") { id } }' }, PRINCIPALS.anonymous)).toMatchObject({ ok: true, units: 1 });
    // a syntax error costs one unit too
    expect(await admit(gate, { query: '{' }, PRINCIPALS.anonymous)).toMatchObject({ ok: false, code: 'GRAPHQL_PARSE_FAILED', headers: { 'x-ratelimit-remaining': '0' } });
  });

  it('caps concurrent requests per client', async () => {
    const gate = gateWith();
    const held = await Promise.all(Array.from({ length: 5 }, () => gate.admit(PRINCIPALS.anonymous, '10.0.0.9', { query: '{ me { id } }' }, () => {})));
    const sixth = await admit(gate, { query: '{ me { id } }' }, PRINCIPALS.anonymous).catch((e) => e);
    expect(sixth.ok).toBe(true); // other address
    const headers: Record<string, string> = {};
    await expect(gate.admit(PRINCIPALS.anonymous, '10.0.0.9', { query: '{ me { id } }' }, (h) => Object.assign(headers, h))).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    expect(headers['retry-after']).toBe('1');
    await held[0]!.release();
    await expect(gate.admit(PRINCIPALS.anonymous, '10.0.0.9', { query: '{ me { id } }' }, () => {})).resolves.toBeDefined();
  });
});

describe('safelist', () => {
  const listed = 'query EventTitle($id: ID!) { event(id: $id) { title } }';
  const sha = createHash('sha256').update(listed).digest('hex');
  const safelist = createSafelist({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'ios-event-title', name: 'EventTitle', type: 'query', body: listed }] });

  it('admits listed operations by text (verbatim or normalised) and by id, substituting the listed text', async () => {
    const gate = gateWith({}, safelist);
    expect(await admit(gate, { query: listed })).toMatchObject({ ok: true });
    expect(await admit(gate, { query: 'query EventTitle($id: ID!) {\n  event(id: $id) {\n    title\n  }\n}' })).toMatchObject({ ok: true });
    const byId = { id: 'ios-event-title', variables: { id: '1' } } as Record<string, unknown>;
    expect(await admit(gate, byId)).toMatchObject({ ok: true });
    expect(byId.query).toBe(listed);
    const byHash = { extensions: { persistedQuery: { version: 1, sha256Hash: sha } } } as Record<string, unknown>;
    expect(await admit(gate, byHash)).toMatchObject({ ok: true });
    expect(byHash).toMatchObject({ query: listed, extensions: { persistedQuery: { sha256Hash: sha } } });
  });

  it('refuses anything else with PERSISTED_QUERY_NOT_ALLOWED', async () => {
    const gate = gateWith({}, safelist);
    expect(await admit(gate, { query: '{ event(id: "1") { title revenue } }' })).toMatchObject({ ok: false, code: 'PERSISTED_QUERY_NOT_ALLOWED' });
    expect(await admit(gate, { id: 'unknown' })).toMatchObject({ ok: false, code: 'PERSISTED_QUERY_NOT_ALLOWED' });
    expect(await admit(gate, {})).toMatchObject({ ok: false, code: 'PERSISTED_QUERY_NOT_ALLOWED' });
  });

  it('validates the manifest', () => {
    expect(() => createSafelist({})).toThrow(ConfigError);
    expect(() => createSafelist({ operations: [{ id: 'x' }] })).toThrow(/no "body"/);
    expect(() => createSafelist({ operations: [{ body: '{ nope' }] })).toThrow(/does not parse/);
  });
});

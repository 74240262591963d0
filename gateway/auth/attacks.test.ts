/**
 * Attacks against the whole product (localdb, four subgraphs, gateway): bad tokens, a revoked API
 * key, guarded fields reached sideways, forged principals sent straight to a subgraph, and
 * operations built to exhaust the gateway. Each gets its documented status and code in the spec
 * error shape, and no data it should not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, generateKeyPair } from 'jose';
import { demoId } from '../../subgraphs/kit/ids.js';
import { PRINCIPAL_HEADER, signPrincipal } from '../../platform/principal.js';
import { DEMO_USERS, startTestStack, type GraphQLResponse, type TestStack } from '../../test/harness/stack.js';
import { ROLE_SCOPES } from '../shield/scopes.js';
import { loadAuthConfig } from './config.js';

const EVENT0 = demoId('event', 0).toHexString();
const REG0 = demoId('registration', 0).toHexString();
const jwt = loadAuthConfig({ NODE_ENV: 'test' }).jwt;
const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Claims of a valid admin token, to be spoiled one way or another. */
const adminClaims = () => ({ iss: jwt.issuer, aud: jwt.audience, sub: DEMO_USERS.admin, exp: now() + 300, scope: 'admin', roles: ['admin'] });
const signHs = (claims: Record<string, unknown>, secret = jwt.secret) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));

/** Asserts the spec error shape of a refusal and returns its code and details. */
function refusal(res: GraphQLResponse, status: number) {
  expect(res.status).toBe(status);
  expect(res.body.data).toBeUndefined();
  const ext = res.body.errors![0]!.extensions!;
  expect(ext).toMatchObject({ status, message: res.body.errors![0]!.message, documentation: expect.stringContaining(String(ext.code)), timestamp: expect.any(String), correlationId: res.headers.get('x-correlation-id') });
  return { code: ext.code, details: ext.details };
}

describe('attacks', () => {
  let t: TestStack;
  let organizer: string;
  beforeAll(async () => {
    t = await startTestStack({ seed: true, env: { API_KEY_CACHE_TTL_MS: '300', API_KEY_NEGATIVE_TTL_MS: '300', RATE_LIMIT_ANONYMOUS: '1/1000/50' } });
    organizer = await t.token({ sub: DEMO_USERS.organizer, roles: ['organizer'], scopes: [...ROLE_SCOPES.organizer!] });
  });
  afterAll(() => t?.stop());

  it('refuses every kind of bad token with 401 UNAUTHENTICATED and no data', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const tokens: Record<string, string> = {
      expired: await signHs({ ...adminClaims(), exp: now() - 3600 }),
      'not yet valid': await signHs({ ...adminClaims(), nbf: now() + 3600 }),
      'wrong audience': await signHs({ ...adminClaims(), aud: 'someone-else' }),
      'wrong issuer': await signHs({ ...adminClaims(), iss: 'https://evil.example' }),
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64(adminClaims())}.`,
      'another key': await signHs(adminClaims(), 'an-attacker-secret-that-is-long-enough-0000'),
      'RS256 not configured': await new SignJWT(adminClaims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey),
    };
    const details: Record<string, unknown> = {};
    for (const [kind, token] of Object.entries(tokens)) {
      const r = refusal(await t.gql('{ payments(first: 1) { totalCount } }', {}, { token }), 401);
      expect(r.code, kind).toBe('UNAUTHENTICATED');
      details[kind] = r.details;
    }
    expect(details).toEqual({
      expired: 'the token has expired',
      'not yet valid': 'the token is not valid yet',
      'wrong audience': 'the token is meant for another audience',
      'wrong issuer': 'the token was issued by an unknown issuer',
      'alg none': "the token algorithm 'none' is not allowed",
      'another key': 'the token signature does not verify',
      'RS256 not configured': "the token algorithm 'RS256' is not allowed",
    });
  });

  it('stops honouring a revoked API key within the cache TTL', async () => {
    const created = await t.gql('mutation($i: CreateApiClientInput!) { createApiClient(input: $i) { client { id } apiKey } }', { i: { name: 'Kiosk', scopes: ['events:read'] } }, { token: organizer });
    const { apiKey, client } = created.body.data.createApiClient;
    const q = `{ event(id: "${EVENT0}") { title } }`;
    expect((await t.gql(q, {}, { headers: { 'x-api-key': apiKey } })).body).toEqual({ data: { event: { title: 'EventGraph Summit 2027' } } });
    const revoked = await t.gql('mutation($id: ID!) { revokeApiClient(id: $id) { revokedAt } }', { id: client.id }, { token: organizer });
    expect(revoked.body.data.revokeApiClient.revokedAt).toEqual(expect.any(String));
    await sleep(400);
    const r = refusal(await t.gql(q, {}, { headers: { 'x-api-key': apiKey } }), 401);
    expect(r).toEqual({ code: 'UNAUTHENTICATED', details: 'the API key has been revoked' });
    expect(refusal(await t.gql(q, {}, { headers: { authorization: `ApiKey ${apiKey}` } }), 401).code).toBe('UNAUTHENTICATED');
  });

  it('finds a guarded field behind an alias, a fragment spread, an inline fragment and a nested path', async () => {
    const denied = { code: 'UNAUTHENTICATED', details: 'Event.registrations: Requires authentication.' };
    const variants = {
      alias: `{ e: event(id: "${EVENT0}") { t: title r: registrations { totalCount } } }`,
      fragment: `query { e: event(id: "${EVENT0}") { ...Regs } } fragment Regs on Event { t: title r: registrations { totalCount } }`,
      inline: `{ e: event(id: "${EVENT0}") { ... on Event { t: title r: registrations { totalCount } } } }`,
    };
    for (const [how, query] of Object.entries(variants)) {
      const res = await t.gql(query);
      expect(res.body.data, how).toEqual({ e: null });
      expect(res.body.errors!.map((e) => [e.path, e.extensions!.code, e.extensions!.details]), how).toEqual([[['e', 'r'], denied.code, denied.details]]);
    }
    const nested = await t.gql('{ events(first: 2) { edges { node { title registrations { totalCount } } } } }');
    // Event.registrations is non-null all the way up to Query.events: the first null ends the list.
    expect(nested.body.data).toBeNull();
    expect(nested.body.errors!.map((e) => [e.path, e.extensions!.code])).toEqual([[['events', 'edges', 0, 'node', 'registrations'], 'UNAUTHENTICATED']]);
  });

  it('refuses a forged or unsigned principal sent straight to a subgraph', async () => {
    const url = t.stack.subgraphs.events.server.url;
    const query = `{ registration(id: "${REG0}") { ticketCode attendee { id } } }`;
    const call = async (principal?: string) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(principal ? { [PRINCIPAL_HEADER]: principal } : {}) }, body: JSON.stringify({ query }) });
      return { status: res.status, body: (await res.json()) as GraphQLResponse['body'] };
    };
    const admin = { kind: 'user' as const, sub: DEMO_USERS.admin, scopes: ['admin'], roles: ['admin'] };
    const forged = await call(await signPrincipal(admin, 'not-the-internal-secret-but-long-enough-000'));
    expect(forged.status).toBe(401);
    expect(forged.body).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(forged.body.data).toBeUndefined();
    const unsigned = await call(`${b64({ alg: 'none' })}.${b64({ kind: 'user', sub: DEMO_USERS.admin, scopes: ['admin'], roles: ['admin'], iss: 'eventgraph-gateway', aud: 'eventgraph-subgraphs', exp: now() + 60 })}.`);
    expect(unsigned.status).toBe(401);
    expect(unsigned.body.data).toBeUndefined();
    const none = await call();
    expect(JSON.stringify(none.body)).not.toMatch(/TCK-/);
    expect(none.body.data).toEqual({ registration: null });
    // the same request with the gateway's own signature is served
    const genuine = await call(await signPrincipal(admin, t.stack.gateway.getState().config.internalSecret));
    expect(genuine.body.data?.registration.ticketCode).toMatch(/^TCK-/);
  });

  it('refuses deep, alias-bombed, token-bombed, oversized and batched operations', async () => {
    const deep = `{ event(id: "${EVENT0}") { ${'sessions { event { '.repeat(6)}id${' } }'.repeat(6)} } }`;
    expect(refusal(await t.gql(deep), 400)).toEqual({ code: 'OPERATION_TOO_COMPLEX', details: 'The operation nests 14 levels deep; the limit is 12' });
    const aliases = `{ ${Array.from({ length: 31 }, (_, i) => `e${i}: event(id: "${EVENT0}") { id }`).join(' ')} }`;
    expect(refusal(await t.gql(aliases), 400)).toEqual({ code: 'OPERATION_TOO_COMPLEX', details: 'The operation uses 31 aliases; the limit is 30' });
    const tokens = `{ ${Array.from({ length: 700 }, () => 'events { totalCount }').join(' ')} }`;
    expect(refusal(await t.gql(tokens), 400)).toEqual({ code: 'OPERATION_TOO_COMPLEX', details: 'The operation has more than 2000 tokens' });
    const oversized = await t.gql(`{ events(first: 1) { totalCount } } # ${'x'.repeat(120_000)}`);
    expect(refusal(oversized, 413).code).toBe('PAYLOAD_TOO_LARGE');
    const batch = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ query: '{ events(first: 1) { totalCount } }' }]) });
    expect(batch.status).toBe(400);
    expect(await batch.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', status: 400, details: 'Send one operation per request' } }] });
  });

  it('charges a 100-node query more of the rate budget than a one-field query', async () => {
    const remaining = (res: GraphQLResponse) => Number(res.headers.get('x-ratelimit-remaining'));
    const a = remaining(await t.gql(`{ event(id: "${EVENT0}") { title } }`));
    const b = remaining(await t.gql('{ events(first: 100) { edges { node { id title } } } }'));
    const c = remaining(await t.gql(`{ event(id: "${EVENT0}") { title } }`));
    expect(a - b).toBe(3); // 100 × (edge + node + 1) = 300 points = 3 units
    expect(b - c).toBe(1);
  });
});

/**
 * The product's security plugins inside the real gateway, over the gateway's two fixture subgraphs: what
 * callers get, what subgraphs are asked, which headers every answer carries.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createLogger } from '../../platform/logger.js';
import { createGatewayPlugins } from '../plugins.js';
import { createGateway, type GatewayServer } from '../server.js';
import type { GatewayExtension } from '../types.js';
import { testConfig } from '../../test/harness/gateway-config.js';
import { FIXTURE_SECRET, post, startFixtures, type Fixtures } from '../../test/harness/gateway-fixtures.js';
import { loadAuthConfig } from './config.js';
import { issueToken } from './jwt.js';

const logger = createLogger('test', 'silent');
const authEnv = { NODE_ENV: 'test', INTERNAL_SECRET: FIXTURE_SECRET };

/** Records the GraphQL text of every subgraph call. */
function recorder(queries: string[]): GatewayExtension {
  return { name: 'recorder', willSendSubgraphRequest: (req) => void queries.push(`${req.subgraph}: ${req.body.query ?? ''}`) };
}

async function startGateway(fx: Fixtures, env: Record<string, string>, queries: string[] = [], shared?: { redis: Redis; prefix: string }): Promise<GatewayServer> {
  const auth = loadAuthConfig({ ...authEnv, ...env });
  // The fixture graph has no people subgraph: no users to check (erased and unknown users are tested over the whole product).
  const config = testConfig();
  const plugins = await createGatewayPlugins({ config, auth, logger, redis: shared?.redis, redisKeyPrefix: shared?.prefix, checkUsers: false, subscriptions: false });
  return createGateway({ config, supergraphSdl: fx.supergraph(2), watch: false, extensions: [...plugins, recorder(queries)], logger });
}

const tokenFor = async (scopes: string[], extra: { kind?: 'user' | 'partner'; clientId?: string } = {}) =>
  `Bearer ${(await issueToken(loadAuthConfig(authEnv).jwt, { sub: extra.clientId ?? 'user-1', scopes, ...extra }, 300)).token}`;

describe('security extension in the gateway', () => {
  let fx: Fixtures;
  let gw: GatewayServer;
  const queries: string[] = [];

  beforeAll(async () => {
    fx = await startFixtures();
    gw = await startGateway(fx, {}, queries);
  });
  afterAll(async () => {
    await gw?.stop();
    await fx?.stop();
  });

  it('answers a denied field with null and an error at its path; the subgraph never sees it', async () => {
    queries.length = 0;
    const res = await post(gw.url, '{ product(id: "p1") { name } s: secret }');
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ product: { name: 'Product p1' }, s: null });
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]).toMatchObject({ path: ['s'], extensions: { code: 'UNAUTHENTICATED', status: 401, correlationId: res.headers.get('x-correlation-id') } });
    expect(queries.join('\n')).not.toContain('secret');
  });

  it('never shares a query plan between callers with different rights', async () => {
    const q = '{ product(id: "p2") { name } secret }';
    const admin = { authorization: await tokenFor(['admin']) };
    queries.length = 0;
    expect((await post(gw.url, q, { headers: admin })).body).toEqual({ data: { product: { name: 'Product p2' }, secret: '42' } });
    expect(queries.join('\n')).toContain('secret');
    queries.length = 0;
    const anonymous = await post(gw.url, q);
    expect(anonymous.body.data).toEqual({ product: { name: 'Product p2' }, secret: null });
    expect(queries.join('\n')).not.toContain('secret');
    queries.length = 0;
    expect((await post(gw.url, q, { headers: admin })).body.data).toEqual({ product: { name: 'Product p2' }, secret: '42' });
    expect(queries.join('\n')).toContain('secret');
  });

  it('passes the verified principal to subgraphs, signed', async () => {
    fx.seen.length = 0;
    const res = await post(gw.url, '{ me whoami { kind sub scopes } }', { headers: { authorization: await tokenFor(['events:read']) } });
    expect(res.body).toEqual({ data: { me: 'user-1', whoami: { kind: 'user', sub: 'user-1', scopes: ['events:read'] } } });
    expect(fx.seen[0]!.principal).toEqual({ kind: 'user', sub: 'user-1', scopes: ['events:read'], roles: [] });
  });

  it('sets the rate-limit headers on answers and refusals alike', async () => {
    const ok = await post(gw.url, '{ product(id: "p3") { name } }');
    expect(ok.headers.get('x-ratelimit-limit')).toBe('30');
    expect(Number(ok.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
    const badToken = await post(gw.url, '{ me }', { headers: { authorization: 'Bearer not.a.token' } });
    expect(badToken.status).toBe(401);
    expect(badToken.body).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED', status: 401, details: 'the token is malformed' } }] });
    expect(badToken.body.data).toBeUndefined();
    expect(badToken.headers.get('x-ratelimit-remaining')).not.toBeNull();
  });

  it('refuses batched, alias-bombed and unparsable operations before Apollo sees them', async () => {
    const batch = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ query: '{ me }' }, { query: '{ me }' }]) });
    expect(batch.status).toBe(400);
    expect(await batch.json()).toMatchObject({ errors: [{ extensions: { code: 'BAD_USER_INPUT', details: 'Send one operation per request' } }] });
    const bomb = await post(gw.url, `{ product(id: "1") { reviews { body } } ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    expect(bomb.status).toBe(400);
    expect(bomb.body.errors![0]!.extensions).toMatchObject({ code: 'OPERATION_TOO_COMPLEX', status: 400, details: 'The operation uses 40 aliases; the limit is 30' });
    const broken = await post(gw.url, '{ product(id: "1") { name }', { headers: { accept: 'application/graphql-response+json' } });
    expect(broken.status).toBe(400);
    expect(broken.body.errors![0]!.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('shows partners the required scopes in introspection', async () => {
    const res = await post(gw.url, '{ __type(name: "Query") { fields { name description } } }', { headers: { authorization: await tokenFor(['schema:read'], { kind: 'partner', clientId: 'egc_p' }) } });
    const secret = res.body.data!.__type.fields.find((f: { name: string }) => f.name === 'secret');
    expect(secret.description).toContain('Requires scopes: catalog:admin or admin.');
  });
});

describe('security extension with production-like settings', () => {
  let fx: Fixtures;
  beforeAll(async () => {
    fx = await startFixtures();
  });
  afterAll(() => fx?.stop());

  it('rejects the whole operation when AUTH_ON_DENY=reject', async () => {
    const gw = await startGateway(fx, { AUTH_ON_DENY: 'reject' });
    try {
      const anonymous = await post(gw.url, '{ product(id: "p1") { name } secret me }');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.data).toBeUndefined();
      expect(anonymous.body.errors!.map((e) => [e.path, e.extensions.code])).toEqual([
        [['secret'], 'UNAUTHENTICATED'],
        [['me'], 'UNAUTHENTICATED'],
      ]);
      const user = await post(gw.url, '{ secret }', { headers: { authorization: await tokenFor(['events:read']) } });
      expect(user.status).toBe(403);
      expect(user.body.errors![0]!.extensions.code).toBe('FORBIDDEN');
    } finally {
      await gw.stop();
    }
  });

  it('refuses introspection to anonymous callers and allows it with schema:read when scoped', async () => {
    const gw = await startGateway(fx, { INTROSPECTION: 'scoped' });
    try {
      const anonymous = await post(gw.url, '{ __schema { queryType { name } } }');
      expect(anonymous.body).toMatchObject({ data: null, errors: [{ path: ['__schema'], extensions: { code: 'UNAUTHENTICATED' } }] });
      const partner = await post(gw.url, '{ __schema { queryType { name } } }', { headers: { authorization: await tokenFor(['schema:read'], { kind: 'partner', clientId: 'egc_p' }) } });
      expect(partner.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    } finally {
      await gw.stop();
    }
  });

  it('refuses an operation deeper than MAX_DEPTH', async () => {
    const gw = await startGateway(fx, { MAX_DEPTH: '2' });
    try {
      const deep = await post(gw.url, '{ product(id: "1") { reviews { body } } }');
      expect(deep.status).toBe(400);
      expect(deep.body.errors![0]!.extensions).toMatchObject({ code: 'OPERATION_TOO_COMPLEX', details: 'The operation nests 3 levels deep; the limit is 2' });
      expect((await post(gw.url, '{ product(id: "1") { name } }')).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });

  it('shares one rate budget between two gateways through Redis', async () => {
    const probe = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    const up = await probe.connect().then(() => true, () => false);
    probe.disconnect();
    if (!up) return void console.warn('skipped: no Redis at 127.0.0.1:6379');
    const prefix = `eg:test:${randomUUID()}:`;
    const connections = [new Redis('redis://127.0.0.1:6379'), new Redis('redis://127.0.0.1:6379')];
    const gateways = await Promise.all(connections.map((redis) => startGateway(fx, { RATE_LIMIT_ANONYMOUS: '6/3/5' }, [], { redis, prefix })));
    try {
      const statuses = [];
      for (const gw of [gateways[0]!, gateways[1]!, gateways[0]!, gateways[1]!]) statuses.push((await post(gw.url, '{ product(id: "p1") { name } }')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await Promise.all(gateways.map((gw) => gw.stop()));
      const keys = await connections[0]!.keys(`${prefix}*`);
      if (keys.length > 0) await connections[0]!.del(...keys);
      await Promise.all(connections.map((c) => c.quit()));
    }
  });

  it('answers 429 RATE_LIMITED with Retry-After once the burst is spent', async () => {
    const gw = await startGateway(fx, { RATE_LIMIT_ANONYMOUS: '6/3/5' });
    try {
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await post(gw.url, '{ product(id: "p1") { name } }'));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429]);
      expect(results.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
      const refused = results[3]!;
      expect(refused.headers.get('retry-after')).toBe('10');
      expect(refused.body).toMatchObject({ errors: [{ message: 'Too many requests', extensions: { code: 'RATE_LIMITED', status: 429 } }] });
      // another client (a signed-in user) has its own budget
      expect((await post(gw.url, '{ me }', { headers: { authorization: await tokenFor([]) } })).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appError } from '../platform/errors.js';
import { createGateway, type GatewayServer } from './server.js';
import type { GatewayExtension } from './types.js';
import { testConfig } from '../test/harness/gateway-config.js';
import { post, startFixtures, type Fixtures } from '../test/harness/gateway-fixtures.js';

/** A stand-in for the security extension: headers decide the caller. */
function testExtension(schemas: GraphQLSchema[]): GatewayExtension {
  return {
    name: 'test-auth',
    httpRoutes: [
      (req, res, { correlationId }) => {
        if (req.url !== '/hello') return Promise.resolve(false);
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`hello ${correlationId}`);
        return Promise.resolve(true);
      },
    ],
    buildContext(ctx, req, res) {
      if (req.headers['x-test-deny']) throw appError('UNAUTHENTICATED', 'The token is not valid', { details: 'test denial', target: 'authorization' });
      const user = req.headers['x-test-user'];
      if (typeof user === 'string') ctx.principal = { kind: 'user', sub: user, scopes: ['catalog:admin'], roles: [] };
      res.setHeader('x-ratelimit-limit', '60');
    },
    onSchemaChange(schema) {
      schemas.push(schema);
    },
    revealsSchema: (principal) => principal.kind !== 'anonymous',
  };
}

describe('gateway over two subgraphs', () => {
  let fx: Fixtures;
  let gw: GatewayServer;
  let dir: string;
  const schemas: GraphQLSchema[] = [];

  beforeAll(async () => {
    fx = await startFixtures();
    dir = await mkdtemp(join(tmpdir(), 'gw-'));
    await writeFile(join(dir, 'supergraph.graphql'), fx.supergraph());
    const config = testConfig({ MAX_BODY_BYTES: '2048', CORS_ORIGINS: 'https://app.example.com' });
    gw = await createGateway({ config, supergraphPath: join(dir, 'supergraph.graphql'), watch: false, extensions: [testExtension(schemas)] });
  });
  afterAll(async () => {
    await gw?.stop();
    await fx?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a query that spans both subgraphs', async () => {
    const res = await post(gw.url, '{ product(id: "p1") { id name reviews { body } } }');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({ data: { product: { id: 'p1', name: 'Product p1', reviews: [{ body: 'Great p1' }] } } });
  });

  it('echoes an incoming correlation id and sends it to every subgraph it calls', async () => {
    fx.seen.length = 0;
    const res = await post(gw.url, '{ product(id: "p2") { reviews { body } } }', { headers: { 'x-correlation-id': 'corr-test-0001' } });
    expect(res.headers.get('x-correlation-id')).toBe('corr-test-0001');
    expect(fx.seen.map((s) => [s.subgraph, s.correlationId])).toEqual([
      ['catalog', 'corr-test-0001'],
      ['reviews', 'corr-test-0001'],
    ]);
  });

  it('generates a correlation id when none (or a malformed one) is sent, and uses it downstream', async () => {
    fx.seen.length = 0;
    const res = await post(gw.url, '{ whoami { correlationId } }', { headers: { 'x-correlation-id': 'bad id with spaces' } });
    const id = res.headers.get('x-correlation-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.data?.whoami.correlationId).toBe(id);
    expect(fx.seen[0]!.correlationId).toBe(id);
  });

  it('signs the anonymous principal by default and the principal an extension sets', async () => {
    // A principal header sent by the caller is never forwarded: the gateway signs its own.
    const anon = await post(gw.url, '{ whoami { kind sub scopes } }', { headers: { 'x-principal': 'forged' } });
    expect(anon.body.data?.whoami).toEqual({ kind: 'anonymous', sub: null, scopes: [] });
    const user = await post(gw.url, '{ whoami { kind sub scopes } me }', { headers: { 'x-test-user': 'u-42' } });
    expect(user.body.data).toEqual({ whoami: { kind: 'user', sub: 'u-42', scopes: ['catalog:admin'] }, me: 'u-42' });
    expect(user.headers.get('x-ratelimit-limit')).toBe('60');
  });

  it('passes a registered error code from a subgraph through with its target and path', async () => {
    const res = await post(gw.url, '{ failBadInput(quantity: -1) }', { headers: { 'x-correlation-id': 'corr-bad-input' } });
    expect(res.body.data).toEqual({ failBadInput: null });
    const err = res.body.errors![0]!;
    expect(err.message).toBe('The input is invalid');
    expect(err.path).toEqual(['failBadInput']);
    expect(err.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      target: 'quantity',
      details: 'quantity must be positive, got -1',
      status: 400,
      correlationId: 'corr-bad-input',
      documentation: expect.stringContaining('BAD_USER_INPUT'),
    });
    expect(err.extensions.serviceName).toBeUndefined();
  });

  it('masks an unexpected subgraph error, with the correlation id and without detail or stack', async () => {
    const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-correlation-id': 'corr-boom' }, body: JSON.stringify({ query: '{ boom }' }) });
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('stacktrace');
    const body = JSON.parse(text);
    expect(body.data).toEqual({ boom: null });
    expect(body.errors[0]).toMatchObject({ message: 'Unexpected error', path: ['boom'], extensions: { code: 'INTERNAL_SERVER_ERROR', status: 500, correlationId: 'corr-boom' } });
    expect(body.errors[0]!.extensions.details).toContain('corr-boom');
  });

  it('answers an extension error from buildContext in the spec shape with its status', async () => {
    const res = await post(gw.url, '{ whoami { kind } }', { headers: { 'x-test-deny': '1', 'x-correlation-id': 'corr-deny' } });
    expect(res.status).toBe(401);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', details: 'test denial', target: 'authorization', status: 401, correlationId: 'corr-deny' });
  });

  it('refuses malformed JSON, a wrong content type and an oversize body with 4xx in the spec shape', async () => {
    const malformed = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(malformed.status).toBe(400);
    const mBody = (await malformed.json()) as any;
    expect(mBody.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', status: 400, correlationId: malformed.headers.get('x-correlation-id') });

    const textPlain = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ whoami { kind } }"}' });
    expect(textPlain.status).toBe(415);
    expect(((await textPlain.json()) as any).errors[0]!.extensions).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', status: 415 });

    const big = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ whoami { kind } } # ${'x'.repeat(4000)}` }) });
    expect(big.status).toBe(413);
    expect(((await big.json()) as any).errors[0]!.extensions).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });

    const notObject = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"just a string"' });
    expect(notObject.status).toBe(400);
  });

  it('reports GraphQL validation errors in the spec shape: 200 as application/json, 400 as application/graphql-response+json', async () => {
    const res = await post(gw.url, '{ nope }');
    expect(res.status).toBe(200);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', status: 400, correlationId: res.headers.get('x-correlation-id') });
    const strict = await post(gw.url, '{ nope }', { headers: { accept: 'application/graphql-response+json' } });
    expect(strict.status).toBe(400);
    expect(strict.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
    expect(strict.body.errors![0]!.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', status: 400 });
  });

  it('suggests field names ("Did you mean …?") only to callers an extension lets see the schema', async () => {
    const anonymous = await post(gw.url, '{ produc(id: "p1") { id } }');
    expect(anonymous.body.errors![0]!.message).toBe('Cannot query field "produc" on type "Query".');
    expect(anonymous.body.errors![0]!.extensions.message).toBe('Cannot query field "produc" on type "Query".');
    const user = await post(gw.url, '{ produc(id: "p1") { id } }', { headers: { 'x-test-user': 'u-1' } });
    expect(user.body.errors![0]!.message).toBe('Cannot query field "produc" on type "Query". Did you mean "product"?');
  });

  it('keeps CSRF prevention on for GET and serves GET queries that carry a preflight header', async () => {
    const query = encodeURIComponent('{ whoami { kind } }');
    const simple = await fetch(`${gw.url}?query=${query}`);
    expect(simple.status).toBe(400);
    expect(((await simple.json()) as any).errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', correlationId: simple.headers.get('x-correlation-id') });
    const withHeader = await fetch(`${gw.url}?query=${query}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(withHeader.status).toBe(200);
    expect(((await withHeader.json()) as any).data).toEqual({ whoami: { kind: 'anonymous' } });
  });

  it('answers CORS preflights from the allowlist and refuses other origins', async () => {
    const ok = await fetch(gw.url, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
    const refused = await fetch(gw.url, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await post(gw.url, '{ whoami { kind } }', { headers: { origin: 'https://app.example.com' } });
    expect(simple.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(simple.headers.get('access-control-expose-headers')).toContain('X-Correlation-ID');
  });

  it('serves /health, /ready, extension routes, and 404 for anything else', async () => {
    expect((await fetch(gw.url.replace('/graphql', '/health'))).status).toBe(200);
    const ready = await fetch(gw.url.replace('/graphql', '/ready'));
    expect(ready.status).toBe(200);
    expect((await ready.json()) as any).toEqual({ status: 'ready', subgraphs: { catalog: 'ready', reviews: 'ready' } });
    const hello = await fetch(gw.url.replace('/graphql', '/hello'), { headers: { 'x-correlation-id': 'corr-hello' } });
    expect(await hello.text()).toBe('hello corr-hello');
    const missing = await fetch(gw.url.replace('/graphql', '/nope'));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).errors[0]!.extensions.code).toBe('RESOURCE_NOT_FOUND');
  });

  it('tells extensions the schema, with access rules written into the field descriptions', () => {
    expect(schemas).toHaveLength(1);
    const fields = schemas[0]!.getQueryType()!.getFields();
    expect(fields.secret!.description).toBe('Internal figures.\n\nRequires scopes: catalog:admin or admin.');
    expect(fields.me!.description).toBe('Requires authentication.');
    expect(gw.getState().prepared.rules.get('Query.secret')).toEqual({ authenticated: false, scopes: [['catalog:admin'], ['admin']] });
    expect(Object.keys(gw.getState().serviceMap()).sort()).toEqual(['catalog', 'reviews']);
  });
});

describe('gateway when a subgraph is down or the secret is wrong', () => {
  let fx: Fixtures;
  let gw: GatewayServer;

  beforeAll(async () => {
    fx = await startFixtures();
    gw = await createGateway({ config: testConfig(), supergraphSdl: fx.supergraph() });
  });
  afterAll(async () => {
    await gw?.stop();
    await fx?.stop();
  });

  it('the subgraph refuses a principal signed with another secret, and the caller sees a masked error', async () => {
    const wrong = await createGateway({ config: testConfig({ INTERNAL_SECRET: 'another-secret-that-is-long-enough-000' }), supergraphSdl: fx.supergraph() });
    try {
      const res = await post(wrong.url, '{ whoami { kind } }', { headers: { 'x-correlation-id': 'corr-wrong-secret' } });
      expect(res.body.errors![0]).toMatchObject({ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId: 'corr-wrong-secret' } });
    } finally {
      await wrong.stop();
    }
  });

  it('reports 503 on /ready naming the subgraph that is down, and masks the failed call', async () => {
    await fx.reviews.stop();
    const ready = await fetch(gw.url.replace('/graphql', '/ready'));
    expect(ready.status).toBe(503);
    expect((await ready.json()) as any).toEqual({ status: 'unavailable', subgraphs: { catalog: 'ready', reviews: 'unavailable' }, unavailable: ['reviews'] });

    const res = await fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ product(id: "p1") { name reviews { body } } }' }) });
    const text = await res.text();
    expect(text).not.toContain('127.0.0.1');
    const body = JSON.parse(text);
    expect(body.errors[0]).toMatchObject({ message: 'Unexpected error', extensions: { code: 'INTERNAL_SERVER_ERROR', correlationId: res.headers.get('x-correlation-id') } });
  });
});

describe('gateway lifecycle', () => {
  it('stop() drains an in-flight request, refuses new connections, and is safe to call twice', async () => {
    const fx = await startFixtures();
    const gw = await createGateway({ config: testConfig(), supergraphSdl: fx.supergraph() });
    try {
      const inFlight = post(gw.url, '{ slow }');
      await fx.slowStarted.promise;
      const first = gw.stop();
      const second = gw.stop();
      expect(second).toBe(first);
      fx.slowGate.open();
      expect((await inFlight).body).toEqual({ data: { slow: 'finally' } });
      await Promise.all([first, second]);
      await gw.stop();
      await expect(fetch(gw.url.replace('/graphql', '/health'))).rejects.toThrow();
    } finally {
      await gw.stop();
      await fx.stop();
    }
  });

  it('refuses to start on a file that is not a supergraph, leaving nothing open', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gw-bad-'));
    try {
      await writeFile(join(dir, 'supergraph.graphql'), 'type Query { a: String }');
      await expect(createGateway({ config: testConfig(), supergraphPath: join(dir, 'supergraph.graphql') })).rejects.toThrow(/not a supergraph/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

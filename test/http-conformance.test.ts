/**
 * GraphQL over HTTP through the whole product: graphql-http's server audit against the gateway,
 * status codes and media types of request errors, HTTP method and content-type refusals, errors
 * raised before execution, and signed tokens whose claims have the wrong types.
 */
import { SignJWT } from 'jose';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../platform/errors.js';
import { loadAuthConfig } from '../gateway/auth/config.js';
import { expectSpecError } from './harness/e2e.js';
import { startTestStack, type TestStack } from './harness/stack.js';

/** The audit sends ~60 anonymous requests at once: the anonymous tier is raised for this file (it stays enforced). */
const ENV = { RATE_LIMIT_ANONYMOUS: '100000/50000/200' };
const JSON_MEDIA = 'application/json';
const GQL_MEDIA = 'application/graphql-response+json';

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack({ seed: false, env: ENV });
});
afterAll(() => t?.stop());

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: unknown; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }> };
}

async function send(init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; search?: string }): Promise<Answer> {
  const { method = 'POST', headers = {}, search = '' } = init;
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const res = await fetch(t.url + search, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) };
}

/** A signed token with arbitrary claims (valid issuer, audience, subject and lifetime unless overridden). */
function sign(claims: Record<string, unknown>): Promise<string> {
  const jwt = loadAuthConfig({ NODE_ENV: 'test' }).jwt;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: jwt.issuer, aud: jwt.audience, sub: 'svc-tests', kind: 'internal', exp: now + 300, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(jwt.secret));
}

/** The audits of the MUST and SHOULD requirements that did not pass, with their reasons. */
async function auditFailures(url: string, fetchFn?: typeof fetch): Promise<{ failures: string[]; audited: number }> {
  const results = await auditServer({ url, fetchFn });
  const required = results.filter((r) => /^(MUST|SHOULD)\b/.test(r.name));
  const failures = required.flatMap((r) => (r.status === 'ok' ? [] : [`${r.id} ${r.name}: ${r.reason}`]));
  return { failures, audited: required.length };
}

describe('graphql-http server audit', () => {
  it('passes every MUST and SHOULD of the GraphQL over HTTP audit', async () => {
    const { failures, audited } = await auditFailures(t.url);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(audited).toBeGreaterThan(30);
  });

  it('passes them with production settings too, for a caller introspection is open to (the audit introspects)', async () => {
    const production = await startTestStack({
      seed: false,
      env: { ...ENV, NODE_ENV: 'production', JWT_SECRET: 's'.repeat(40), INTERNAL_SECRET: 'i'.repeat(40), RATE_LIMIT_INTERNAL: '100000/50000/200' },
    });
    try {
      const token = await production.token({ sub: 'conformance', kind: 'internal', scopes: ['schema:read'] });
      const withToken: typeof fetch = (input, init = {}) => fetch(input, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } });
      const { failures } = await auditFailures(production.url, withToken);
      expect(failures, failures.join('\n')).toEqual([]);
    } finally {
      await production.stop();
    }
  });
});

describe('request errors by response media type', () => {
  const cases: Array<{ name: string; body: Record<string, unknown>; code: ErrorCode; message: RegExp }> = [
    { name: 'a document that does not parse', body: { query: '{ events(first: 1) {' }, code: 'GRAPHQL_PARSE_FAILED', message: /parsed/ },
    { name: 'a document that does not validate', body: { query: '{ noSuchField }' }, code: 'GRAPHQL_VALIDATION_FAILED', message: /Cannot query field "noSuchField"/ },
    {
      name: 'variables that cannot be coerced',
      body: { query: 'query ($id: ID!) { event(id: $id) { id } }', variables: { id: { not: 'an id' } } },
      code: 'BAD_USER_INPUT',
      message: /Variable "\$id" got invalid value/,
    },
    { name: 'a missing required variable', body: { query: 'query ($id: ID!) { event(id: $id) { id } }' }, code: 'BAD_USER_INPUT', message: /Variable "\$id" of required type "ID!" was not provided/ },
    { name: 'an operation name the document does not hold', body: { query: 'query A { __typename }', operationName: 'B' }, code: 'BAD_USER_INPUT', message: /Unknown operation named "B"/ },
    { name: 'several operations and no operation name', body: { query: 'query A { __typename } query B { __typename }' }, code: 'BAD_USER_INPUT', message: /Must provide operation name/ },
  ];

  for (const c of cases) {
    it(`${c.name}: 200 as application/json, 400 as application/graphql-response+json, no data either way`, async () => {
      for (const [accept, status, media] of [
        [JSON_MEDIA, 200, JSON_MEDIA],
        [undefined, 200, JSON_MEDIA],
        ['*/*', 200, JSON_MEDIA],
        [GQL_MEDIA, 400, GQL_MEDIA],
        [`${GQL_MEDIA}, ${JSON_MEDIA};q=0.9`, 400, GQL_MEDIA],
      ] as const) {
        const res = await send({ body: c.body, headers: accept ? { accept } : {} });
        expect(res.status, `${accept}: ${JSON.stringify(res.body)}`).toBe(status);
        expect(res.headers.get('content-type')).toBe(`${media}; charset=utf-8`);
        expect(res.body).not.toHaveProperty('data');
        expect(res.body.errors).toHaveLength(1);
        expectSpecError(res.body.errors![0], c.code);
        expect(res.body.errors![0]!.message).toMatch(c.message);
        expect(res.body.errors![0]!.extensions!.correlationId).toBe(res.headers.get('x-correlation-id'));
      }
    });
  }

  it('a GET query that does not validate follows the same rule', async () => {
    const search = `?query=${encodeURIComponent('{ noSuchField }')}`;
    const json = await send({ method: 'GET', search, headers: { 'apollo-require-preflight': '1', accept: JSON_MEDIA } });
    expect(json.status).toBe(200);
    expectSpecError(json.body.errors![0], 'GRAPHQL_VALIDATION_FAILED');
    const gql = await send({ method: 'GET', search, headers: { 'apollo-require-preflight': '1', accept: GQL_MEDIA } });
    expect(gql.status).toBe(400);
    expect(gql.headers.get('content-type')).toBe(`${GQL_MEDIA}; charset=utf-8`);
  });

  it('a field error during execution still answers 200 with data, in either media type', async () => {
    for (const accept of [JSON_MEDIA, GQL_MEDIA]) {
      const res = await send({ body: { query: '{ event(id: "not-an-id") { id } }' }, headers: { accept } });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ event: null });
      expectSpecError(res.body.errors![0], 'BAD_USER_INPUT', 'id');
    }
  });
});

describe('errors raised before execution keep their status in both media types', () => {
  it('a token that does not verify: 401 UNAUTHENTICATED, in the media type asked for', async () => {
    for (const accept of [JSON_MEDIA, GQL_MEDIA]) {
      const res = await send({ body: { query: '{ __typename }' }, headers: { accept, authorization: 'Bearer not-a-token' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe(`${accept}; charset=utf-8`);
      expectSpecError(res.body.errors![0], 'UNAUTHENTICATED');
    }
  });

  it('limits: 400 OPERATION_TOO_COMPLEX and 413 PAYLOAD_TOO_LARGE also as application/json', async () => {
    const aliases = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    const tooMany = await send({ body: { query: aliases }, headers: { accept: JSON_MEDIA } });
    expect(tooMany.status).toBe(400);
    expectSpecError(tooMany.body.errors![0], 'OPERATION_TOO_COMPLEX', 'aliases');
    const big = await send({ body: { query: `{ __typename } # ${'x'.repeat(200_000)}` }, headers: { accept: JSON_MEDIA } });
    expect(big.status).toBe(413);
    expectSpecError(big.body.errors![0], 'PAYLOAD_TOO_LARGE');
  });

  it('a body that is not JSON: 400 in both media types', async () => {
    for (const accept of [JSON_MEDIA, GQL_MEDIA]) {
      const res = await send({ rawBody: '{ "query": ', headers: { accept } });
      expect(res.status).toBe(400);
      expectSpecError(res.body.errors![0], 'BAD_USER_INPUT');
    }
  });
});

describe('HTTP methods, content types and media types', () => {
  it('a mutation over GET: 405 with Allow: POST, and status 405 in the body', async () => {
    const res = await send({ method: 'GET', search: `?query=${encodeURIComponent('mutation { __typename }')}`, headers: { 'apollo-require-preflight': '1' } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expectSpecError(res.body.errors![0], 'METHOD_NOT_ALLOWED');
    expect(res.body.errors![0]!.message).toMatch(/GET requests only support query operations/);
  });

  it('a subscription over GET: 405 too', async () => {
    const res = await send({ method: 'GET', search: `?query=${encodeURIComponent('subscription { eventChanged(eventId: "x") { cursor } }')}`, headers: { 'apollo-require-preflight': '1' } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expectSpecError(res.body.errors![0], 'METHOD_NOT_ALLOWED');
  });

  it('any other method on /graphql: 405 with Allow: GET, POST', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const res = await send({ method, body: { query: '{ __typename }' } });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, POST');
      expectSpecError(res.body.errors![0], 'METHOD_NOT_ALLOWED');
    }
  });

  it('a POST body that is not JSON by its content type: 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await send({ rawBody: JSON.stringify({ query: '{ __typename }' }), headers: { 'content-type': contentType } });
      expect(res.status, contentType).toBe(415);
      expectSpecError(res.body.errors![0], 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('a client that accepts neither JSON media type: 406 NOT_ACCEPTABLE', async () => {
    const res = await send({ body: { query: '{ __typename }' }, headers: { accept: 'text/csv' } });
    expect(res.status).toBe(406);
    expectSpecError(res.body.errors![0], 'NOT_ACCEPTABLE');
  });
});

describe('signed tokens whose claims have the wrong type', () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['sub', { sub: { id: 'x' } }],
    ['sub', { sub: 42 }],
    ['sub', { sub: '' }],
    ['kind', { kind: ['internal'] }],
    ['kind', { kind: null }],
    ['scope', { scope: { admin: true } }],
    ['scopes', { scopes: ['events:read', 7] }],
    ['roles', { roles: 'admin'.length }],
    ['client_id', { kind: 'partner', client_id: ['egc_1'] }],
    ['exp', { exp: String(Math.floor(Date.now() / 1000) + 300) }],
    ['nbf', { nbf: 'yesterday' }],
  ];

  it('each one answers 401 UNAUTHENTICATED naming the claim, over HTTP', async () => {
    for (const [claim, claims] of bad) {
      const res = await send({ body: { query: '{ events(first: 1) { totalCount } }' }, headers: { authorization: `Bearer ${await sign(claims)}` } });
      expect(res.status, JSON.stringify(claims)).toBe(401);
      expectSpecError(res.body.errors![0], 'UNAUTHENTICATED');
      expect(res.body.errors![0]!.extensions!.details).toContain(`'${claim}'`);
    }
  });

  it('the same token is refused on the WebSocket endpoint (4403), where a well-typed one connects', async () => {
    const connect = async (token: string): Promise<number | 'connected'> => {
      let client: Client | undefined;
      const outcome = new Promise<number | 'connected'>((resolve) => {
        client = createClient({
          url: t.wsUrl,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          lazy: false,
          connectionParams: { authorization: `Bearer ${token}` },
          on: { connected: () => resolve('connected'), closed: (e) => resolve((e as { code: number }).code) },
          onNonLazyError: () => undefined,
        });
      });
      try {
        return await outcome;
      } finally {
        await client?.dispose();
      }
    };
    expect(await connect(await sign({ sub: { id: 'x' } }))).toBe(4403);
    expect(await connect(await sign({}))).toBe('connected');
  });
});

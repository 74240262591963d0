/**
 * graphql-js's "Did you mean …?" suggestions name fields, arguments, types and enum values of the
 * schema, so they reach only callers introspection is open to. The product runs with production
 * settings here (INTROSPECTION defaults to `scoped`: `schema:read` or `admin`), over HTTP and over
 * the WebSocket endpoint; with INTROSPECTION=off nobody gets them.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectSpecError } from './harness/e2e.js';
import { startTestStack, type TestStack } from './harness/stack.js';

const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: 's'.repeat(40), INTERNAL_SECRET: 'i'.repeat(40), RATE_LIMIT_ANONYMOUS: '100000/50000/50' };

/** Operations each refused with a suggestion in its message (`hint`) when schema names may be shown. */
const MISTAKES: Array<{ name: string; query: string; variables?: Record<string, unknown>; code: 'GRAPHQL_VALIDATION_FAILED' | 'BAD_USER_INPUT'; message: string; hint: string }> = [
  { name: 'field', query: '{ evnts(first: 1) { totalCount } }', code: 'GRAPHQL_VALIDATION_FAILED', message: 'Cannot query field "evnts" on type "Query".', hint: '"events"' },
  { name: 'argument', query: '{ events(frist: 1) { totalCount } }', code: 'GRAPHQL_VALIDATION_FAILED', message: 'Unknown argument "frist" on field "Query.events".', hint: '"first"' },
  { name: 'enum literal', query: '{ events(first: 1, status: PUBLISHD) { totalCount } }', code: 'GRAPHQL_VALIDATION_FAILED', message: 'Value "PUBLISHD" does not exist in "EventStatus" enum.', hint: '"PUBLISHED"' },
  { name: 'type', query: 'query ($s: EventStats) { events(first: 1, status: $s) { totalCount } }', code: 'GRAPHQL_VALIDATION_FAILED', message: 'Unknown type "EventStats".', hint: '"EventStatus"' },
  {
    name: 'input field literal',
    query: '{ events(first: 1, filter: { serch: "x" }) { totalCount } }',
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: 'Field "serch" is not defined by type "EventFilter".',
    hint: '"search"',
  },
  {
    name: 'enum value in variables',
    query: 'query ($s: EventStatus) { events(first: 1, status: $s) { totalCount } }',
    variables: { s: 'PUBLISHD' },
    code: 'BAD_USER_INPUT',
    message: 'Variable "$s" got invalid value "PUBLISHD"; Value "PUBLISHD" does not exist in "EventStatus" enum.',
    hint: '"PUBLISHED"',
  },
  {
    name: 'input field in variables',
    query: 'query ($f: EventFilter) { events(first: 1, filter: $f) { totalCount } }',
    variables: { f: { serch: 'x' } },
    code: 'BAD_USER_INPUT',
    message: 'Variable "$f" got invalid value { serch: "x" }; Field "serch" is not defined by type "EventFilter".',
    hint: '"search"',
  },
];

/** The message and `extensions.message` of the one error an operation is refused with. */
async function refusal(t: TestStack, m: (typeof MISTAKES)[number], token?: string): Promise<string> {
  const res = await t.gql(m.query, m.variables, { token });
  expect(res.body.errors, JSON.stringify(res.body)).toHaveLength(1);
  const err = res.body.errors![0]!;
  expectSpecError(err, m.code);
  expect(err.extensions!.message).toBe(err.message);
  return err.message;
}

const clients: Client[] = [];

/** The first error a subscribe over the WebSocket endpoint is refused with. */
async function subscribeRefusal(t: TestStack, query: string, variables: Record<string, unknown> | undefined, token?: string): Promise<{ message: string; extensions?: Record<string, unknown> }> {
  const client = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: token ? { authorization: `Bearer ${token}` } : {} });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.subscribe(
      { query, variables },
      {
        next: () => reject(new Error('the subscription was accepted')),
        error: (e) => resolve((Array.isArray(e) ? e[0] : e) as { message: string }),
        complete: () => reject(new Error('the subscription completed')),
      },
    );
  });
}

afterAll(async () => {
  for (const c of clients) await c.dispose();
});

describe('production settings (INTROSPECTION scoped by default)', () => {
  let t: TestStack;
  let schemaReader: string;
  let admin: string;
  let other: string;
  beforeAll(async () => {
    t = await startTestStack({ seed: false, env: PRODUCTION });
    schemaReader = await t.token({ sub: 'docs-portal', kind: 'internal', scopes: ['schema:read'] });
    admin = await t.token({ sub: 'ops', kind: 'internal', scopes: ['admin'] });
    other = await t.token({ sub: 'reports', kind: 'internal', scopes: ['events:read', 'registrations:read'] });
  });
  afterAll(() => t?.stop());

  for (const m of MISTAKES) {
    it(`${m.name}: no suggestion for anonymous callers and callers without schema:read`, async () => {
      expect(await refusal(t, m)).toBe(m.message);
      expect(await refusal(t, m, other)).toBe(m.message);
    });

    it(`${m.name}: the suggestion for schema:read and admin`, async () => {
      for (const token of [schemaReader, admin]) {
        const message = await refusal(t, m, token);
        expect(message.startsWith(m.message)).toBe(true);
        expect(message).toMatch(new RegExp(`Did you mean .*${m.hint}`));
      }
    });
  }

  it('over the WebSocket endpoint: validation and variable errors follow the same rule', async () => {
    const typo = 'subscription ($e: ID!) { eventChanged(eventId: $e) { cursr } }';
    const hidden = await subscribeRefusal(t, typo, { e: '000000000000000000000001' }, other);
    expect(hidden.message).toBe('Cannot query field "cursr" on type "EventChangedEvent".');
    expect(hidden.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', message: hidden.message });
    const shown = await subscribeRefusal(t, typo, { e: '000000000000000000000001' }, schemaReader);
    expect(shown.message).toMatch(/Did you mean "cursor"\?$/);

    const badEnum = 'subscription ($e: ID!, $s: RegistrationStatus) { eventChanged(eventId: $e) { event { registrations(status: $s) { totalCount } } } }';
    const variables = { e: '000000000000000000000001', s: 'CONFIRMD' };
    const coerced = await subscribeRefusal(t, badEnum, variables, other);
    expect(coerced.message).toBe('Variable "$s" got invalid value "CONFIRMD"; Value "CONFIRMD" does not exist in "RegistrationStatus" enum.');
    expect(coerced.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((await subscribeRefusal(t, badEnum, variables, schemaReader)).message).toMatch(/Did you mean the enum value "CONFIRMED"\?$/);
  });
});

describe('INTROSPECTION=off', () => {
  let t: TestStack;
  beforeAll(async () => {
    t = await startTestStack({ seed: false, env: { ...PRODUCTION, INTROSPECTION: 'off' } });
  });
  afterAll(() => t?.stop());

  it('suggests nothing, even to an admin', async () => {
    const admin = await t.token({ sub: 'ops', kind: 'internal', scopes: ['admin', 'schema:read'] });
    for (const m of MISTAKES) expect(await refusal(t, m, admin)).toBe(m.message);
  });
});

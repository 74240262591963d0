/**
 * Who may do what, through the whole product (localdb, the four subgraphs, the gateway with its
 * security extension): anonymous, attendee, organizer, partners (API key and OAuth client
 * credentials) and admin against representative queries and mutations, and the audit log of the
 * mutations they ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoId } from '../../subgraphs/kit/ids.js';
import { DEMO_USERS, startTestStack, type GraphQLResponse, type TestStack } from '../../test/harness/stack.js';
import { ROLE_SCOPES } from './scopes.js';

const EVENT0 = demoId('event', 0).toHexString();
/** Demo registration 300: event 0, confirmed, not checked in. */
const REG300 = demoId('registration', 300).toHexString();
const REG303 = demoId('registration', 303).toHexString();

type Caller = 'anonymous' | 'attendee' | 'organizer' | 'partnerKey' | 'partnerOAuth' | 'admin';

/** What a caller got: HTTP status, data, and [path, code] of each error. */
function outcome(res: GraphQLResponse) {
  return { status: res.status, data: res.body.data, errors: (res.body.errors ?? []).map((e) => [e.path?.join('.') ?? null, e.extensions?.code]) };
}

describe('access matrix through the gateway', () => {
  let t: TestStack;
  let base: string;
  const headers = {} as Record<Caller, Record<string, string>>;
  const as = async (caller: Caller, query: string, variables?: Record<string, unknown>) => outcome(await t.gql(query, variables, { headers: headers[caller] }));

  beforeAll(async () => {
    t = await startTestStack({ seed: true, env: { RATE_LIMIT_ANONYMOUS: '600/200/50' } });
    base = t.url.replace(/\/graphql$/, '');
    const bearer = async (sub: string, roles: string[], scopes: readonly string[]) => ({ authorization: `Bearer ${await t.token({ sub, roles, scopes: [...scopes] })}` });
    headers.anonymous = {};
    headers.attendee = await bearer(DEMO_USERS.attendee, ['attendee'], ROLE_SCOPES.attendee!);
    headers.organizer = await bearer(DEMO_USERS.organizer, ['organizer'], ROLE_SCOPES.organizer!);
    headers.admin = await bearer(DEMO_USERS.admin, ['admin'], ['admin']);
    // The organizer registers a partner integration through the gateway.
    const created = await t.gql(
      'mutation NewPartner($input: CreateApiClientInput!) { createApiClient(input: $input) { client { id clientId scopes } apiKey clientSecret } }',
      { input: { name: 'Badge printer', scopes: ['events:read', 'checkins:write'] } },
      { headers: headers.organizer },
    );
    expect(created.body.errors).toBeUndefined();
    const { apiKey, clientSecret, client } = created.body.data.createApiClient;
    headers.partnerKey = { 'x-api-key': apiKey };
    const tokenRes = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}` },
      body: 'grant_type=client_credentials&scope=events:read',
    });
    const issued = (await tokenRes.json()) as { access_token: string; scope: string };
    expect(issued.scope).toBe('events:read');
    headers.partnerOAuth = { authorization: `Bearer ${issued.access_token}` };
  });
  afterAll(() => t?.stop());

  it('public event listing: everyone', async () => {
    const q = '{ events(first: 1) { edges { node { id title organizer { name } } } } }';
    const expected = { status: 200, data: { events: { edges: [{ node: { id: EVENT0, title: 'EventGraph Summit 2027', organizer: { name: 'Grace Lovelace' } } }] } }, errors: [] };
    for (const caller of Object.keys(headers) as Caller[]) expect(await as(caller, q), caller).toEqual(expected);
  });

  it('registrations of an event: authenticated at the gateway, organizer or registrations:read in the subgraph', async () => {
    const q = 'query($id: ID!) { event(id: $id) { title registrations(first: 2) { totalCount } } }';
    const v = { id: EVENT0 };
    const allowed = { status: 200, data: { event: { title: 'EventGraph Summit 2027', registrations: { totalCount: 400 } } }, errors: [] };
    expect(await as('anonymous', q, v)).toEqual({ status: 200, data: { event: null }, errors: [['event.registrations', 'UNAUTHENTICATED']] });
    // The organizer's partner client acts for the organizer but holds neither registrations:read nor registrations:write.
    for (const caller of ['attendee', 'partnerKey', 'partnerOAuth'] as const) expect(await as(caller, q, v), caller).toEqual({ status: 200, data: { event: null }, errors: [['event.registrations', 'FORBIDDEN']] });
    for (const caller of ['organizer', 'admin'] as const) expect(await as(caller, q, v), caller).toEqual(allowed);
  });

  it('all payments: payments:read only', async () => {
    const q = '{ payments(first: 1) { totalCount } }';
    expect(await as('anonymous', q)).toEqual({ status: 200, data: null, errors: [['payments', 'UNAUTHENTICATED']] });
    for (const caller of ['attendee', 'organizer', 'partnerKey', 'partnerOAuth'] as const) {
      expect(await as(caller, q), caller).toEqual({ status: 200, data: null, errors: [['payments', 'FORBIDDEN']] });
    }
    expect(await as('admin', q)).toEqual({ status: 200, data: { payments: { totalCount: 800 } }, errors: [] });
  });

  it('a user e-mail: the user, the organizer of an event they attend, and admins (object rule in the people subgraph)', async () => {
    const q = `{ user(id: "${DEMO_USERS.attendee}") { name email } }`;
    const visible = { status: 200, data: { user: { name: 'Ken Turing', email: 'ken.turing45@example.com' } }, errors: [] };
    for (const caller of ['attendee', 'organizer', 'admin'] as const) expect(await as(caller, q), caller).toEqual(visible);
    for (const caller of ['anonymous', 'partnerKey'] as const) {
      expect(await as(caller, q), caller).toEqual({ status: 200, data: { user: null }, errors: [['user.email', 'FORBIDDEN']] });
    }
  });

  it('sync jobs: integrations:read', async () => {
    const q = '{ syncJobs(first: 1) { totalCount } }';
    expect(await as('anonymous', q)).toEqual({ status: 200, data: null, errors: [['syncJobs', 'UNAUTHENTICATED']] });
    for (const caller of ['attendee', 'partnerKey'] as const) expect(await as(caller, q), caller).toEqual({ status: 200, data: null, errors: [['syncJobs', 'FORBIDDEN']] });
    for (const caller of ['organizer', 'admin'] as const) expect(await as(caller, q), caller).toEqual({ status: 200, data: { syncJobs: { totalCount: 3 } }, errors: [] });
  });

  it('check-in: checkins:write at the gateway; nothing runs for callers without it', async () => {
    const m = 'mutation CheckIn($r: ID) { checkIn(registrationId: $r) { registration { id status } } }';
    expect(await as('anonymous', m, { r: REG300 })).toEqual({ status: 200, data: null, errors: [['checkIn', 'UNAUTHENTICATED']] });
    expect(await as('attendee', m, { r: REG300 })).toEqual({ status: 200, data: null, errors: [['checkIn', 'FORBIDDEN']] });
    expect(await as('partnerOAuth', m, { r: REG300 })).toEqual({ status: 200, data: null, errors: [['checkIn', 'FORBIDDEN']] });
    const done = { status: 200, data: { checkIn: { registration: { id: REG300, status: 'CONFIRMED' } } }, errors: [] };
    expect(await as('organizer', m, { r: REG300 })).toEqual(done);
    expect(await as('organizer', m, { r: REG300 })).toEqual(done); // idempotent
    expect(await as('partnerKey', m, { r: REG303 })).toEqual({ ...done, data: { checkIn: { registration: { id: REG303, status: 'CONFIRMED' } } } });
  });

  it('shows partners the scopes each field requires in the introspected schema', async () => {
    const res = await t.gql('{ __type(name: "Query") { fields { name description } } }', {}, { headers: headers.partnerKey });
    const describe = (name: string) => res.body.data.__type.fields.find((f: { name: string }) => f.name === name)?.description;
    expect(describe('payments')).toContain('Requires scopes: payments:read.');
    expect(describe('syncJobs')).toContain('Requires scopes: integrations:read.');
    expect(describe('me')).toContain('Requires authentication.');
    expect(describe('verifyApiKey')).toBeUndefined(); // internal-only fields are not in the public schema
  });

  it('keeps an audit log of every mutation, readable by admins only', async () => {
    const read = (caller: Caller, query = '?limit=50') => fetch(`${base}/admin/audit${query}`, { headers: headers[caller] });
    expect((await read('anonymous')).status).toBe(401);
    const forbidden = await read('organizer');
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({ errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    expect((await read('admin', '?limit=0')).status).toBe(400);

    const res = await read('admin');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { entries } = (await res.json()) as { entries: Array<Record<string, any>> };
    const checkIns = entries.filter((e) => e.operationName === 'CheckIn').reverse();
    expect(checkIns.map((e) => [e.actor.kind, e.actor.sub, e.outcome, e.errorCodes, e.ids])).toEqual([
      ['anonymous', null, 'error', ['UNAUTHENTICATED'], { 'checkIn.registrationId': REG300 }],
      ['user', DEMO_USERS.attendee, 'error', ['FORBIDDEN'], { 'checkIn.registrationId': REG300 }],
      ['partner', expect.stringMatching(/^egc_/), 'error', ['FORBIDDEN'], { 'checkIn.registrationId': REG300 }],
      ['user', DEMO_USERS.organizer, 'ok', [], { 'checkIn.registrationId': REG300 }],
      ['user', DEMO_USERS.organizer, 'ok', [], { 'checkIn.registrationId': REG300 }],
      ['partner', expect.stringMatching(/^egc_/), 'ok', [], { 'checkIn.registrationId': REG303 }],
    ]);
    expect(checkIns[0]).toMatchObject({ fields: ['checkIn'], correlationId: expect.any(String), at: expect.any(String) });
    const created = entries.find((e) => e.operationName === 'NewPartner');
    expect(created).toMatchObject({ actor: { kind: 'user', sub: DEMO_USERS.organizer }, fields: ['createApiClient'], outcome: 'ok' });

    // paging: newest first, `next` continues with older entries
    const first = (await (await read('admin', '?limit=2')).json()) as { entries: Array<{ id: string }>; next: string };
    const second = (await (await read('admin', `?limit=2&after=${first.next}`)).json()) as { entries: Array<{ id: string }> };
    expect(first.entries.map((e) => e.id)).toEqual(entries.slice(0, 2).map((e) => e.id));
    expect(second.entries.map((e) => e.id)).toEqual(entries.slice(2, 4).map((e) => e.id));
  });
});

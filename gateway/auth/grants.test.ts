/**
 * Who may grant which scopes, through the whole product (localdb, four subgraphs, gateway): a
 * credential never carries a scope its creator does not hold (admins aside) — not when created by
 * an organizer, not when its scopes are changed, not when created by another key, not when an
 * OAuth token is asked for — and an organizer's key acts for the organizer and reaches no more than
 * the organizer could, by X-API-Key, `Authorization: ApiKey` and OAuth token alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { demoId } from '../../subgraphs/kit/ids.js';
import { expectSpecError, startE2E, type E2E } from '../../test/harness/e2e.js';
import { DEMO_USERS, type GraphQLResponse } from '../../test/harness/stack.js';
import { ROLE_SCOPES } from '../shield/scopes.js';
import { loadAuthConfig } from './config.js';
import { createPeopleDirectory } from './people.js';

const CREATE = `mutation($input: CreateApiClientInput!) { createApiClient(input: $input) { client { id clientId ownerId scopes global } apiKey clientSecret } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateApiClientInput!) { updateApiClient(id: $id, input: $input) { scopes global } }`;
/** Data an organizer may not read: every user's email and consents, every payment. */
const BEYOND_ORGANIZER = {
  users: '{ users(first: 1) { edges { node { email } } } }',
  consents: `{ user(id: "${DEMO_USERS.admin}") { consents { purpose } } }`,
  payments: '{ payments(first: 1) { totalCount } }',
};

let t: E2E;
let organizer: string;
let base: string;
const clients = () => t.stack.subgraphs.people.conn.db!.collection('api_clients');

beforeAll(async () => {
  t = await startE2E();
  base = t.url.replace(/\/graphql$/, '');
  organizer = await t.token({ sub: DEMO_USERS.organizer, roles: ['organizer'], scopes: [...ROLE_SCOPES.organizer!] });
});
afterAll(async () => {
  await t?.stop();
});

/** A FORBIDDEN refusal of a mutation, with what it names. */
function forbidden(res: GraphQLResponse): { target: unknown; details: unknown } {
  expect(res.body.data ?? null, JSON.stringify(res.body)).toBeNull();
  expectSpecError(res.body.errors?.[0], 'FORBIDDEN');
  return { target: res.body.errors![0]!.extensions!.target, details: res.body.errors![0]!.extensions!.details };
}

async function oauthToken(clientId: string, clientSecret: string, scope?: string): Promise<{ status: number; body: Record<string, string> }> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, ...(scope ? { scope } : {}) });
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}

/** What a caller got for a read: data and [path, code] of each error. */
async function reach(query: string, opts: { token?: string; headers?: Record<string, string> }) {
  const res = await t.gql(query, {}, opts);
  return { status: res.status, data: res.body.data, errors: (res.body.errors ?? []).map((e) => [e.path?.join('.'), e.extensions?.code]) };
}

describe('creating credentials', () => {
  it('refuses an organizer scopes it does not hold, naming them, and creates nothing', async () => {
    const before = await clients().countDocuments({});
    const res = await t.gql(CREATE, { input: { name: 'Everything', scopes: ['events:read', 'people:read', 'payments:read', 'registrations:read'] } }, { token: organizer });
    expect(forbidden(res)).toEqual({ target: 'input.scopes.1', details: "You do not hold 'people:read', 'payments:read', 'registrations:read', so they cannot be granted" });
    expect(res.body.errors![0]!.extensions!.scopes).toEqual(['people:read', 'payments:read', 'registrations:read']);
    expect(await clients().countDocuments({})).toBe(before);
  });

  it('lets admins grant any partner scope; such a client reaches every object (global)', async () => {
    const d = await t.admin(CREATE, { input: { name: 'Directory', scopes: ['people:read', 'payments:read'] } });
    const { apiKey, clientSecret, client } = d.createApiClient;
    expect(client).toMatchObject({ ownerId: DEMO_USERS.admin, global: true });
    const res = await t.gql(BEYOND_ORGANIZER.payments, {}, { headers: { 'x-api-key': apiKey } });
    expect(res.body).toEqual({ data: { payments: { totalCount: expect.any(Number) } } });
    const issued = await oauthToken(client.clientId, clientSecret);
    expect(decodeJwt(issued.body.access_token!)).toMatchObject({ oid: DEMO_USERS.admin, global: true });
  });
});

describe("an organizer's key", () => {
  let key: { id: string; clientId: string; apiKey: string; clientSecret: string };
  const partnerScopes = ROLE_SCOPES.organizer!;

  beforeAll(async () => {
    const res = await t.gql(CREATE, { input: { name: 'Door app', scopes: [...partnerScopes] } }, { token: organizer });
    expect(res.body.errors).toBeUndefined();
    const { client, apiKey, clientSecret } = res.body.data.createApiClient;
    expect(client).toMatchObject({ ownerId: DEMO_USERS.organizer, global: false, scopes: [...partnerScopes] });
    key = { id: client.id, clientId: client.clientId, apiKey, clientSecret };
  });

  it('acts for the organizer and reaches no more than the organizer, by every way of sending it', async () => {
    const issued = await oauthToken(key.clientId, key.clientSecret);
    expect(issued.status).toBe(200);
    const claims = decodeJwt(issued.body.access_token!);
    expect(claims).toMatchObject({ oid: DEMO_USERS.organizer, client_id: key.clientId });
    expect(claims.global).toBeUndefined();
    const record = await createPeopleDirectory({ url: t.stack.subgraphs.people.server.url, internalSecret: loadAuthConfig({ NODE_ENV: 'test' }).internalSecret }).verifyApiKey(key.apiKey);
    expect(record).toMatchObject({ ownerId: DEMO_USERS.organizer, global: false });

    const ways = { 'x-api-key': { headers: { 'x-api-key': key.apiKey } }, 'Authorization: ApiKey': { headers: { authorization: `ApiKey ${key.apiKey}` } }, 'OAuth token': { token: issued.body.access_token } };
    for (const [name, query] of Object.entries(BEYOND_ORGANIZER)) {
      const owner = await reach(query, { token: organizer });
      expect(owner.errors.map((e) => e[1]), name).toEqual(['FORBIDDEN']);
      for (const [way, opts] of Object.entries(ways)) expect(await reach(query, opts), `${name} by ${way}`).toEqual(owner);
    }
  });

  it("reads its owner's attendee lists as the owner does, and another organizer's not at all", async () => {
    const issued = await oauthToken(key.clientId, key.clientSecret);
    const ways = { 'x-api-key': { headers: { 'x-api-key': key.apiKey } }, 'OAuth token': { token: issued.body.access_token } };
    const list = (id: string) => `{ event(id: "${id}") { registrations(first: 2) { totalCount edges { node { ticketCode attendee { name } } } } } }`;
    const own = await reach(list(demoId('event', 0).toHexString()), { token: organizer });
    expect(own.errors).toEqual([]);
    expect(own.data.event.registrations.totalCount).toBeGreaterThan(0);
    const other = await t.gql('{ events(first: 20) { edges { node { id organizer { id } } } } }', {}, { token: organizer });
    const foreign = other.body.data.events.edges.map((e: any) => e.node).find((n: any) => n.organizer.id !== DEMO_USERS.organizer);
    expect(foreign).toBeDefined();
    const theirs = await reach(list(foreign.id), { token: organizer });
    expect(theirs.errors).toEqual([['event.registrations', 'FORBIDDEN']]);
    for (const [way, opts] of Object.entries(ways)) {
      expect(await reach(list(demoId('event', 0).toHexString()), opts), way).toEqual(own);
      expect(await reach(list(foreign.id), opts), way).toEqual(theirs);
    }
  });

  it('cannot have its scopes raised past its owner, by the owner or by itself', async () => {
    expect(forbidden(await t.gql(UPDATE, { id: key.id, input: { scopes: ['events:read', 'people:read'] } }, { token: organizer }))).toEqual({
      target: 'input.scopes.1',
      details: "You do not hold 'people:read', so it cannot be granted",
    });
    expect(forbidden(await t.gql(UPDATE, { id: key.id, input: { scopes: ['people:read'] } }, { headers: { 'x-api-key': key.apiKey } })).details).toBe('Only the owner or an admin may change this client');
    expect((await clients().findOne({ clientId: key.clientId }))!.scopes).toEqual([...partnerScopes]);
    expect((await reach(BEYOND_ORGANIZER.users, { headers: { 'x-api-key': key.apiKey } })).errors).toEqual([['users', 'FORBIDDEN']]);
    // narrowing is fine, and the client stays owner-bound
    expect((await t.gql(UPDATE, { id: key.id, input: { scopes: [...partnerScopes] } }, { token: organizer })).body.data).toEqual({ updateApiClient: { scopes: [...partnerScopes], global: false } });
  });

  it('creates keys only within its own scopes, owned by its owner', async () => {
    const before = await clients().countDocuments({});
    const greedy = await t.gql(CREATE, { input: { name: 'Child', scopes: ['checkins:write', 'payments:read', 'people:read'] } }, { headers: { 'x-api-key': key.apiKey } });
    expect(forbidden(greedy)).toEqual({ target: 'input.scopes.1', details: "The calling client does not hold 'payments:read', 'people:read', so they cannot be granted" });
    expect(await clients().countDocuments({})).toBe(before);
    const child = await t.gql(CREATE, { input: { name: 'Child', scopes: ['checkins:write'] } }, { headers: { 'x-api-key': key.apiKey } });
    expect(child.body.errors).toBeUndefined();
    expect(child.body.data.createApiClient.client).toMatchObject({ ownerId: DEMO_USERS.organizer, global: false, scopes: ['checkins:write'] });
    // an OAuth token narrowed to events:read grants no more than events:read
    const narrow = await oauthToken(key.clientId, key.clientSecret, 'events:read');
    const byToken = await t.gql(CREATE, { input: { name: 'Grandchild', scopes: ['checkins:write'] } }, { token: narrow.body.access_token });
    expect(forbidden(byToken)).toEqual({ target: 'input.scopes.0', details: "The calling client does not hold 'checkins:write', so it cannot be granted" });
  });

  it('gets no OAuth token for more than the client holds', async () => {
    for (const scope of ['events:read people:read', 'payments:read', 'admin']) {
      const r = await oauthToken(key.clientId, key.clientSecret, scope);
      expect(r.status, scope).toBe(400);
      expect(r.body.error, scope).toBe('invalid_scope');
      expect(r.body.error_description, scope).toContain(`'${scope.split(' ').pop()}'`);
      expect(r.body.access_token).toBeUndefined();
    }
  });
});

describe('clients stored before grants were recorded', () => {
  it('are owner-bound', async () => {
    const res = await t.gql(CREATE, { input: { name: 'Old app', scopes: ['events:read'] } }, { token: organizer });
    const { client, apiKey, clientSecret } = res.body.data.createApiClient;
    await clients().updateOne({ clientId: client.clientId }, { $unset: { global: '' } });
    const listed = await t.gql(`{ apiClients(first: 50) { edges { node { clientId global } } } }`, {}, { token: organizer });
    expect(listed.body.data.apiClients.edges.find((e: { node: { clientId: string } }) => e.node.clientId === client.clientId).node.global).toBe(false);
    const record = await createPeopleDirectory({ url: t.stack.subgraphs.people.server.url, internalSecret: loadAuthConfig({ NODE_ENV: 'test' }).internalSecret }).verifyApiKey(apiKey);
    expect(record).toMatchObject({ ownerId: DEMO_USERS.organizer, global: false });
    const issued = await oauthToken(client.clientId, clientSecret);
    expect(decodeJwt(issued.body.access_token!)).toMatchObject({ oid: DEMO_USERS.organizer });
    expect(decodeJwt(issued.body.access_token!).global).toBeUndefined();
    expect((await t.gql(`{ event(id: "${demoId('event', 0).toHexString()}") { title } }`, {}, { headers: { 'x-api-key': apiKey } })).body.errors).toBeUndefined();
  });
});

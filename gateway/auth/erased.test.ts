/**
 * Erased and unknown users through the whole product (localdb, four subgraphs, gateway): their
 * tokens are refused over HTTP (queries and mutations) and WebSocket (connection and each
 * subscribe), an erased user's partner keys and OAuth tokens stop working, the people subgraph
 * refuses their writes even while the gateway's cache still holds them, and nothing they send
 * changes their anonymised record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import { Types } from 'mongoose';
import WebSocket from 'ws';
import { demoId } from '../../subgraphs/kit/ids.js';
import { expectSpecError, readDoc, startE2E, type E2E } from '../../test/harness/e2e.js';
import type { GraphQLResponse } from '../../test/harness/stack.js';
import { ROLE_SCOPES } from '../shield/scopes.js';

/** The gateway trusts a user status this long (ms); tests wait a little longer for it to lapse. */
const STATUS_TTL_MS = 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const EVENT0 = demoId('event', 0).toHexString();
const RENAME = `mutation($id: ID!) { updateUser(id: $id, input: { name: "Back again", email: "back.again@example.com" }) { id name } }`;
const CONSENT = `mutation($id: ID!) { setConsent(userId: $id, purpose: MARKETING, granted: true) { id } }`;

let t: E2E;
let users = 0;

beforeAll(async () => {
  t = await startE2E({ env: { USER_STATUS_CACHE_TTL_MS: String(STATUS_TTL_MS), API_KEY_CACHE_TTL_MS: '60000', RATE_LIMIT_ANONYMOUS: '6000/1000/50' } });
});
afterAll(async () => {
  await t?.stop();
});

/** A new user of the given role, with a token carrying the role's default scopes. */
async function newUser(role: 'attendee' | 'organizer' = 'attendee'): Promise<{ id: string; token: string }> {
  const n = ++users;
  const d = await t.admin(`mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`, {
    input: { name: `Erasable ${n}`, email: `erasable.${n}@example.com`, roles: [role.toUpperCase()] },
  });
  const id: string = d.createUser.id;
  return { id, token: await t.token({ sub: id, roles: [role], scopes: [...ROLE_SCOPES[role]!] }) };
}

const erase = (id: string) => t.admin(`mutation($id: ID!) { eraseUser(userId: $id) { erasedAt } }`, { id });

/** Asserts a 401 refusal before anything ran, and answers its details. */
function refused(res: GraphQLResponse): unknown {
  expect(res.status, JSON.stringify(res.body)).toBe(401);
  expect(res.body.data).toBeUndefined();
  expectSpecError(res.body.errors?.[0], 'UNAUTHENTICATED');
  return res.body.errors![0]!.extensions!.details;
}

/** The stored user, as the people subgraph keeps it. */
const stored = (id: string) => readDoc(t, 'people', 'users', new Types.ObjectId(id));

describe('an erased user', () => {
  it('is refused over HTTP for queries and mutations of every subgraph, and cannot set a name or email again', async () => {
    const u = await newUser();
    expect((await t.gql('{ me { id } }', {}, { token: u.token })).body.data).toEqual({ me: { id: u.id } });
    await erase(u.id);
    await sleep(STATUS_TTL_MS + 100);
    const attempts = {
      me: await t.gql('{ me { id name } }', {}, { token: u.token }),
      rename: await t.gql(RENAME, { id: u.id }, { token: u.token }),
      consent: await t.gql(CONSENT, { id: u.id }, { token: u.token }),
      register: await t.gql(`mutation($input: RegisterInput!) { register(input: $input) { id } }`, { input: { eventId: EVENT0, attendeeId: u.id } }, { token: u.token }),
      apiClient: await t.gql(`mutation { createApiClient(input: { name: "After erasure", scopes: ["events:read"] }) { apiKey } }`, {}, { token: u.token }),
      get: await (async () => {
        const res = await fetch(`${t.url}?query=${encodeURIComponent('{ me { id } }')}`, { headers: { authorization: `Bearer ${u.token}` } });
        return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse['body'] };
      })(),
    };
    for (const [what, res] of Object.entries(attempts)) expect(refused(res), what).toBe('the user has been erased');
    const doc = await stored(u.id);
    expect(doc).toMatchObject({ name: 'Erased user', email: `erased-${u.id}@erased.invalid`, consents: [] });
    expect(doc!.erasedAt).toBeInstanceOf(Date);
  });

  it('is refused by the people subgraph at once, while the gateway still trusts the token it just checked', async () => {
    const u = await newUser();
    expect((await t.gql('{ me { id } }', {}, { token: u.token })).body.data).toEqual({ me: { id: u.id } });
    await erase(u.id);
    // The gateway checked this user a moment ago and trusts that answer for STATUS_TTL_MS; the
    // people subgraph refuses the write itself (and would, were the gateway's answer to have lapsed).
    for (const m of [RENAME, CONSENT]) {
      const res = await t.gql(m, { id: u.id }, { token: u.token });
      expect(res.body.data ?? null).toBeNull();
      expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', details: 'the user has been erased' });
    }
    expect(await stored(u.id)).toMatchObject({ name: 'Erased user', email: `erased-${u.id}@erased.invalid`, consents: [] });
  });

  it('is refused a WebSocket connection, and each subscribe on a connection opened before the erasure', async () => {
    const u = await newUser();
    const open = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${u.token}` } });
    const subscribe = (client: typeof open) =>
      new Promise<{ errors?: any; closed?: number }>((resolve) => {
        client.subscribe({ query: 'subscription($e: ID!) { eventChanged(eventId: $e) { type } }', variables: { e: EVENT0 } }, {
          next: () => {},
          error: (err) => resolve(Array.isArray(err) ? { errors: err } : { closed: (err as { code?: number }).code }),
          complete: () => resolve({}),
        });
      });
    try {
      await new Promise<void>((resolve, reject) => {
        open.on('connected', () => resolve());
        open.on('closed', (e) => reject(new Error(`closed ${(e as { code?: number }).code}`)));
      });
      await erase(u.id);
      await sleep(STATUS_TTL_MS + 100);
      const onOpen = await subscribe(open);
      expect(onOpen.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', details: 'the user has been erased' });
    } finally {
      await open.dispose();
    }
    const late = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${u.token}` } });
    try {
      expect(await subscribe(late)).toEqual({ closed: 4403 });
    } finally {
      await late.dispose();
    }
  });

  it("stops the erased organizer's API keys and OAuth tokens, though the key itself is still cached", async () => {
    const o = await newUser('organizer');
    const created = await t.gql(`mutation { createApiClient(input: { name: "Door app", scopes: ["events:read"] }) { client { clientId } apiKey clientSecret } }`, {}, { token: o.token });
    expect(created.body.errors).toBeUndefined();
    const { apiKey, clientSecret, client } = created.body.data.createApiClient;
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: clientSecret });
    const issued = (await (await fetch(t.url.replace(/\/graphql$/, '/oauth/token'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })).json()) as { access_token: string };
    const q = `{ event(id: "${EVENT0}") { title } }`;
    expect((await t.gql(q, {}, { headers: { 'x-api-key': apiKey } })).body.errors).toBeUndefined();
    expect((await t.gql(q, {}, { token: issued.access_token })).body.errors).toBeUndefined();
    await erase(o.id);
    await sleep(STATUS_TTL_MS + 100);
    expect(refused(await t.gql(q, {}, { headers: { 'x-api-key': apiKey } }))).toBe("the client's owner has been erased");
    expect(refused(await t.gql(q, {}, { headers: { authorization: `ApiKey ${apiKey}` } }))).toBe("the client's owner has been erased");
    expect(refused(await t.gql(q, {}, { token: issued.access_token }))).toBe("the client's owner has been erased");
  });
});

describe('a token whose subject is not a user', () => {
  it('is refused with 401 for reads and writes', async () => {
    const ghosts = {
      'unknown id': await t.token({ sub: '0123456789abcdef01234567', roles: ['organizer'], scopes: [...ROLE_SCOPES.organizer!] }),
      'not an id': await t.token({ sub: 'user-1', roles: ['organizer'], scopes: [...ROLE_SCOPES.organizer!] }),
    };
    const before = await t.stack.subgraphs.people.conn.db!.collection('api_clients').countDocuments({});
    for (const [what, token] of Object.entries(ghosts)) {
      expect(refused(await t.gql(`{ event(id: "${EVENT0}") { title } }`, {}, { token })), what).toBe('the token subject is not a known user');
      expect(refused(await t.gql(`mutation { createApiClient(input: { name: "Ghost", scopes: ["events:read"] }) { apiKey } }`, {}, { token })), what).toBe('the token subject is not a known user');
      const createEvent = await t.gql(`mutation($input: CreateEventInput!) { createEvent(input: $input) { id } }`, { input: { title: 'Ghost event', startsAt: '2031-01-01T09:00:00.000Z', endsAt: '2031-01-01T18:00:00.000Z', capacity: 10 } }, { token });
      expect(refused(createEvent), what).toBe('the token subject is not a known user');
    }
    expect(await t.stack.subgraphs.people.conn.db!.collection('api_clients').countDocuments({})).toBe(before);
  });
});

describe('when the people subgraph cannot be reached', () => {
  it('answers user tokens 503 SERVICE_UNAVAILABLE, not a refusal; anonymous reads still work', async () => {
    const u = await newUser();
    await t.stack.subgraphs.people.server.stop();
    await sleep(STATUS_TTL_MS + 100);
    const res = await t.gql(`{ event(id: "${EVENT0}") { title } }`, {}, { token: u.token });
    expect(res.status).toBe(503);
    expectSpecError(res.body.errors?.[0], 'SERVICE_UNAVAILABLE');
    expect((await t.gql(`{ event(id: "${EVENT0}") { title } }`)).body.data).toEqual({ event: { title: 'EventGraph Summit 2027' } });
  });
});

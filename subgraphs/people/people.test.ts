import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoUser } from '../kit/demo.js';
import { demoId } from '../kit/ids.js';
import { outboxModels } from '../kit/outbox.js';
import { codes, internalPrincipal, partnerPrincipal, startTestSubgraph, userPrincipal, type TestSubgraph } from '../kit/testing.js';
import { createPeopleSubgraph } from './index.js';
import { peopleModels } from './models.js';
import { DEMO_PARTNER, seedPeople } from './seed.js';

const uid = (i: number) => demoId('user', i).toHexString();
const admin = userPrincipal(uid(0), { roles: ['admin'] });
/** Demo user 1 with an organizer's default scopes. */
const organizer = userPrincipal(uid(1), { roles: ['organizer'], scopes: ['events:read', 'events:write', 'registrations:write', 'checkins:write', 'integrations:read', 'integrations:write'] });
const alice = userPrincipal(uid(100), { roles: ['attendee'] });
const bob = userPrincipal(uid(101), { roles: ['attendee'] });
const reader = userPrincipal(uid(102), { scopes: ['people:read'] });
const writer = userPrincipal(uid(103), { scopes: ['people:write'] });
const internal = internalPrincipal();

let t: TestSubgraph;
beforeAll(async () => {
  t = await startTestSubgraph('people', createPeopleSubgraph, { seed: seedPeople });
});
afterAll(async () => {
  await t?.stop();
});

describe('seed', () => {
  it('creates 500 users, 2 organizations, speaker profiles and the demo partner, once', async () => {
    const m = peopleModels(t.conn);
    expect(await m.User.countDocuments()).toBe(500);
    expect(await m.Organization.countDocuments()).toBe(2);
    expect(await m.User.countDocuments({ roles: 'speaker', speakerProfile: { $ne: null } })).toBe(40);
    expect(await m.ApiClient.countDocuments()).toBe(1);
    expect(await seedPeople(t.conn)).toEqual({ seeded: false });
    expect(await m.User.countDocuments()).toBe(500);
  });
});

describe('users and email visibility', () => {
  const q = `query($id: ID!) { user(id: $id) { id name email } }`;
  it('shows the email to the user, people:read holders and admins', async () => {
    for (const p of [alice, reader, admin]) {
      const r = await t.call(q, { id: uid(100) }, p);
      expect(r.errors).toBeUndefined();
      expect(r.data!.user).toEqual({ id: uid(100), name: demoUser(100).name, email: demoUser(100).email });
    }
  });
  it('answers FORBIDDEN at User.email for anyone else', async () => {
    const r = await t.call(q, { id: uid(100) }, bob);
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect(r.errors![0]!.path).toEqual(['user', 'email']);
  });
  describe('organizers of the events a user is registered for (the representation the gateway passes)', () => {
    const q = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }`;
    const rep = (i: number, organizerIds?: unknown) => ({ __typename: 'User', id: uid(i), ...(organizerIds === undefined ? {} : { organizerIdsOfRegisteredEvents: organizerIds }) });
    it('shows the email when the caller is in organizerIdsOfRegisteredEvents', async () => {
      const r = await t.call(q, { r: [rep(100, [uid(2), uid(1)])] }, organizer);
      expect(r.errors).toBeUndefined();
      expect(r.data!._entities).toEqual([{ id: uid(100), email: demoUser(100).email }]);
    });
    it('answers FORBIDDEN at email when the caller is not in the list, the list is empty, absent or malformed', async () => {
      const r = await t.call(q, { r: [rep(100, [uid(2)]), rep(101, []), rep(102), rep(103, uid(1)), rep(104, [{ id: uid(1) }])] }, organizer);
      expect(codes(r)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
      expect(r.errors!.map((e) => e.path)).toEqual([0, 1, 2, 3, 4].map((i) => ['_entities', i, 'email']));
      expect(JSON.stringify(r.data)).not.toContain('@example.com');
    });
    it('grants each user of a batch on their own list, and only to user principals', async () => {
      const r = await t.call(q, { r: [rep(100, [uid(1)]), rep(101, [uid(3)])] }, organizer);
      expect(r.data!._entities[0]).toEqual({ id: uid(100), email: demoUser(100).email });
      expect(r.errors!.map((e) => [e.path, e.extensions.code])).toEqual([[['_entities', 1, 'email'], 'FORBIDDEN']]);
      const partner = partnerPrincipal(uid(1), ['events:read']);
      expect(codes(await t.call(q, { r: [rep(100, [uid(1)])] }, partner))).toEqual(['FORBIDDEN']);
      expect(codes(await t.call(q, { r: [rep(100, [uid(1)])] }))).toEqual(['FORBIDDEN']);
    });
    it('does not open preferences and consents to organizers', async () => {
      const r = await t.call(`query($r: [_Any!]!) { _entities(representations: $r) { ... on User { preferences { language } consents { purpose } } } }`, { r: [rep(100, [uid(1)])] }, organizer);
      expect(codes(r)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    });
  });
  it('me is the signed-in user; anonymous gets UNAUTHENTICATED', async () => {
    const r = await t.call(`{ me { id roles organization { slug } } }`, {}, organizer);
    expect(r.data!.me).toEqual({ id: uid(1), roles: ['ORGANIZER'], organization: { slug: 'northwind-events' } });
    expect(codes(await t.call(`{ me { id } }`))).toEqual(['UNAUTHENTICATED']);
  });
  it('pages through all users with no gap and no duplicate', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r: any = await t.call(`query($after: String) { users(first: 100, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } totalCount } }`, { after }, reader);
      expect(r.errors).toBeUndefined();
      const conn = r.data.users;
      seen.push(...conn.edges.map((e: any) => e.node.id));
      pages++;
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    const total = await peopleModels(t.conn).User.countDocuments();
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    expect(pages).toBe(Math.ceil(total / 100));
  });
  it('filters by role and searches literally (no regex or operator injection)', async () => {
    const r = await t.call(`{ users(first: 100, role: ORGANIZER) { totalCount edges { node { roles } } } }`, {}, reader);
    expect(r.data!.users.totalCount).toBe(4);
    const s = await t.call(`query($s: String) { users(search: $s) { totalCount } }`, { s: '.*' }, reader);
    expect(s.data!.users.totalCount).toBe(0);
    const byName = await t.call(`query($s: String) { users(search: $s) { totalCount } }`, { s: demoUser(123).email }, reader);
    expect(byName.data!.users.totalCount).toBe(1);
  });
  it('requires people:read to list users', async () => {
    expect(codes(await t.call(`{ users { totalCount } }`, {}, alice))).toEqual(['FORBIDDEN']);
  });
});

describe('user mutations', () => {
  const create = `mutation($input: CreateUserInput!) { createUser(input: $input) { id name email roles } }`;
  it('creates a user and refuses a duplicate email with CONFLICT at input.email', async () => {
    const ok = await t.call(create, { input: { name: ' New Person ', email: 'New.Person@Example.com' } }, writer);
    expect(ok.errors).toBeUndefined();
    expect(ok.data!.createUser).toMatchObject({ name: 'New Person', email: 'new.person@example.com', roles: ['ATTENDEE'] });
    const dup = await t.call(create, { input: { name: 'Again', email: 'new.person@example.com' } }, writer);
    expect(codes(dup)).toEqual(['CONFLICT']);
    expect(dup.errors![0]!.extensions.target).toBe('input.email');
  });
  it('rejects invalid input with BAD_USER_INPUT and the field path', async () => {
    const bad = await t.call(create, { input: { name: 'X', email: 'not-an-email' } }, writer);
    expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
    expect(bad.errors![0]!.extensions.target).toBe('input.email');
    const empty = await t.call(create, { input: { name: '  ', email: 'ok@example.com' } }, writer);
    expect(empty.errors![0]!.extensions.target).toBe('input.name');
  });
  it('needs people:write, and admin to create organizers', async () => {
    expect(codes(await t.call(create, { input: { name: 'A', email: 'a1@example.com' } }, alice))).toEqual(['FORBIDDEN']);
    const r = await t.call(create, { input: { name: 'A', email: 'a2@example.com', roles: ['ORGANIZER'] } }, writer);
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect(r.errors![0]!.extensions.target).toBe('input.roles');
  });
  it('updateUser: the user themself; others FORBIDDEN; invalid name BAD_USER_INPUT; taken email CONFLICT', async () => {
    const m = `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { name email } }`;
    const ok = await t.call(m, { id: uid(100), input: { name: 'Alice Renamed' } }, alice);
    expect(ok.data!.updateUser.name).toBe('Alice Renamed');
    expect(codes(await t.call(m, { id: uid(100), input: { name: 'Hijack' } }, bob))).toEqual(['FORBIDDEN']);
    const bad = await t.call(m, { id: uid(100), input: { name: '' } }, alice);
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', target: 'input.name' });
    const taken = await t.call(m, { id: uid(100), input: { email: demoUser(101).email } }, alice);
    expect(taken.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', target: 'input.email' });
    const badId = await t.call(m, { id: 'nope', input: { name: 'x' } }, admin);
    expect(badId.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', target: 'id' });
  });
  it('updateProfile sets the speaker profile; a bad link URL is BAD_USER_INPUT at its path', async () => {
    const m = `mutation($id: ID!, $input: SpeakerProfileInput!) { updateProfile(id: $id, input: $input) { speakerProfile { bio company title links { label url } } } }`;
    const ok = await t.call(m, { id: uid(100), input: { bio: 'Builds things', company: 'Acme', links: [{ label: 'Blog', url: 'https://alice.example' }] } }, alice);
    expect(ok.data!.updateProfile.speakerProfile).toEqual({ bio: 'Builds things', company: 'Acme', title: null, links: [{ label: 'Blog', url: 'https://alice.example/' }] });
    const bad = await t.call(m, { id: uid(100), input: { links: [{ label: 'x', url: 'javascript:alert(1)' }] } }, alice);
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', target: 'input.links.0.url' });
  });
  it('updatePreferences validates language and time zone', async () => {
    const m = `mutation($id: ID!, $input: PreferencesInput!) { updatePreferences(id: $id, input: $input) { preferences { language timezone notifications { email sms push } } } }`;
    const ok = await t.call(m, { id: uid(100), input: { language: 'de-AT', timezone: 'Europe/Vienna', notifications: { sms: true } } }, alice);
    expect(ok.data!.updatePreferences.preferences).toEqual({ language: 'de-AT', timezone: 'Europe/Vienna', notifications: { email: true, sms: true, push: false } });
    const bad = await t.call(m, { id: uid(100), input: { timezone: 'Mars/Olympus' } }, alice);
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', target: 'input.timezone' });
    const lang = await t.call(m, { id: uid(100), input: { language: 'english please' } }, alice);
    expect(lang.errors![0]!.extensions.target).toBe('input.language');
  });
  it('setConsent records grant and withdrawal times; preferences and consents are private', async () => {
    const m = `mutation($id: ID!, $g: Boolean!) { setConsent(userId: $id, purpose: ANALYTICS, granted: $g) { consents { purpose granted grantedAt revokedAt } } }`;
    const granted = await t.call(m, { id: uid(100), g: true }, alice);
    const c1 = granted.data!.setConsent.consents.find((c: any) => c.purpose === 'ANALYTICS');
    expect(c1.granted).toBe(true);
    expect(c1.grantedAt).toMatch(/Z$/);
    const revoked = await t.call(m, { id: uid(100), g: false }, alice);
    const c2 = revoked.data!.setConsent.consents.find((c: any) => c.purpose === 'ANALYTICS');
    expect(c2).toMatchObject({ granted: false, grantedAt: c1.grantedAt });
    expect(c2.revokedAt).toMatch(/Z$/);
    const peek = await t.call(`query($id: ID!) { user(id: $id) { consents { purpose } } }`, { id: uid(100) }, bob);
    expect(codes(peek)).toEqual(['FORBIDDEN']);
    expect(codes(await t.call(m, { id: 'bad', g: true }, alice))).toEqual(['BAD_USER_INPUT']);
  });
  it('assignRoles is for admins; an empty list is BAD_USER_INPUT', async () => {
    const m = `mutation($id: ID!, $roles: [UserRole!]!) { assignRoles(userId: $id, roles: $roles) { roles } }`;
    const ok = await t.call(m, { id: uid(101), roles: ['SPEAKER', 'ATTENDEE'] }, admin);
    expect(ok.data!.assignRoles.roles).toEqual(['SPEAKER', 'ATTENDEE']);
    expect(codes(await t.call(m, { id: uid(101), roles: ['ADMIN'] }, bob))).toEqual(['FORBIDDEN']);
    const empty = await t.call(m, { id: uid(101), roles: [] }, admin);
    expect(empty.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', target: 'roles' });
  });
  it('createOrganization: unique slug (CONFLICT), slug format (BAD_USER_INPUT), members', async () => {
    const m = `mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { id name slug members { id } } }`;
    const ok = await t.call(m, { input: { name: 'Fabrikam Summit' } }, writer);
    expect(ok.data!.createOrganization).toMatchObject({ name: 'Fabrikam Summit', slug: 'fabrikam-summit', members: [] });
    const dup = await t.call(m, { input: { name: 'Other', slug: 'fabrikam-summit' } }, writer);
    expect(dup.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', target: 'input.slug' });
    const bad = await t.call(m, { input: { name: 'Other', slug: 'Not A Slug!' } }, writer);
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', target: 'input.slug' });
    const org = await t.call(`query($id: ID!) { organization(id: $id) { members { id } } }`, { id: demoId('org', 0).toHexString() });
    expect(org.data!.organization.members.map((u: any) => u.id)).toEqual(expect.arrayContaining([uid(1), uid(3)]));
  });
});

describe('GDPR', () => {
  it('exports the user\'s people data as JSON to the user; others FORBIDDEN', async () => {
    const m = `mutation($id: ID!) { requestDataExport(userId: $id) }`;
    const r = await t.call(m, { id: uid(100) }, alice);
    expect(r.data!.requestDataExport.user).toMatchObject({ id: uid(100), email: demoUser(100).email, preferences: { timezone: 'Europe/Vienna' } });
    expect(r.data!.requestDataExport.user.consents.length).toBeGreaterThan(0);
    expect(codes(await t.call(m, { id: uid(100) }, bob))).toEqual(['FORBIDDEN']);
  });
  it('erases a user: anonymised, id kept, API clients revoked, user.erased in the outbox', async () => {
    const m = `mutation($id: ID!) { eraseUser(userId: $id) { id name email erasedAt speakerProfile { bio } } }`;
    expect(codes(await t.call(m, { id: uid(5) }, alice))).toEqual(['FORBIDDEN']);
    const r = await t.call(m, { id: uid(5) }, admin);
    expect(r.errors).toBeUndefined();
    expect(r.data!.eraseUser).toMatchObject({ id: uid(5), name: 'Erased user', email: `erased-${uid(5)}@erased.invalid`, speakerProfile: null });
    const { Outbox } = outboxModels(t.conn);
    const rec = await Outbox.findOne({ topic: `users:${uid(5)}` }).lean();
    expect(rec).toMatchObject({ type: 'user.erased', payload: { id: uid(5) } });
    const again = await t.call(m, { id: uid(5) }, admin);
    expect(again.data!.eraseUser.erasedAt).toBe(r.data!.eraseUser.erasedAt);
  });
});

describe('API clients', () => {
  const create = `mutation($input: CreateApiClientInput!) { createApiClient(input: $input) { apiKey clientSecret client { id name scopes clientId keyPrefix ownerId revokedAt } } }`;
  const verifyKey = `query($key: String!) { verifyApiKey(key: $key) { clientId name scopes ownerId global revoked } }`;
  const verifyCred = `query($id: String!, $s: String!) { verifyClientCredentials(clientId: $id, clientSecret: $s) { clientId scopes revoked } }`;

  it('create → verify → revoke → verify fails', async () => {
    const r = await t.call(create, { input: { name: 'Ticket kiosk', scopes: ['events:read', 'checkins:write'] } }, organizer);
    expect(r.errors).toBeUndefined();
    const { apiKey, clientSecret, client } = r.data!.createApiClient;
    expect(apiKey).toMatch(/^eg_live_[A-Za-z0-9]{40}$/);
    expect(client).toMatchObject({ name: 'Ticket kiosk', ownerId: uid(1), revokedAt: null });
    expect(apiKey.startsWith(client.keyPrefix)).toBe(true);

    const stored = await peopleModels(t.conn).ApiClient.findById(client.id).lean();
    expect(JSON.stringify(stored)).not.toContain(apiKey);
    expect(JSON.stringify(stored)).not.toContain(clientSecret);

    const ok = await t.call(verifyKey, { key: apiKey }, internal);
    expect(ok.data!.verifyApiKey).toEqual({ clientId: client.clientId, name: 'Ticket kiosk', scopes: ['events:read', 'checkins:write'], ownerId: uid(1), global: false, revoked: false });
    const cred = await t.call(verifyCred, { id: client.clientId, s: clientSecret }, internal);
    expect(cred.data!.verifyClientCredentials).toMatchObject({ clientId: client.clientId, revoked: false });
    expect((await t.call(verifyCred, { id: client.clientId, s: clientSecret + 'x' }, internal)).data!.verifyClientCredentials).toBeNull();
    expect((await t.call(verifyKey, { key: apiKey.slice(0, -1) + (apiKey.endsWith('a') ? 'b' : 'a') }, internal)).data!.verifyApiKey).toBeNull();

    expect(codes(await t.call(`mutation($id: ID!) { revokeApiClient(id: $id) { id } }`, { id: client.id }, bob))).toEqual(['FORBIDDEN']);
    const rev = await t.call(`mutation($id: ID!) { revokeApiClient(id: $id) { revokedAt } }`, { id: client.id }, organizer);
    expect(rev.data!.revokeApiClient.revokedAt).toMatch(/Z$/);
    const after = await t.call(verifyKey, { key: apiKey }, internal);
    expect(after.data!.verifyApiKey).toMatchObject({ revoked: true, scopes: [] });
  });
  it('verification is internal only', async () => {
    for (const p of [alice, admin]) {
      const r = await t.call(verifyKey, { key: DEMO_PARTNER.apiKey }, p);
      expect(codes(r)).toEqual(['FORBIDDEN']);
      expect(r.data!.verifyApiKey).toBeNull();
    }
    expect(codes(await t.call(verifyCred, { id: DEMO_PARTNER.clientId, s: DEMO_PARTNER.clientSecret }))).toEqual(['FORBIDDEN']);
  });
  it('the seeded demo partner verifies with its documented dev credentials', async () => {
    const r = await t.call(verifyKey, { key: DEMO_PARTNER.apiKey }, internal);
    expect(r.data!.verifyApiKey).toEqual({ clientId: 'egc_demo_partner', name: 'Demo partner', scopes: ['events:read', 'registrations:read'], ownerId: uid(1), global: false, revoked: false });
    const c = await t.call(verifyCred, { id: DEMO_PARTNER.clientId, s: DEMO_PARTNER.clientSecret }, internal);
    expect(c.data!.verifyClientCredentials.scopes).toEqual(['events:read', 'registrations:read']);
  });
  it('rejects unknown scopes and callers who are not organizers', async () => {
    const r = await t.call(create, { input: { name: 'Evil', scopes: ['events:read', 'admin'] } }, organizer);
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', target: 'input.scopes.1' });
    expect(codes(await t.call(create, { input: { name: 'Mine', scopes: ['events:read'] } }, alice))).toEqual(['FORBIDDEN']);
  });
  it('lists the caller\'s own clients; admins see all', async () => {
    const own = await t.call(`{ apiClients { totalCount edges { node { ownerId } } } }`, {}, organizer);
    expect(own.data!.apiClients.edges.every((e: any) => e.node.ownerId === uid(1))).toBe(true);
    expect(own.data!.apiClients.totalCount).toBe(2);
    expect((await t.call(`{ apiClients { totalCount } }`, {}, bob)).data!.apiClients.totalCount).toBe(0);
    expect((await t.call(`{ apiClients { totalCount } }`, {}, admin)).data!.apiClients.totalCount).toBe(2);
  });
});

describe('who may grant which scopes', () => {
  const create = `mutation($input: CreateApiClientInput!) { createApiClient(input: $input) { apiKey client { id clientId scopes ownerId global } } }`;
  const update = `mutation($id: ID!, $input: UpdateApiClientInput!) { updateApiClient(id: $id, input: $input) { scopes global } }`;
  const organizer2 = userPrincipal(uid(2), { roles: ['organizer'], scopes: ['events:read', 'checkins:write'] });

  it('refuses an organizer a scope its token does not hold, naming it; admins grant any partner scope, globally', async () => {
    const r = await t.call(create, { input: { name: 'Greedy', scopes: ['events:read', 'people:read', 'payments:read'] } }, organizer2);
    expect(r.data).toBeNull();
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', target: 'input.scopes.1', details: "You do not hold 'people:read', 'payments:read', so they cannot be granted", scopes: ['people:read', 'payments:read'] });
    const own = await t.call(create, { input: { name: 'Door', scopes: ['checkins:write'] } }, organizer2);
    expect(own.data!.createApiClient.client).toMatchObject({ ownerId: uid(2), global: false, scopes: ['checkins:write'] });
    const admin0 = userPrincipal(uid(0), { roles: ['admin'], scopes: ['admin'] });
    const byAdmin = await t.call(create, { input: { name: 'Directory', scopes: ['people:read'] } }, admin0);
    expect(byAdmin.data!.createApiClient.client).toMatchObject({ ownerId: uid(0), global: true, scopes: ['people:read'] });
  });

  it('lets a partner client create clients within its own scopes, for its own owner and reach', async () => {
    const parent = (await t.call(create, { input: { name: 'Parent', scopes: ['events:read', 'checkins:write'] } }, organizer2)).data!.createApiClient.client;
    const asParent = { ...partnerPrincipal(parent.clientId, ['events:read', 'checkins:write']), ownerId: uid(2) };
    const child = await t.call(create, { input: { name: 'Child', scopes: ['checkins:write'] } }, asParent);
    expect(child.errors).toBeUndefined();
    expect(child.data!.createApiClient.client).toMatchObject({ ownerId: uid(2), global: false, scopes: ['checkins:write'] });
    const greedy = await t.call(create, { input: { name: 'Greedy child', scopes: ['checkins:write', 'registrations:read'] } }, asParent);
    expect(greedy.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', target: 'input.scopes.1', details: "The calling client does not hold 'registrations:read', so it cannot be granted" });
    // a token narrowed to fewer scopes than its client grants only those
    const narrowed = await t.call(create, { input: { name: 'Narrow', scopes: ['checkins:write'] } }, { ...asParent, scopes: ['events:read'] });
    expect(narrowed.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', target: 'input.scopes.0' });
    const unknown = await t.call(create, { input: { name: 'Ghost', scopes: ['events:read'] } }, partnerPrincipal('egc_nobody', ['events:read']));
    expect(codes(unknown)).toEqual(['UNAUTHENTICATED']);
  });

  it('updateApiClient: the owner only within its scopes (then owner-bound); an admin keeps the reach; revoked clients stay as they are', async () => {
    const c = (await t.call(create, { input: { name: 'Kiosk', scopes: ['events:read'] } }, organizer2)).data!.createApiClient.client;
    const up = await t.call(update, { id: c.id, input: { scopes: ['events:read', 'payments:read'] } }, organizer2);
    expect(up.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', target: 'input.scopes.1', details: "You do not hold 'payments:read', so it cannot be granted" });
    expect((await t.call(update, { id: c.id, input: { scopes: ['checkins:write'] } }, organizer2)).data!.updateApiClient).toEqual({ scopes: ['checkins:write'], global: false });
    expect(codes(await t.call(update, { id: c.id, input: { scopes: ['events:read'] } }, bob))).toEqual(['FORBIDDEN']);
    expect((await t.call(update, { id: c.id, input: { scopes: ['people:read'] } }, admin)).data!.updateApiClient).toEqual({ scopes: ['people:read'], global: false });
    await t.call(`mutation($id: ID!) { revokeApiClient(id: $id) { id } }`, { id: c.id }, organizer2);
    const late = await t.call(update, { id: c.id, input: { name: 'Renamed' } }, organizer2);
    expect(late.errors![0]!.extensions).toMatchObject({ code: 'INVALID_STATE_TRANSITION', target: 'id' });
  });
});

describe('erased users', () => {
  const erase = `mutation($id: ID!) { eraseUser(userId: $id) { erasedAt } }`;
  const victim = userPrincipal(uid(60), { roles: ['organizer'], scopes: ['events:read'] });
  beforeAll(async () => {
    expect((await t.call(erase, { id: uid(60) }, admin)).errors).toBeUndefined();
  });

  it('refuses every write by an erased user, at once', async () => {
    const writes: Array<[string, Record<string, unknown>]> = [
      [`mutation($id: ID!) { updateUser(id: $id, input: { name: "Back again", email: "back@example.com" }) { id } }`, { id: uid(60) }],
      [`mutation($id: ID!) { updatePreferences(id: $id, input: { language: "de" }) { id } }`, { id: uid(60) }],
      [`mutation($id: ID!) { updateProfile(id: $id, input: { bio: "hi" }) { id } }`, { id: uid(60) }],
      [`mutation($id: ID!) { setConsent(userId: $id, purpose: MARKETING, granted: true) { id } }`, { id: uid(60) }],
      [`mutation { createApiClient(input: { name: "Still here", scopes: ["events:read"] }) { apiKey } }`, {}],
    ];
    for (const [m, v] of writes) {
      const r = await t.call(m, v, victim);
      expect(r.errors![0]!.extensions, m).toMatchObject({ code: 'UNAUTHENTICATED', details: 'the user has been erased' });
    }
    const stored = await peopleModels(t.conn).User.findById(uid(60)).lean();
    expect(stored).toMatchObject({ name: 'Erased user', email: `erased-${uid(60)}@erased.invalid`, consents: [] });
  });

  it('refuses writes to an erased user, even by admins; unknown users cannot write', async () => {
    const r = await t.call(`mutation($id: ID!) { updateUser(id: $id, input: { name: "Restored" }) { id } }`, { id: uid(60) }, admin);
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'INVALID_STATE_TRANSITION', target: 'id' });
    const c = await t.call(`mutation($id: ID!) { setConsent(userId: $id, purpose: MARKETING, granted: true) { id } }`, { id: uid(60) }, admin);
    expect(c.errors![0]!.extensions).toMatchObject({ code: 'INVALID_STATE_TRANSITION', target: 'userId' });
    const roles = await t.call(`mutation($id: ID!) { assignRoles(userId: $id, roles: [ADMIN]) { id } }`, { id: uid(60) }, admin);
    expect(roles.errors![0]!.extensions).toMatchObject({ code: 'INVALID_STATE_TRANSITION', target: 'userId' });
    const ghost = userPrincipal('0123456789abcdef01234567', { roles: ['organizer'], scopes: ['events:read'] });
    const g = await t.call(`mutation { createApiClient(input: { name: "Ghost", scopes: ["events:read"] }) { apiKey } }`, {}, ghost);
    expect(g.errors![0]!.extensions).toMatchObject({ code: 'UNAUTHENTICATED', details: 'the user is not known' });
    expect(await peopleModels(t.conn).User.findById(uid(60)).lean()).toMatchObject({ name: 'Erased user', roles: ['attendee'] });
  });

  it('answers the gateway whether a user exists and was erased (internal callers only)', async () => {
    const q = `query($id: ID!) { userStatus(id: $id) { exists erased } }`;
    expect((await t.call(q, { id: uid(60) }, internal)).data!.userStatus).toEqual({ exists: true, erased: true });
    expect((await t.call(q, { id: uid(61) }, internal)).data!.userStatus).toEqual({ exists: true, erased: false });
    expect((await t.call(q, { id: 'not-an-id' }, internal)).data!.userStatus).toEqual({ exists: false, erased: false });
    expect(codes(await t.call(q, { id: uid(61) }, admin))).toEqual(['FORBIDDEN']);
  });
});

describe('entities', () => {
  it('resolves 50 User representations with one database command', async () => {
    const reps = Array.from({ length: 50 }, (_, i) => ({ __typename: 'User', id: uid(200 + i) }));
    t.commands.length = 0;
    const r = await t.call(`query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name organization { id } } } }`, { r: reps }, internal);
    expect(r.errors).toBeUndefined();
    expect(r.data!._entities.map((u: any) => u.id)).toEqual(reps.map((x) => x.id));
    expect(t.commands.filter((c) => c.collection === 'users')).toHaveLength(1);
  });
  it('resolves Organization representations and their members in one command per level', async () => {
    const reps = [0, 1].map((i) => ({ __typename: 'Organization', id: demoId('org', i).toHexString() }));
    t.commands.length = 0;
    const r = await t.call(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Organization { slug members { id } } } }`, { r: reps });
    expect(r.data!._entities.map((o: any) => o.slug)).toEqual(['northwind-events', 'contoso-conferences']);
    expect(t.commands.map((c) => c.collection)).toEqual(['organizations', 'users']);
  });
});

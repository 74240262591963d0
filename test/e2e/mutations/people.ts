/** Mutation table rows of the people subgraph. */
import { expect } from 'vitest';
import { DEMO_USERS } from '../../harness/stack.js';
import { newApiClient, newUser, uid, type MutationCase } from './fixtures.js';

const USER_FIELDS = 'id name email roles';

/** One row per mutation the people subgraph contributes to the composed API. */
export const PEOPLE_MUTATIONS: MutationCase[] = [
  {
    field: 'createUser',
    async happy(t) {
      const email = `New.Person.${uid()}@Example.com`;
      const d = await t.admin(`mutation ($input: CreateUserInput!) { createUser(input: $input) { ${USER_FIELDS} erasedAt } }`, { input: { name: ' New Person ', email, roles: ['SPEAKER', 'ATTENDEE'] } });
      expect(d.createUser).toMatchObject({ name: 'New Person', email: email.toLowerCase(), roles: ['SPEAKER', 'ATTENDEE'], erasedAt: null });
      const again = await t.admin(`query ($id: ID!) { user(id: $id) { name } }`, { id: d.createUser.id });
      expect(again.user.name).toBe('New Person');
    },
    invalid: () => ({
      query: `mutation ($input: CreateUserInput!) { createUser(input: $input) { id } }`,
      variables: { input: { name: 'No Email', email: 'not-an-email' } },
      target: 'input.email',
    }),
  },
  {
    field: 'updateUser',
    async happy(t) {
      const u = await newUser(t);
      const d = await t.admin(`mutation ($id: ID!) { updateUser(id: $id, input: { name: "Renamed Person" }) { ${USER_FIELDS} } }`, { id: u.id });
      expect(d.updateUser).toMatchObject({ id: u.id, name: 'Renamed Person', email: u.email });
    },
    invalid: async (t) => {
      const u = await newUser(t);
      return {
        query: `mutation ($id: ID!) { updateUser(id: $id, input: { name: "Kept", email: "a@b" }) { id } }`,
        variables: { id: u.id },
        target: 'input.email',
        subject: { subgraph: 'people', collection: 'users', id: u.id },
      };
    },
  },
  {
    field: 'updateProfile',
    async happy(t) {
      const u = await newUser(t);
      const d = await t.admin(`mutation ($id: ID!, $input: SpeakerProfileInput!) { updateProfile(id: $id, input: $input) { speakerProfile { bio company title links { label url } } } }`, {
        id: u.id,
        input: { bio: 'Builds APIs.', company: 'Initech', links: [{ label: 'Blog', url: 'https://blog.example.com' }] },
      });
      expect(d.updateProfile.speakerProfile).toEqual({ bio: 'Builds APIs.', company: 'Initech', title: null, links: [{ label: 'Blog', url: 'https://blog.example.com/' }] });
    },
    invalid: async (t) => {
      const u = await newUser(t);
      return {
        query: `mutation ($id: ID!, $input: SpeakerProfileInput!) { updateProfile(id: $id, input: $input) { id } }`,
        variables: { id: u.id, input: { bio: 'Kept out', links: [{ label: 'ok', url: 'https://ok.example.com' }, { label: 'ftp', url: 'ftp://files.example.com' }] } },
        target: 'input.links.1.url',
        subject: { subgraph: 'people', collection: 'users', id: u.id },
      };
    },
  },
  {
    field: 'updatePreferences',
    async happy(t) {
      const u = await newUser(t);
      const d = await t.admin(`mutation ($id: ID!) { updatePreferences(id: $id, input: { language: "de-AT", timezone: "Europe/Vienna", notifications: { sms: true } }) { preferences { language timezone notifications { sms } } } }`, { id: u.id });
      expect(d.updatePreferences.preferences).toEqual({ language: 'de-AT', timezone: 'Europe/Vienna', notifications: { sms: true } });
    },
    invalid: async (t) => {
      const u = await newUser(t);
      return {
        query: `mutation ($id: ID!) { updatePreferences(id: $id, input: { language: "de-AT", timezone: "Mars/Olympus_Mons" }) { id } }`,
        variables: { id: u.id },
        target: 'input.timezone',
        subject: { subgraph: 'people', collection: 'users', id: u.id },
      };
    },
  },
  {
    field: 'setConsent',
    async happy(t) {
      const u = await newUser(t);
      const d = await t.admin(`mutation ($id: ID!) { setConsent(userId: $id, purpose: ANALYTICS, granted: true) { consents { purpose granted grantedAt revokedAt } } }`, { id: u.id });
      const analytics = d.setConsent.consents.find((c: { purpose: string }) => c.purpose === 'ANALYTICS');
      expect(analytics).toMatchObject({ granted: true, revokedAt: null });
      expect(analytics.grantedAt).toBeTruthy();
    },
    invalid: () => ({ query: `mutation { setConsent(userId: "me", purpose: MARKETING, granted: true) { id } }`, target: 'userId' }),
  },
  {
    field: 'assignRoles',
    async happy(t) {
      const u = await newUser(t);
      const d = await t.admin(`mutation ($id: ID!) { assignRoles(userId: $id, roles: [ORGANIZER, SPEAKER]) { roles } }`, { id: u.id });
      expect(d.assignRoles.roles).toEqual(['ORGANIZER', 'SPEAKER']);
    },
    invalid: async (t) => {
      const u = await newUser(t);
      return {
        query: `mutation ($id: ID!) { assignRoles(userId: $id, roles: []) { id } }`,
        variables: { id: u.id },
        target: 'roles',
        subject: { subgraph: 'people', collection: 'users', id: u.id },
      };
    },
  },
  {
    field: 'createOrganization',
    async happy(t) {
      const suffix = uid();
      const d = await t.admin(`mutation ($name: String!) { createOrganization(input: { name: $name }) { id name slug members { id } } }`, { name: `Acme Events ${suffix}` });
      expect(d.createOrganization).toMatchObject({ name: `Acme Events ${suffix}`, slug: `acme-events-${suffix}`, members: [] });
    },
    invalid: () => ({ query: `mutation { createOrganization(input: { name: "   " }) { id } }`, target: 'input.name' }),
  },
  {
    field: 'requestDataExport',
    async happy(t) {
      const u = await newUser(t);
      const d = await t.admin(`mutation ($id: ID!) { requestDataExport(userId: $id) }`, { id: u.id });
      expect(d.requestDataExport).toMatchObject({ service: 'people', user: { id: u.id, email: u.email, name: 'E2E Person' }, apiClients: [] });
    },
    invalid: () => ({ query: `mutation { requestDataExport(userId: "0xdeadbeef") }`, target: 'userId' }),
  },
  {
    field: 'eraseUser',
    async happy(t) {
      const u = await newUser(t);
      const d = await t.admin(`mutation ($id: ID!) { eraseUser(userId: $id) { id name email erasedAt } }`, { id: u.id });
      expect(d.eraseUser).toMatchObject({ id: u.id, name: 'Erased user' });
      expect(d.eraseUser.email).not.toBe(u.email);
      expect(d.eraseUser.erasedAt).toBeTruthy();
    },
    invalid: () => ({ query: `mutation { eraseUser(userId: "") { id } }`, target: 'userId' }),
  },
  {
    field: 'createApiClient',
    async happy(t) {
      const d = await t.admin(`mutation { createApiClient(input: { name: "Ticket kiosk", scopes: ["events:read", "events:read"] }) { client { name ownerId scopes keyPrefix revokedAt } apiKey clientSecret } }`);
      const created = d.createApiClient;
      expect(created.client).toMatchObject({ name: 'Ticket kiosk', ownerId: DEMO_USERS.admin, scopes: ['events:read'], revokedAt: null });
      expect(created.apiKey.startsWith(created.client.keyPrefix)).toBe(true);
      expect(created.clientSecret.length).toBeGreaterThan(20);
      // The key just issued authenticates at the gateway.
      const res = await t.gql(`{ events(first: 1) { totalCount } }`, {}, { headers: { 'x-api-key': created.apiKey } });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.events.totalCount).toBeGreaterThan(0);
    },
    invalid: () => ({ query: `mutation { createApiClient(input: { name: "Too mighty", scopes: ["events:read", "admin"] }) { apiKey } }`, target: 'input.scopes.1' }),
  },
  {
    field: 'updateApiClient',
    async happy(t) {
      const c = await newApiClient(t);
      const d = await t.admin(`mutation ($id: ID!) { updateApiClient(id: $id, input: { name: "Renamed kiosk", scopes: ["events:read", "checkins:write"] }) { id name scopes global } }`, { id: c.id });
      expect(d.updateApiClient).toEqual({ id: c.id, name: 'Renamed kiosk', scopes: ['events:read', 'checkins:write'], global: true });
    },
    invalid: async (t) => {
      const c = await newApiClient(t);
      return {
        query: `mutation ($id: ID!) { updateApiClient(id: $id, input: { scopes: ["events:read", "admin"] }) { id } }`,
        variables: { id: c.id },
        target: 'input.scopes.1',
        subject: { subgraph: 'people', collection: 'api_clients', id: c.id },
      };
    },
  },
  {
    field: 'revokeApiClient',
    async happy(t) {
      const c = await newApiClient(t);
      const d = await t.admin(`mutation ($id: ID!) { revokeApiClient(id: $id) { id revokedAt } }`, { id: c.id });
      expect(d.revokeApiClient.id).toBe(c.id);
      expect(d.revokeApiClient.revokedAt).toBeTruthy();
    },
    invalid: () => ({ query: `mutation { revokeApiClient(id: "client-1") { id } }`, target: 'id' }),
  },
];

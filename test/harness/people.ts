/**
 * Test support for the security modules: the real people subgraph on localdb (in memory) with one
 * organizer in it, and helpers to create and revoke partner API clients through its GraphQL API.
 */
import { demoId } from '../../subgraphs/kit/ids.js';
import type { Principal } from '../../platform/principal.js';
import { internalPrincipal, startTestSubgraph, userPrincipal, type TestSubgraph } from '../../subgraphs/kit/testing.js';
import { PARTNER_SCOPES } from '../../subgraphs/people/api-clients.js';
import { createPeopleSubgraph } from '../../subgraphs/people/index.js';
import { peopleModels } from '../../subgraphs/people/models.js';

/** Credentials of a partner client, as createApiClient returns them once. */
export interface TestClient {
  id: string;
  clientId: string;
  apiKey: string;
  clientSecret: string;
}

export interface TestPeople {
  people: TestSubgraph;
  /** Creates a client as `owner` (by default OWNER). */
  createClient(scopes: string[], opts?: { name?: string; owner?: Principal }): Promise<TestClient>;
  /** Creates an organizer whose token holds every partner scope; answers its principal. */
  addOrganizer(): Promise<Principal>;
  revoke(id: string): Promise<void>;
  /** Erases a user (GDPR), as an admin would. */
  erase(userId: string): Promise<void>;
  /** `find` commands sent to the API client collection since the last reset. */
  clientLookups(): number;
  resetLookups(): void;
  stop(): Promise<void>;
}

/** Id of the organizer that owns the test clients. */
export const OWNER_ID = demoId('user', 1).toHexString();

/** The owner's principal: an organizer whose token holds every partner scope, so it may grant them. */
export const OWNER = userPrincipal(OWNER_ID, { roles: ['organizer'], scopes: [...PARTNER_SCOPES] });

/** Starts the people subgraph for credential tests, with the owner in it. */
export async function startTestPeople(): Promise<TestPeople> {
  const people = await startTestSubgraph('people', createPeopleSubgraph);
  await peopleModels(people.conn).User.create({ _id: demoId('user', 1), name: 'Olga Owner', email: 'olga.owner@example.com', roles: ['organizer'] });
  const lookups = () => people.commands.filter((c) => c.name === 'find' && c.collection === 'api_clients').length;
  let base = 0;
  let organizers = 0;
  return {
    people,
    async createClient(scopes, { name = 'Partner app', owner = OWNER } = {}) {
      const r = await people.call(
        'mutation($input: CreateApiClientInput!) { createApiClient(input: $input) { client { id clientId } apiKey clientSecret } }',
        { input: { name, scopes } },
        owner,
      );
      if (r.errors || !r.data) throw new Error(`createApiClient failed: ${JSON.stringify(r.errors)}`);
      const p = r.data.createApiClient;
      return { id: p.client.id, clientId: p.client.clientId, apiKey: p.apiKey, clientSecret: p.clientSecret };
    },
    async revoke(id) {
      const r = await people.call('mutation($id: ID!) { revokeApiClient(id: $id) { id revokedAt } }', { id }, internalPrincipal());
      if (r.errors) throw new Error(`revokeApiClient failed: ${JSON.stringify(r.errors)}`);
    },
    async addOrganizer() {
      const n = ++organizers;
      const r = await people.call('mutation($input: CreateUserInput!) { createUser(input: $input) { id } }', { input: { name: `Organizer ${n}`, email: `organizer.${n}@example.com`, roles: ['ORGANIZER'] } }, internalPrincipal());
      if (r.errors || !r.data) throw new Error(`createUser failed: ${JSON.stringify(r.errors)}`);
      return userPrincipal(r.data.createUser.id, { roles: ['organizer'], scopes: [...PARTNER_SCOPES] });
    },
    async erase(userId) {
      const r = await people.call('mutation($id: ID!) { eraseUser(userId: $id) { erasedAt } }', { id: userId }, internalPrincipal());
      if (r.errors) throw new Error(`eraseUser failed: ${JSON.stringify(r.errors)}`);
    },
    clientLookups: () => lookups() - base,
    resetLookups() {
      base = lookups();
    },
    stop: () => people.stop(),
  };
}

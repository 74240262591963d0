/**
 * Test support for the security modules: the real people subgraph on localdb (in memory), with
 * helpers to create and revoke partner API clients through its GraphQL API.
 */
import { demoId } from '../../subgraphs/kit/ids.js';
import { startTestSubgraph, userPrincipal, type TestSubgraph } from '../../subgraphs/kit/testing.js';
import { createPeopleSubgraph } from '../../subgraphs/people/index.js';

/** Credentials of a partner client, as createApiClient returns them once. */
export interface TestClient {
  id: string;
  clientId: string;
  apiKey: string;
  clientSecret: string;
}

export interface TestPeople {
  people: TestSubgraph;
  createClient(scopes: string[], name?: string): Promise<TestClient>;
  revoke(id: string): Promise<void>;
  /** `find` commands sent to the API client collection since the last reset. */
  clientLookups(): number;
  resetLookups(): void;
  stop(): Promise<void>;
}

/** An organizer that owns the test clients. */
export const OWNER = userPrincipal(demoId('user', 1).toHexString(), { roles: ['organizer'] });

/** Starts the people subgraph for credential tests. */
export async function startTestPeople(): Promise<TestPeople> {
  const people = await startTestSubgraph('people', createPeopleSubgraph);
  const lookups = () => people.commands.filter((c) => c.name === 'find' && c.collection === 'api_clients').length;
  let base = 0;
  return {
    people,
    async createClient(scopes, name = 'Partner app') {
      const r = await people.call(
        'mutation($input: CreateApiClientInput!) { createApiClient(input: $input) { client { id clientId } apiKey clientSecret } }',
        { input: { name, scopes } },
        OWNER,
      );
      if (r.errors || !r.data) throw new Error(`createApiClient failed: ${JSON.stringify(r.errors)}`);
      const p = r.data.createApiClient;
      return { id: p.client.id, clientId: p.client.clientId, apiKey: p.apiKey, clientSecret: p.clientSecret };
    },
    async revoke(id) {
      const r = await people.call('mutation($id: ID!) { revokeApiClient(id: $id) { id revokedAt } }', { id }, OWNER);
      if (r.errors) throw new Error(`revokeApiClient failed: ${JSON.stringify(r.errors)}`);
    },
    clientLookups: () => lookups() - base,
    resetLookups() {
      base = lookups();
    },
    stop: () => people.stop(),
  };
}

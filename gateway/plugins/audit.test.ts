/**
 * `useAudit` in a real gateway over a small subgraph with mutations, its log in localdb: each
 * mutation is recorded with its outcome and ids, one refused before it ran with the refusal's code,
 * queries not at all, and `GET /admin/audit` serves the log to admins only.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { gql } from 'graphql-tag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDb, type LocalDb } from '../../localdb/index.js';
import { badInput } from '../../platform/errors.js';
import { createLogger } from '../../platform/logger.js';
import { startSubgraphServer, type SubgraphServer } from '../../subgraphs/kit/server.js';
import { createApiKeyVerifier } from '../auth/apikey.js';
import { createAuditLog, type AuditLog, type AuditPage } from '../auth/audit.js';
import { createAuthenticator } from '../auth/authenticate.js';
import { loadAuthConfig } from '../auth/config.js';
import { createTokenVerifier, issueToken } from '../auth/jwt.js';
import { createPeopleDirectory } from '../auth/people.js';
import { createMemoryRateLimiter } from '../limits/ratelimit.js';
import { createGateway, type GatewayServer } from '../server.js';
import { testConfig } from '../../test/harness/gateway-config.js';
import { FIXTURE_SECRET, composeFixture, post } from '../../test/harness/gateway-fixtures.js';
import { useAudit } from './audit.js';
import { useAuthentication } from './authentication.js';
import { useRateLimits } from './rate-limits.js';

const logger = createLogger('test', 'silent');
const auth = loadAuthConfig({ NODE_ENV: 'test', INTERNAL_SECRET: FIXTURE_SECRET, MAX_ALIASES: '1' });
const typeDefs = gql`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type Query { note(id: ID!): String }
  type Mutation { renameNote(id: ID!, title: String!): String! archiveNote(id: ID!): String }
`;
const resolvers = {
  Query: { note: () => 'a note' },
  Mutation: {
    renameNote: (_: unknown, { title }: { title: string }) => title,
    archiveNote: () => {
      throw badInput('id', 'this note cannot be archived');
    },
  },
};

describe('useAudit', () => {
  let db: LocalDb;
  let notes: SubgraphServer;
  let audit: AuditLog;
  let gw: GatewayServer;
  let admin: Record<string, string>;
  let user: Record<string, string>;
  const readLog = (headers: Record<string, string> = admin) => fetch(gw.url.replace(/\/graphql$/, '/admin/audit?limit=10'), { headers });

  beforeAll(async () => {
    db = await startLocalDb({ port: 0 });
    notes = await startSubgraphServer({ name: 'notes', schema: buildSubgraphSchema([{ typeDefs, resolvers: resolvers as unknown as GraphQLResolverMap }]), buildContext: (base) => base, logger, internalSecret: FIXTURE_SECRET });
    audit = createAuditLog({ uri: db.uri, dbName: 'audit_plugin_test', logger });
    const directory = createPeopleDirectory({ url: 'http://127.0.0.1:1/graphql', internalSecret: FIXTURE_SECRET });
    const authenticator = createAuthenticator({ tokens: createTokenVerifier(auth.jwt), apiKeys: createApiKeyVerifier({ directory, ttlMs: 0, negativeTtlMs: 0 }) });
    const plugins = [useAuthentication({ authenticator }), useRateLimits({ limiter: createMemoryRateLimiter(), tiers: auth.tiers, limits: auth.limits }), useAudit({ audit, authenticator })];
    gw = await createGateway({ config: testConfig(), supergraphSdl: composeFixture([{ name: 'notes', typeDefs, url: notes.url }]), watch: false, extensions: plugins, logger });
    admin = { authorization: `Bearer ${(await issueToken(auth.jwt, { sub: 'admin-1', scopes: ['admin'] }, 300)).token}` };
    user = { authorization: `Bearer ${(await issueToken(auth.jwt, { sub: 'user-1', scopes: ['events:read'] }, 300)).token}` };
  });
  afterAll(async () => {
    await gw?.stop();
    await audit?.close();
    await notes?.stop();
    await db?.stop();
  });

  it('records mutations with their outcome, refusals with their code, and no queries', async () => {
    expect((await post(gw.url, 'mutation Rename { renameNote(id: "n1", title: "New") }', { headers: user })).body).toEqual({ data: { renameNote: 'New' } });
    expect((await post(gw.url, 'mutation { archiveNote(id: "n2") }', { headers: user })).body.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const refused = await post(gw.url, 'mutation TooMany { a: archiveNote(id: "n3") b: archiveNote(id: "n4") }', { headers: user });
    expect(refused.body.errors?.[0]?.extensions.code).toBe('OPERATION_TOO_COMPLEX');
    await post(gw.url, '{ note(id: "n1") }', { headers: user });

    const page = (await (await readLog()).json()) as AuditPage;
    expect(page.entries.map((e) => [e.operationName, e.fields, e.ids, e.outcome, e.errorCodes, e.actor.sub])).toEqual([
      ['TooMany', ['archiveNote', 'archiveNote'], { 'a.id': 'n3', 'b.id': 'n4' }, 'error', ['OPERATION_TOO_COMPLEX'], 'user-1'],
      [null, ['archiveNote'], { 'archiveNote.id': 'n2' }, 'error', ['BAD_USER_INPUT'], 'user-1'],
      ['Rename', ['renameNote'], { 'renameNote.id': 'n1' }, 'ok', [], 'user-1'],
    ]);
  });

  it('serves the log to admins only', async () => {
    expect((await readLog({})).status).toBe(401);
    expect((await readLog(user)).status).toBe(403);
    expect((await readLog()).status).toBe(200);
  });
});

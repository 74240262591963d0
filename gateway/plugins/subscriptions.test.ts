/**
 * `useSubscriptions` in a real gateway over the subscription fixtures (localdb in memory): a
 * subscribe on the gateway's own port carries the authenticated caller to every subgraph and
 * receives fields from all three in one event, and it passes the same admission as HTTP
 * operations (here the rate-limits plugin refuses an alias beyond its limit).
 */
import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDb, type LocalDb } from '../../localdb/index.js';
import { createLogger } from '../../platform/logger.js';
import type { SubgraphServer } from '../../subgraphs/kit/server.js';
import { createApiKeyVerifier } from '../auth/apikey.js';
import { createAuthenticator } from '../auth/authenticate.js';
import { loadAuthConfig } from '../auth/config.js';
import { createTokenVerifier, issueToken } from '../auth/jwt.js';
import { createPeopleDirectory } from '../auth/people.js';
import { createMemoryRateLimiter } from '../limits/ratelimit.js';
import { createGateway, type GatewayServer } from '../server.js';
import { testConfig } from '../../test/harness/gateway-config.js';
import { FIXTURE_SECRET, composeFixtureSupergraph, observe, startCatalog, startFeed, startPeople, type FeedFixture } from '../../test/harness/subscription-fixtures.js';
import { useAuthentication } from './authentication.js';
import { useRateLimits } from './rate-limits.js';
import { useSubscriptions } from './subscriptions.js';

const logger = createLogger('test', 'silent');
const auth = loadAuthConfig({ NODE_ENV: 'test', INTERNAL_SECRET: FIXTURE_SECRET, MAX_ALIASES: '0' });

describe('useSubscriptions', () => {
  let db: LocalDb;
  let feed: FeedFixture;
  let catalog: SubgraphServer;
  let people: SubgraphServer;
  let gw: GatewayServer;
  let client: Client;

  beforeAll(async () => {
    db = await startLocalDb({ port: 0 });
    [feed, catalog, people] = await Promise.all([startFeed({ mongoUri: db.uri, dbName: `subs_plugin_${randomUUID().slice(0, 8)}` }), startCatalog(), startPeople()]);
    const config = testConfig({ INTERNAL_SECRET: FIXTURE_SECRET });
    const directory = createPeopleDirectory({ url: 'http://127.0.0.1:1/graphql', internalSecret: FIXTURE_SECRET });
    const authentication = useAuthentication({ authenticator: createAuthenticator({ tokens: createTokenVerifier(auth.jwt), apiKeys: createApiKeyVerifier({ directory, ttlMs: 0, negativeTtlMs: 0 }) }) });
    const plugins = [authentication, useRateLimits({ limiter: createMemoryRateLimiter(), tiers: auth.tiers, limits: auth.limits }), useSubscriptions({ config, logger, authentication })];
    gw = await createGateway({ config, supergraphSdl: composeFixtureSupergraph({ feed: feed.server.url, catalog: catalog.url, people: people.url }), watch: false, extensions: plugins, logger });
    const { token } = await issueToken(auth.jwt, { sub: 'viewer-1', scopes: ['events:read'] }, 300);
    client = createClient({ url: gw.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  });
  afterAll(async () => {
    await client?.dispose();
    await gw?.stop();
    await feed?.stop();
    await Promise.all([catalog?.stop(), people?.stop()]);
    await db?.stop();
  });

  it('delivers events with fields from every subgraph, fetched as the subscriber', async () => {
    const channel = randomUUID();
    const observed = observe(client, { channel });
    await observed.until(() => feed.listening(channel) > 0);
    await feed.tick(channel, 7, 'i9');
    await observed.until((o) => o.events.length === 1);
    expect(observed.events[0]?.data?.ticked.tick).toMatchObject({ n: 7, viewer: 'viewer-1', item: { id: 'i9', name: 'Item i9', owner: { name: 'Owner o-i9', viewer: 'viewer-1' } } });
    observed.dispose();
  });

  it('refuses a subscribe the gateway admission refuses', async () => {
    const observed = observe(client, { channel: randomUUID() }, 'subscription { t: ticked(channel: "c") { cursor } }');
    await observed.until((o) => o.errors.length > 0);
    expect(observed.errors[0]).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'OPERATION_TOO_COMPLEX' }) })]);
  });
});

/**
 * `useOAuthEndpoint` in a real gateway, with the real people subgraph (localdb in memory) holding
 * a partner client: `POST /oauth/token` issues a token the gateway then accepts, and with the rate
 * limits metering the path every call costs the address one unit of its anonymous budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { createApiKeyVerifier } from '../auth/apikey.js';
import { createAuthenticator } from '../auth/authenticate.js';
import { loadAuthConfig } from '../auth/config.js';
import { createTokenVerifier } from '../auth/jwt.js';
import { TOKEN_PATH } from '../auth/oauth.js';
import { createPeopleDirectory } from '../auth/people.js';
import { createMemoryRateLimiter } from '../limits/ratelimit.js';
import { createGateway, type GatewayServer } from '../server.js';
import { testConfig } from '../../test/harness/gateway-config.js';
import { post, startFixtures, type Fixtures } from '../../test/harness/gateway-fixtures.js';
import { startTestPeople, type TestClient, type TestPeople } from '../../test/harness/people.js';
import { useAuthentication } from './authentication.js';
import { useOAuthEndpoint } from './oauth.js';
import { useRateLimits } from './rate-limits.js';

const logger = createLogger('test', 'silent');
/** Three calls a burst for anonymous callers, nothing back during the test. */
const auth = loadAuthConfig({ NODE_ENV: 'test', RATE_LIMIT_ANONYMOUS: '1/3/5' });

describe('useOAuthEndpoint', () => {
  let t: TestPeople;
  let fx: Fixtures;
  let gw: GatewayServer;
  let client: TestClient;
  let tokenUrl: string;
  const askToken = (secret: string) =>
    fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `grant_type=client_credentials&client_id=${client.clientId}&client_secret=${encodeURIComponent(secret)}` });

  beforeAll(async () => {
    [t, fx] = await Promise.all([startTestPeople(), startFixtures()]);
    client = await t.createClient(['events:read']);
    const directory = createPeopleDirectory({ url: t.people.url, internalSecret: auth.internalSecret });
    const authenticator = createAuthenticator({ tokens: createTokenVerifier(auth.jwt), apiKeys: createApiKeyVerifier({ directory, ttlMs: 0, negativeTtlMs: 0 }) });
    const plugins = [
      useAuthentication({ authenticator }),
      useRateLimits({ limiter: createMemoryRateLimiter(), tiers: auth.tiers, limits: auth.limits, meteredPaths: [TOKEN_PATH] }),
      useOAuthEndpoint({ directory, jwt: auth.jwt, ttlSeconds: 300, logger }),
    ];
    gw = await createGateway({ config: testConfig(), supergraphSdl: fx.supergraph(), watch: false, extensions: plugins, logger });
    tokenUrl = gw.url.replace(/\/graphql$/, TOKEN_PATH);
  });
  afterAll(async () => {
    await gw?.stop();
    await fx?.stop();
    await t?.stop();
  });

  it('issues a token to a partner client, which the gateway then accepts', async () => {
    const res = await askToken(client.clientSecret);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining')).toBe('2');
    const { access_token: token } = (await res.json()) as { access_token: string };
    const who = await post(gw.url, '{ whoami { kind sub } }', { headers: { authorization: `Bearer ${token}` } });
    expect(who.body.data).toEqual({ whoami: { kind: 'partner', sub: client.clientId } });
  });

  it('charges every call, answered or not, to the address', async () => {
    expect((await askToken('wrong-secret')).status).toBe(401);
    expect((await askToken(client.clientSecret)).headers.get('x-ratelimit-remaining')).toBe('0');
    const spent = await askToken(client.clientSecret);
    expect(spent.status).toBe(429);
    expect(spent.headers.get('x-ratelimit-remaining')).toBe('0');
  });
});

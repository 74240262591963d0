/**
 * `useAuthentication` alone in a real gateway over the fixture subgraphs: the verified caller
 * reaches the subgraphs, no credential is the anonymous caller, and a credential that does not
 * verify (or cannot be checked) is refused before anything runs, never downgraded to anonymous.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { createApiKeyVerifier } from '../auth/apikey.js';
import { createAuthenticator } from '../auth/authenticate.js';
import { loadAuthConfig } from '../auth/config.js';
import { issueToken, createTokenVerifier } from '../auth/jwt.js';
import { createPeopleDirectory } from '../auth/people.js';
import { createGateway, type GatewayServer } from '../server.js';
import { testConfig } from '../../test/harness/gateway-config.js';
import { FIXTURE_SECRET, post, startFixtures, type Fixtures } from '../../test/harness/gateway-fixtures.js';
import { useAuthentication } from './authentication.js';

const auth = loadAuthConfig({ NODE_ENV: 'test', INTERNAL_SECRET: FIXTURE_SECRET });

describe('useAuthentication', () => {
  let fx: Fixtures;
  let gw: GatewayServer;

  beforeAll(async () => {
    fx = await startFixtures();
    // No people subgraph answers here: API keys cannot be checked.
    const directory = createPeopleDirectory({ url: 'http://127.0.0.1:1/graphql', internalSecret: auth.internalSecret, timeoutMs: 500 });
    const authenticator = createAuthenticator({ tokens: createTokenVerifier(auth.jwt), apiKeys: createApiKeyVerifier({ directory, ttlMs: 0, negativeTtlMs: 0 }) });
    gw = await createGateway({ config: testConfig(), supergraphSdl: fx.supergraph(), watch: false, extensions: [useAuthentication({ authenticator })], logger: createLogger('test', 'silent') });
  });
  afterAll(async () => {
    await gw?.stop();
    await fx?.stop();
  });

  it('passes the verified caller to the subgraphs', async () => {
    const { token } = await issueToken(auth.jwt, { sub: 'user-7', scopes: ['events:read'] }, 300);
    const res = await post(gw.url, '{ whoami { kind sub scopes } }', { headers: { authorization: `Bearer ${token}` } });
    expect(res.body).toEqual({ data: { whoami: { kind: 'user', sub: 'user-7', scopes: ['events:read'] } } });
  });

  it('serves a request without credentials as the anonymous caller', async () => {
    const res = await post(gw.url, '{ whoami { kind sub } }');
    expect(res.body).toEqual({ data: { whoami: { kind: 'anonymous', sub: null } } });
  });

  it('refuses a token that does not verify with 401 before any subgraph is called', async () => {
    fx.seen.length = 0;
    const res = await post(gw.url, '{ whoami { kind } }', { headers: { authorization: 'Bearer not.a.token' } });
    expect(res.status).toBe(401);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', details: 'the token is malformed' });
    expect(fx.seen).toEqual([]);
  });

  it('answers 503 for an API key that cannot be checked, rather than serving the caller anonymously', async () => {
    const res = await post(gw.url, '{ whoami { kind } }', { headers: { 'x-api-key': 'egk_unknown' } });
    expect(res.status).toBe(503);
    expect(res.body.errors?.[0]?.extensions.code).toBe('SERVICE_UNAVAILABLE');
  });
});

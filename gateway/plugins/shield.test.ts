/**
 * `useShield` in a real gateway over the fixture subgraphs, behind `useAuthentication`: a denied
 * field is answered with null and an error at its path and never reaches a subgraph, a caller with
 * the scope gets it, introspection follows its policy, and `reject` refuses the whole operation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { createApiKeyVerifier } from '../auth/apikey.js';
import { createAuthenticator } from '../auth/authenticate.js';
import { loadAuthConfig } from '../auth/config.js';
import { createTokenVerifier, issueToken } from '../auth/jwt.js';
import { createPeopleDirectory } from '../auth/people.js';
import { createGateway, type GatewayServer } from '../server.js';
import type { GatewayExtension } from '../types.js';
import { testConfig } from '../../test/harness/gateway-config.js';
import { FIXTURE_SECRET, post, startFixtures, type Fixtures } from '../../test/harness/gateway-fixtures.js';
import { useAuthentication } from './authentication.js';
import { useShield, type ShieldOptions } from './shield.js';

const auth = loadAuthConfig({ NODE_ENV: 'test', INTERNAL_SECRET: FIXTURE_SECRET });
const bearer = async (scopes: string[], kind: 'user' | 'partner' = 'user') => ({ authorization: `Bearer ${(await issueToken(auth.jwt, { sub: 'c-1', kind, clientId: 'c-1', scopes }, 300)).token}` });

describe('useShield', () => {
  let fx: Fixtures;
  const gateways: GatewayServer[] = [];
  const queries: string[] = [];
  const recorder: GatewayExtension = { name: 'recorder', willSendSubgraphRequest: (req) => void queries.push(req.body.query ?? '') };

  async function start(opts: ShieldOptions): Promise<GatewayServer> {
    const directory = createPeopleDirectory({ url: 'http://127.0.0.1:1/graphql', internalSecret: auth.internalSecret });
    const authenticator = createAuthenticator({ tokens: createTokenVerifier(auth.jwt), apiKeys: createApiKeyVerifier({ directory, ttlMs: 0, negativeTtlMs: 0 }) });
    const gw = await createGateway({ config: testConfig(), supergraphSdl: fx.supergraph(), watch: false, extensions: [useAuthentication({ authenticator }), useShield(opts), recorder], logger: createLogger('test', 'silent') });
    gateways.push(gw);
    return gw;
  }

  beforeAll(async () => {
    fx = await startFixtures();
  });
  afterAll(async () => {
    for (const gw of gateways) await gw.stop();
    await fx?.stop();
  });

  it('answers a denied field with null and an error at its path, and asks no subgraph for it', async () => {
    const gw = await start({ introspection: 'on' });
    queries.length = 0;
    const anonymous = await post(gw.url, '{ product(id: "p1") { name } s: secret }');
    expect(anonymous.body.data).toEqual({ product: { name: 'Product p1' }, s: null });
    expect(anonymous.body.errors?.map((e) => [e.path, e.extensions.code])).toEqual([[['s'], 'UNAUTHENTICATED']]);
    expect(queries.join('\n')).not.toContain('secret');

    const admin = await post(gw.url, '{ product(id: "p1") { name } s: secret }', { headers: await bearer(['admin']) });
    expect(admin.body).toEqual({ data: { product: { name: 'Product p1' }, s: '42' } });
  });

  it('opens introspection to schema:read only when scoped', async () => {
    const gw = await start({ introspection: 'scoped' });
    const anonymous = await post(gw.url, '{ __schema { queryType { name } } }');
    expect(anonymous.body).toMatchObject({ data: null, errors: [{ path: ['__schema'], extensions: { code: 'UNAUTHENTICATED' } }] });
    const partner = await post(gw.url, '{ __schema { queryType { name } } }', { headers: await bearer(['schema:read'], 'partner') });
    expect(partner.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('refuses the whole operation when denials reject it', async () => {
    const gw = await start({ introspection: 'on', onDeny: 'reject' });
    const anonymous = await post(gw.url, '{ product(id: "p1") { name } secret }');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.data).toBeUndefined();
    const user = await post(gw.url, '{ secret }', { headers: await bearer(['events:read']) });
    expect(user.status).toBe(403);
    expect(user.body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });
});

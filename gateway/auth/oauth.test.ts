import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../platform/logger.js';
import { loadAuthConfig } from './config.js';
import { createTokenVerifier } from './jwt.js';
import { createOAuthTokenRoute, grantScopes } from './oauth.js';
import { createPeopleDirectory } from './people.js';
import { OWNER_ID, startTestPeople, type TestClient, type TestPeople } from '../../test/harness/people.js';
import { createUserStatusVerifier } from './users.js';

const config = loadAuthConfig({ NODE_ENV: 'test' });
const FORM = 'application/x-www-form-urlencoded';

describe('POST /oauth/token (client credentials, RFC 6749 §4.4)', () => {
  let t: TestPeople;
  let server: Server;
  let url: string;
  let client: TestClient;

  beforeAll(async () => {
    t = await startTestPeople();
    client = await t.createClient(['events:read', 'registrations:read', 'checkins:write']);
    const directory = createPeopleDirectory({ url: t.people.url, internalSecret: config.internalSecret });
    const route = createOAuthTokenRoute({
      directory,
      users: createUserStatusVerifier({ directory, ttlMs: 0 }),
      jwt: config.jwt,
      ttlSeconds: config.oauthTokenTtlSeconds,
      logger: createLogger('test', 'silent'),
    });
    server = createServer((req, res) => {
      void route(req, res, { correlationId: 'c-1', logger: createLogger('test', 'silent') }).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await t.stop();
  });

  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  async function token(body: string, headers: Record<string, string> = {}, method = 'POST') {
    const res = await fetch(url, { method, headers: { 'content-type': FORM, ...headers }, body: method === 'POST' ? body : undefined });
    expect(res.headers.get('cache-control')).toBe('no-store');
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  it('issues a short-lived bearer token to a client authenticated with HTTP Basic', async () => {
    const r = await token('grant_type=client_credentials', { authorization: basic(client.clientId, client.clientSecret) });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'events:read registrations:read checkins:write' });
    expect(r.headers.get('pragma')).toBe('no-cache');
    const verified = await createTokenVerifier(config.jwt).verify(String(r.body.access_token));
    expect(verified.principal).toEqual({ kind: 'partner', sub: client.clientId, clientId: client.clientId, scopes: ['events:read', 'registrations:read', 'checkins:write'], roles: [], ownerId: OWNER_ID });
    expect(verified.clientOwnerId).toBe(OWNER_ID);
    expect(verified.expiresAt! - Date.now()).toBeLessThanOrEqual(900_000);
  });

  it('accepts credentials in the body and grants the requested scopes', async () => {
    const r = await token(new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, scope: 'checkins:write events:read' }).toString());
    expect(r.status).toBe(200);
    expect(r.body.scope).toBe('checkins:write events:read');
    expect((await createTokenVerifier(config.jwt).verify(String(r.body.access_token))).principal.scopes).toEqual(['checkins:write', 'events:read']);
  });

  it('answers invalid_scope, naming them, when a requested scope is more than the client holds', async () => {
    const r = await token('grant_type=client_credentials&scope=checkins:write%20admin%20payments:read', { authorization: basic(client.clientId, client.clientSecret) });
    expect(r).toMatchObject({ status: 400, body: { error: 'invalid_scope', error_description: "the client does not hold 'admin', 'payments:read'" } });
    expect(r.body.access_token).toBeUndefined();
  });

  it('answers invalid_client once the client owner is erased', async () => {
    const organizer = await t.addOrganizer();
    const theirs = await t.createClient(['events:read'], { owner: organizer });
    const ask = () => token('grant_type=client_credentials', { authorization: basic(theirs.clientId, theirs.clientSecret) });
    expect((await ask()).status).toBe(200);
    await t.erase(organizer.sub!);
    expect(await ask()).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('answers invalid_client (401, WWW-Authenticate) for a wrong secret, an unknown client, no credentials and a revoked client', async () => {
    const wrong = await token('grant_type=client_credentials', { authorization: basic(client.clientId, 'egs_wrong') });
    expect(wrong).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="eventgraph"');
    expect(await token('grant_type=client_credentials&client_id=egc_nobody&client_secret=x')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await token('grant_type=client_credentials')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const revoked = await t.createClient(['events:read']);
    await t.revoke(revoked.id);
    expect(await token('grant_type=client_credentials', { authorization: basic(revoked.clientId, revoked.clientSecret) })).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('answers unsupported_grant_type and invalid_request per §5.2', async () => {
    const auth = { authorization: basic(client.clientId, client.clientSecret) };
    expect(await token('grant_type=password&username=a&password=b', auth)).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    expect(await token('scope=events:read', auth)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await token('grant_type=client_credentials&grant_type=client_credentials', auth)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await token(`grant_type=client_credentials&client_id=${client.clientId}&client_secret=${client.clientSecret}`, auth)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await token('{"grant_type":"client_credentials"}', { ...auth, 'content-type': 'application/json' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const get = await token('', auth, 'GET');
    expect(get).toMatchObject({ status: 405, body: { error: 'invalid_request' } });
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('computes granted scopes', () => {
    expect(grantScopes(undefined, ['events:read', 'bogus'])).toEqual(['events:read']);
    expect(grantScopes('events:read events:read', ['events:read'])).toEqual(['events:read']);
    expect(() => grantScopes('events:read  x', ['events:read'])).toThrow(/malformed/);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuthConfig } from './config.js';
import { createApiKeyVerifier } from './apikey.js';
import { createAuthenticator } from './authenticate.js';
import { createTokenVerifier, issueToken } from './jwt.js';
import { createPeopleDirectory } from './people.js';
import { startTestPeople, type TestPeople } from './testing.js';

const config = loadAuthConfig({ NODE_ENV: 'test' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function codeOf(p: Promise<unknown>): Promise<{ code: unknown; details: unknown }> {
  try {
    await p;
  } catch (err) {
    const ext = (err as { extensions?: Record<string, unknown> }).extensions ?? {};
    return { code: ext.code, details: ext.details };
  }
  throw new Error('expected a refusal');
}

describe('API keys through the people subgraph', () => {
  let t: TestPeople;
  beforeAll(async () => {
    t = await startTestPeople();
  });
  afterAll(() => t.stop());

  const verifierFor = (ttlMs: number, negativeTtlMs: number) =>
    createApiKeyVerifier({ directory: createPeopleDirectory({ url: t.people.url, internalSecret: config.internalSecret }), ttlMs, negativeTtlMs });

  it('turns a valid key into a partner principal with the client scopes', async () => {
    const client = await t.createClient(['events:read', 'registrations:read']);
    const verified = await verifierFor(30_000, 5_000).verify(client.apiKey);
    expect(verified).toEqual({ principal: { kind: 'partner', sub: client.clientId, clientId: client.clientId, scopes: ['events:read', 'registrations:read'], roles: [] }, expiresAt: null });
  });

  it('keeps trusting a verified key for at most the cache TTL after revocation', async () => {
    const client = await t.createClient(['events:read']);
    const verifier = verifierFor(300, 300);
    await verifier.verify(client.apiKey);
    await t.revoke(client.id);
    await expect(verifier.verify(client.apiKey)).resolves.toBeDefined(); // cached
    await sleep(350);
    expect(await codeOf(verifier.verify(client.apiKey))).toEqual({ code: 'UNAUTHENTICATED', details: 'the API key has been revoked' });
  });

  it('remembers a refused key briefly and shares one lookup between concurrent checks', async () => {
    const client = await t.createClient(['events:read']);
    const wrong = client.apiKey.slice(0, -4) + (client.apiKey.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const verifier = verifierFor(30_000, 60_000);
    t.resetLookups();
    expect(await codeOf(verifier.verify(wrong))).toEqual({ code: 'UNAUTHENTICATED', details: 'the API key is not known' });
    expect(await codeOf(verifier.verify(wrong))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(t.clientLookups()).toBe(1);
    t.resetLookups();
    const results = await Promise.all(Array.from({ length: 10 }, () => verifier.verify(client.apiKey)));
    expect(results.every((r) => r.principal.clientId === client.clientId)).toBe(true);
    expect(t.clientLookups()).toBe(1);
  });

  it('answers SERVICE_UNAVAILABLE (not a refusal, not cached) when the people subgraph cannot be reached', async () => {
    const verifier = createApiKeyVerifier({ directory: createPeopleDirectory({ url: 'http://127.0.0.1:1/graphql', internalSecret: config.internalSecret }), ttlMs: 30_000, negativeTtlMs: 30_000 });
    expect((await codeOf(verifier.verify('eg_live_AAAAAAAAAAAAAAAAAAAAAAAA'))).code).toBe('SERVICE_UNAVAILABLE');
  });

  describe('authenticator', () => {
    const authenticator = () => createAuthenticator(createTokenVerifier(config.jwt), verifierFor(30_000, 5_000));

    it('reads Bearer tokens, ApiKey authorization, X-API-Key, and nothing as anonymous', async () => {
      const client = await t.createClient(['events:read']);
      const a = authenticator();
      const { token } = await issueToken(config.jwt, { sub: 'u9', scopes: ['events:read'] }, 60);
      expect((await a.fromHeaders({ authorization: `Bearer ${token}` })).principal.sub).toBe('u9');
      expect((await a.fromHeaders({ authorization: `ApiKey ${client.apiKey}` })).principal.clientId).toBe(client.clientId);
      expect((await a.fromHeaders({ 'x-api-key': client.apiKey })).principal.kind).toBe('partner');
      expect((await a.fromHeaders({})).principal.kind).toBe('anonymous');
      expect((await a.authenticate({ authorization: `Bearer ${token}` })).expiresAt).toBeGreaterThan(Date.now());
      expect((await a.authenticate({ apiKey: client.apiKey })).principal.kind).toBe('partner');
    });

    it('refuses unsupported schemes, two credentials at once and non-string values', async () => {
      const a = authenticator();
      expect((await codeOf(a.fromHeaders({ authorization: 'Basic dXNlcjpwYXNz' }))).details).toMatch(/scheme 'Basic' is not supported/);
      expect((await codeOf(a.fromHeaders({ authorization: 'Bearer x', 'x-api-key': 'eg_live_x' }))).details).toMatch(/not both/);
      expect((await codeOf(a.authenticate({ authorization: 42 }))).code).toBe('UNAUTHENTICATED');
      expect((await codeOf(a.fromHeaders({ authorization: 'Bearer' }))).code).toBe('UNAUTHENTICATED');
      expect((await codeOf(a.fromHeaders({ 'x-api-key': 'short' }))).details).toBe('the API key is malformed');
    });
  });
});

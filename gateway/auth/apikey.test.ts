import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuthConfig } from './config.js';
import { createApiKeyVerifier } from './apikey.js';
import { createAuthenticator } from './authenticate.js';
import { createTokenVerifier, issueToken } from './jwt.js';
import { createPeopleDirectory } from './people.js';
import { OWNER_ID, startTestPeople, type TestPeople } from '../../test/harness/people.js';
import { createUserStatusVerifier } from './users.js';

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

  it('turns a valid key into a partner principal with the client scopes, acting for its owner', async () => {
    const client = await t.createClient(['events:read', 'registrations:read']);
    const verified = await verifierFor(30_000, 5_000).verify(client.apiKey);
    expect(verified).toEqual({
      principal: { kind: 'partner', sub: client.clientId, clientId: client.clientId, scopes: ['events:read', 'registrations:read'], roles: [], ownerId: OWNER_ID },
      expiresAt: null,
      clientOwnerId: OWNER_ID,
    });
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

  it('keeps at most maxEntries keys, asking again for the least recently used one', async () => {
    const [a, b, c] = await Promise.all([t.createClient(['events:read']), t.createClient(['events:read']), t.createClient(['events:read'])]);
    const verifier = createApiKeyVerifier({ directory: createPeopleDirectory({ url: t.people.url, internalSecret: config.internalSecret }), ttlMs: 30_000, negativeTtlMs: 5_000, maxEntries: 2 });
    await verifier.verify(a.apiKey);
    await verifier.verify(b.apiKey);
    await verifier.verify(a.apiKey); // a is now the most recently used
    await verifier.verify(c.apiKey); // b goes
    t.resetLookups();
    await verifier.verify(a.apiKey);
    await verifier.verify(c.apiKey);
    expect(t.clientLookups()).toBe(0);
    expect((await verifier.verify(b.apiKey)).principal.clientId).toBe(b.clientId);
    expect(t.clientLookups()).toBe(1);
  });

  it('answers SERVICE_UNAVAILABLE (not a refusal, not cached) when the people subgraph cannot be reached', async () => {
    const verifier = createApiKeyVerifier({ directory: createPeopleDirectory({ url: 'http://127.0.0.1:1/graphql', internalSecret: config.internalSecret }), ttlMs: 30_000, negativeTtlMs: 30_000 });
    expect((await codeOf(verifier.verify('eg_live_AAAAAAAAAAAAAAAAAAAAAAAA'))).code).toBe('SERVICE_UNAVAILABLE');
  });

  describe('authenticator', () => {
    const directory = () => createPeopleDirectory({ url: t.people.url, internalSecret: config.internalSecret });
    const authenticator = (ttlMs = 30_000) =>
      createAuthenticator({ tokens: createTokenVerifier(config.jwt), apiKeys: verifierFor(30_000, 5_000), users: createUserStatusVerifier({ directory: directory(), ttlMs }) });

    it('reads Bearer tokens, ApiKey authorization, X-API-Key, and nothing as anonymous', async () => {
      const client = await t.createClient(['events:read']);
      const a = authenticator();
      const { token } = await issueToken(config.jwt, { sub: OWNER_ID, scopes: ['events:read'] }, 60);
      expect((await a.fromHeaders({ authorization: `Bearer ${token}` })).principal.sub).toBe(OWNER_ID);
      expect((await a.fromHeaders({ authorization: `ApiKey ${client.apiKey}` })).principal.clientId).toBe(client.clientId);
      expect((await a.fromHeaders({ 'x-api-key': client.apiKey })).principal.kind).toBe('partner');
      expect((await a.fromHeaders({})).principal.kind).toBe('anonymous');
      expect((await a.authenticate({ authorization: `Bearer ${token}` })).expiresAt).toBeGreaterThan(Date.now());
      expect((await a.authenticate({ apiKey: client.apiKey })).principal.kind).toBe('partner');
    });

    it('refuses tokens whose subject is not a user, or an erased one, and keys whose owner is erased', async () => {
      const a = authenticator(0);
      const bearer = async (sub: string) => ({ authorization: `Bearer ${(await issueToken(config.jwt, { sub, scopes: ['events:read'] }, 60)).token}` });
      expect(await codeOf(a.fromHeaders(await bearer('u9')))).toEqual({ code: 'UNAUTHENTICATED', details: 'the token subject is not a known user' });
      expect(await codeOf(a.fromHeaders(await bearer('0123456789abcdef01234567')))).toEqual({ code: 'UNAUTHENTICATED', details: 'the token subject is not a known user' });
      const organizer = await t.addOrganizer();
      const client = await t.createClient(['events:read'], { owner: organizer });
      const own = await bearer(organizer.sub!);
      const keyed = authenticator(0);
      expect((await keyed.fromHeaders({ 'x-api-key': client.apiKey })).principal.ownerId).toBe(organizer.sub);
      expect((await a.fromHeaders(own)).principal.sub).toBe(organizer.sub);
      await t.erase(organizer.sub!);
      expect(await codeOf(a.fromHeaders(own))).toEqual({ code: 'UNAUTHENTICATED', details: 'the user has been erased' });
      // the key is still in the API key cache; its owner's erasure refuses it all the same
      expect(await codeOf(keyed.fromHeaders({ 'x-api-key': client.apiKey }))).toEqual({ code: 'UNAUTHENTICATED', details: "the client's owner has been erased" });
      expect(await codeOf(keyed.verifyActive({ kind: 'user', sub: organizer.sub, scopes: [], roles: [] }))).toEqual({ code: 'UNAUTHENTICATED', details: 'the user has been erased' });
    });

    it('shares one user lookup between concurrent checks and remembers it for the TTL', async () => {
      const a = authenticator(30_000);
      const { token } = await issueToken(config.jwt, { sub: OWNER_ID, scopes: ['events:read'] }, 60);
      const userFinds = () => t.people.commands.filter((c) => c.name === 'find' && c.collection === 'users').length;
      const before = userFinds();
      const results = await Promise.all(Array.from({ length: 10 }, () => a.fromHeaders({ authorization: `Bearer ${token}` })));
      expect(results.every((r) => r.principal.sub === OWNER_ID)).toBe(true);
      await a.fromHeaders({ authorization: `Bearer ${token}` });
      expect(userFinds() - before).toBe(1);
    });

    it('answers SERVICE_UNAVAILABLE for user tokens when the people subgraph cannot be reached', async () => {
      const down = createPeopleDirectory({ url: 'http://127.0.0.1:1/graphql', internalSecret: config.internalSecret });
      const a = createAuthenticator({ tokens: createTokenVerifier(config.jwt), apiKeys: createApiKeyVerifier({ directory: down, ttlMs: 0, negativeTtlMs: 0 }), users: createUserStatusVerifier({ directory: down, ttlMs: 30_000 }) });
      const { token } = await issueToken(config.jwt, { sub: OWNER_ID, scopes: ['events:read'] }, 60);
      expect((await codeOf(a.fromHeaders({ authorization: `Bearer ${token}` }))).code).toBe('SERVICE_UNAVAILABLE');
      expect((await a.fromHeaders({})).principal.kind).toBe('anonymous');
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

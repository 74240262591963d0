import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import { ConfigError } from '../../platform/config.js';
import { DEV_JWT_SECRET, loadAuthConfig, type JwtConfig } from './config.js';
import { createTokenVerifier, issueToken } from './jwt.js';

const HS: JwtConfig = loadAuthConfig({ NODE_ENV: 'test' }).jwt;
const now = () => Math.floor(Date.now() / 1000);
const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Signs arbitrary claims (defaults: valid issuer, audience, subject and a 5-minute lifetime). */
function sign(claims: JWTPayload, key: Uint8Array | CryptoKey = enc(HS.secret), header: { alg: string; kid?: string } = { alg: 'HS256' }) {
  return new SignJWT({ iss: HS.issuer, aud: HS.audience, sub: 'user-1', exp: now() + 300, scope: 'events:read', ...claims }).setProtectedHeader(header).sign(key);
}

/** The `details` of the UNAUTHENTICATED error a token gets. */
async function refusal(verifier: ReturnType<typeof createTokenVerifier>, token: string): Promise<string> {
  try {
    await verifier.verify(token);
  } catch (err) {
    const ext = (err as { extensions?: Record<string, unknown> }).extensions;
    expect(ext?.code).toBe('UNAUTHENTICATED');
    expect(ext?.status).toBe(401);
    return String(ext?.details);
  }
  throw new Error('the token was accepted');
}

describe('HS256 tokens', () => {
  const verifier = createTokenVerifier(HS);

  it('verifies a token issued by the gateway into its principal', async () => {
    const { token, expiresAt } = await issueToken(HS, { sub: 'u1', scopes: ['events:read', 'checkins:write', 'not-a-scope'], roles: ['organizer'] }, 600);
    const result = await verifier.verify(token);
    expect(result.principal).toEqual({ kind: 'user', sub: 'u1', scopes: ['events:read', 'checkins:write'], roles: ['organizer'] });
    expect(result.expiresAt).toBe(expiresAt);
    expect(expiresAt - Date.now()).toBeGreaterThan(590_000);
  });

  it('verifies a partner token with its client id', async () => {
    const { token } = await issueToken(HS, { sub: 'egc_1', kind: 'partner', clientId: 'egc_1', scopes: ['events:read'] }, 60);
    expect((await verifier.verify(token)).principal).toEqual({ kind: 'partner', sub: 'egc_1', clientId: 'egc_1', scopes: ['events:read'], roles: [] });
  });

  it('refuses an expired token, but tolerates the configured clock skew', async () => {
    expect(await refusal(verifier, await sign({ exp: now() - HS.clockSkewSeconds - 5 }))).toBe('the token has expired');
    await expect(verifier.verify(await sign({ exp: now() - 5 }))).resolves.toBeDefined();
  });

  it('refuses a token that is not valid yet', async () => {
    expect(await refusal(verifier, await sign({ nbf: now() + HS.clockSkewSeconds + 60 }))).toBe('the token is not valid yet');
  });

  it('refuses the wrong audience and the wrong issuer', async () => {
    expect(await refusal(verifier, await sign({ aud: 'another-api' }))).toBe('the token is meant for another audience');
    expect(await refusal(verifier, await sign({ iss: 'https://evil.example' }))).toBe('the token was issued by an unknown issuer');
  });

  it('refuses alg: none', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: HS.issuer, aud: HS.audience, sub: 'admin', exp: now() + 300, scope: 'admin' })}.`;
    expect(await refusal(verifier, unsigned)).toBe("the token algorithm 'none' is not allowed");
  });

  it('refuses a token re-signed with another key', async () => {
    expect(await refusal(verifier, await sign({ scope: 'admin' }, enc('another-secret-of-at-least-32-characters!!')))).toBe('the token signature does not verify');
    const [h, p] = (await sign({})).split('.');
    const tampered = `${h}.${b64({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), scope: 'admin' })}.${(await sign({})).split('.')[2]}`;
    expect(await refusal(verifier, tampered)).toBe('the token signature does not verify');
  });

  it('refuses tokens without exp, without sub, malformed ones, and algorithms not configured', async () => {
    const noExp = await new SignJWT({ iss: HS.issuer, aud: HS.audience, sub: 'u' }).setProtectedHeader({ alg: 'HS256' }).sign(enc(HS.secret));
    expect(await refusal(verifier, noExp)).toBe("the token's 'exp' claim is missing or invalid");
    expect(await refusal(verifier, await sign({ sub: undefined }))).toBe("the token's 'sub' claim is missing or invalid");
    expect(await refusal(verifier, 'not-a-jwt')).toBe('the token is malformed');
    expect(await refusal(verifier, await sign({}, enc(HS.secret), { alg: 'HS512' }))).toBe("the token algorithm 'HS512' is not allowed");
    const { privateKey } = await generateKeyPair('RS256');
    expect(await refusal(verifier, await sign({}, privateKey, { alg: 'RS256' }))).toBe("the token algorithm 'RS256' is not allowed");
  });

  it('refuses claims of the wrong type, naming the claim, instead of failing later or granting less', async () => {
    const cases: Array<[JWTPayload, string]> = [
      [{ sub: { id: 'u' } as unknown as string }, "the token's 'sub' claim must be a non-empty string"],
      [{ sub: 7 as unknown as string }, "the token's 'sub' claim must be a non-empty string"],
      [{ sub: '' }, "the token's 'sub' claim must be a non-empty string"],
      [{ kind: ['user'] }, "the token's 'kind' claim must be a non-empty string"],
      [{ kind: null }, "the token's 'kind' claim must be a non-empty string"],
      [{ scope: { admin: true } }, "the token's 'scope' claim must be a string or an array of strings"],
      [{ scopes: ['events:read', 1] }, "the token's 'scopes' claim must be a string or an array of strings"],
      [{ roles: 5 }, "the token's 'roles' claim must be a string or an array of strings"],
      [{ kind: 'partner', client_id: 42 }, "the token's 'client_id' claim must be a non-empty string"],
      [{ kind: 'partner', cid: ['egc_1'] }, "the token's 'cid' claim must be a non-empty string"],
      [{ global: 'yes' }, "the token's 'global' claim must be true or false"],
      [{ exp: `${now() + 300}` as unknown as number }, "the token's 'exp' claim is missing or invalid"],
      [{ nbf: 'now' as unknown as number }, "the token's 'nbf' claim is missing or invalid"],
      [{ iat: 'now' as unknown as number }, "the token's 'iat' claim is missing or invalid"],
    ];
    for (const [claims, details] of cases) expect(await refusal(verifier, await sign(claims)), JSON.stringify(claims)).toBe(details);
    // JSON's 1e400 parses as Infinity: a token that would never expire.
    const payload = `{"iss":"${HS.issuer}","aud":"${HS.audience}","sub":"user-1","exp":1e400}`;
    const unsigned = `${b64({ alg: 'HS256' })}.${Buffer.from(payload).toString('base64url')}`;
    const forever = `${unsigned}.${createHmac('sha256', HS.secret).update(unsigned).digest('base64url')}`;
    expect(await refusal(verifier, forever)).toBe("the token's 'exp' claim must be a finite number");
  });

  it('takes scope, scopes and roles as a space-separated string or an array of strings', async () => {
    const { principal } = await verifier.verify(await sign({ scope: 'events:read people:read', scopes: ['schema:read'], roles: 'organizer speaker' }));
    expect(principal).toEqual({ kind: 'user', sub: 'user-1', scopes: ['events:read', 'people:read', 'schema:read'], roles: ['organizer', 'speaker'] });
  });

  it('refuses a partner token without a client id and an unknown principal kind', async () => {
    expect(await refusal(verifier, await sign({ kind: 'partner' }))).toBe('a partner token needs a client id');
    expect(await refusal(verifier, await sign({ kind: 'anonymous' }))).toBe("unknown principal kind 'anonymous'");
  });
});

describe('RS256/ES256 tokens from a PEM key', async () => {
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const pem = await exportSPKI(rsa.publicKey);
  const cfg = loadAuthConfig({ NODE_ENV: 'test', JWT_PUBLIC_KEY_PEM: pem }).jwt;
  const verifier = createTokenVerifier(cfg);

  it('accepts a token signed with the matching private key, and still the gateway HS256 tokens', async () => {
    expect(cfg.algorithms).toEqual(['HS256', 'RS256', 'ES256']);
    expect((await verifier.verify(await sign({ sub: 'idp-user' }, rsa.privateKey, { alg: 'RS256' }))).principal.sub).toBe('idp-user');
    expect((await verifier.verify(await sign({}))).principal.sub).toBe('user-1');
  });

  it('refuses HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
    expect(await refusal(verifier, await sign({ scope: 'admin' }, enc(pem)))).toBe('the token signature does not verify');
  });

  it('refuses a token signed by another key pair, and an ES256 token against an RSA key', async () => {
    const other = await generateKeyPair('RS256');
    expect(await refusal(verifier, await sign({}, other.privateKey, { alg: 'RS256' }))).toBe('the token signature does not verify');
    const ec = await generateKeyPair('ES256');
    expect(await refusal(verifier, await sign({}, ec.privateKey, { alg: 'ES256' }))).toBe('the token algorithm does not match the configured key');
  });
});

describe('RS256 tokens from a JWKS URL', () => {
  let server: Server;
  let verifier: ReturnType<typeof createTokenVerifier>;
  let key: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    verifier = createTokenVerifier(loadAuthConfig({ NODE_ENV: 'test', JWKS_URL: url, JWT_ALGORITHMS: 'HS256,RS256' }).jwt);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('accepts a token whose kid is in the key set', async () => {
    expect((await verifier.verify(await sign({ sub: 'jwks-user' }, key, { alg: 'RS256', kid: 'k1' }))).principal.sub).toBe('jwks-user');
  });

  it('refuses a token from a key that is not in the set', async () => {
    const stranger = await generateKeyPair('RS256');
    expect(await refusal(verifier, await sign({}, stranger.privateKey, { alg: 'RS256', kid: 'k9' }))).toBe('no known key matches the token');
  });
});

describe('auth config', () => {
  it('refuses the development secret, or none, in production', () => {
    expect(() => loadAuthConfig({ NODE_ENV: 'production', INTERNAL_SECRET: 'x'.repeat(40) })).toThrow(ConfigError);
    expect(() => loadAuthConfig({ NODE_ENV: 'production', INTERNAL_SECRET: 'x'.repeat(40), JWT_SECRET: DEV_JWT_SECRET })).toThrow(/non-default/);
    const prod = loadAuthConfig({ NODE_ENV: 'production', INTERNAL_SECRET: 'x'.repeat(40), JWT_SECRET: 'p'.repeat(40) });
    expect(prod.introspection).toBe('scoped');
    expect(loadAuthConfig({ NODE_ENV: 'development' }).introspection).toBe('on');
  });

  it('validates algorithms, tier overrides and the API key cache bound', () => {
    expect(() => loadAuthConfig({ JWT_ALGORITHMS: 'none' })).toThrow(/JWT_ALGORITHMS/);
    expect(() => loadAuthConfig({ JWT_ALGORITHMS: 'RS256' })).toThrow(/HS256/);
    expect(() => loadAuthConfig({ JWT_ALGORITHMS: 'HS256,RS256' })).toThrow(/JWKS_URL/);
    expect(loadAuthConfig({ RATE_LIMIT_PARTNER: '600/150/40' }).tiers.partner).toEqual({ perMinute: 600, burst: 150, concurrency: 40 });
    expect(() => loadAuthConfig({ RATE_LIMIT_USER: '60/20' })).toThrow(/RATE_LIMIT_USER/);
    expect(() => loadAuthConfig({ API_KEY_CACHE_TTL_MS: '120000' })).toThrow(/API_KEY_CACHE_TTL_MS/);
    expect(loadAuthConfig({ API_KEY_CACHE_MAX_ENTRIES: '500', USER_STATUS_CACHE_MAX_ENTRIES: '2000' })).toMatchObject({ apiKeyCacheMaxEntries: 500, userStatusCacheMaxEntries: 2000 });
    expect(() => loadAuthConfig({ USER_STATUS_CACHE_MAX_ENTRIES: '0' })).toThrow(/USER_STATUS_CACHE_MAX_ENTRIES/);
    expect(loadAuthConfig({ AUTH_ON_DENY: 'reject' }).onDeny).toBe('reject');
  });
});

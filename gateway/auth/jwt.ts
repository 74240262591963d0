/**
 * Bearer tokens: verification of incoming JWTs and issuing of the gateway's own tokens.
 *
 * The key is chosen by algorithm, never by what the token asks for: HS256 tokens are checked only
 * against the configured secret, RS256/ES256 tokens only against the identity provider's public keys
 * (JWKS or PEM). So a token HMAC-signed with the public key is refused, `alg: none` is refused, and
 * exp, nbf, iss and aud are checked with a small clock skew.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, createRemoteJWKSet, decodeProtectedHeader, errors as joseErrors, importSPKI, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type CryptoKey } from 'jose';
import { GraphQLError } from 'graphql';
import { appError } from '../../platform/errors.js';
import type { Principal, PrincipalKind } from '../../platform/principal.js';
import { isScope } from '../shield/scopes.js';
import type { JwtConfig } from './config.js';

/** A verified caller and when its credential stops being valid (ms since epoch; null = never). */
export interface Authenticated {
  principal: Principal;
  expiresAt: number | null;
  /**
   * Partners: the user who owns the client, also when its scopes were admin-granted and the
   * principal carries no `ownerId`. The credential stops counting once that user is erased.
   */
  clientOwnerId?: string;
}

/** Verifies bearer tokens. */
export interface TokenVerifier {
  /** Verifies a compact JWT; throws UNAUTHENTICATED with the reason in `details`. */
  verify(token: string): Promise<Authenticated>;
}

/** What the gateway puts into the tokens it issues. */
export interface TokenClaims {
  sub: string;
  kind?: Exclude<PrincipalKind, 'anonymous'>;
  scopes: readonly string[];
  roles?: readonly string[];
  clientId?: string;
  /** Partners: the user who owns the client (claim `oid`). */
  ownerId?: string;
  /** Partners: an admin granted the scopes, so they reach every object (claim `global`). */
  global?: boolean;
}

function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

function invalid(details: string): GraphQLError {
  return appError('UNAUTHENTICATED', 'The access token is not valid', { details });
}

/** Maps jose's failures onto a reason the caller can act on. */
function reasonOf(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.reason !== 'check_failed') return `the token's '${err.claim}' claim is missing or invalid`;
    if (err.claim === 'nbf') return 'the token is not valid yet';
    if (err.claim === 'iss') return 'the token was issued by an unknown issuer';
    if (err.claim === 'aud') return 'the token is meant for another audience';
    return `the token's '${err.claim}' claim is missing or invalid`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token algorithm is not allowed';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no known key matches the token';
  if (err instanceof joseErrors.JOSEError) return 'the token is malformed';
  return 'the token could not be verified';
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** The claims a principal is built from, with the JSON type each must have when present. */
const CLAIM_TYPES = {
  sub: 'string',
  kind: 'string',
  client_id: 'string',
  cid: 'string',
  oid: 'string',
  scope: 'list',
  scopes: 'list',
  roles: 'list',
  global: 'boolean',
  exp: 'number',
  nbf: 'number',
  iat: 'number',
} as const;

const TYPE_NAMES = { string: 'a non-empty string', list: 'a string or an array of strings', boolean: 'true or false', number: 'a finite number' } as const;

function hasType(value: unknown, type: keyof typeof TYPE_NAMES): boolean {
  if (type === 'string') return typeof value === 'string' && value !== '';
  if (type === 'list') return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
  if (type === 'boolean') return typeof value === 'boolean';
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Refuses a signed token whose claims do not have their documented types (e.g. `sub` an object,
 * `scope` a number), rather than failing later or silently granting less.
 */
function checkClaimTypes(payload: JWTPayload): void {
  for (const [claim, type] of Object.entries(CLAIM_TYPES)) {
    const value = payload[claim];
    if (value !== undefined && !hasType(value, type)) throw invalid(`the token's '${claim}' claim must be ${TYPE_NAMES[type]}`);
  }
}

/** Turns verified claims into the principal; unknown scopes are dropped, claims of the wrong type refused. */
function principalFromClaims(payload: JWTPayload): Principal {
  checkClaimTypes(payload);
  const kindClaim = payload.kind ?? 'user';
  if (kindClaim !== 'user' && kindClaim !== 'partner' && kindClaim !== 'internal') throw invalid(`unknown principal kind '${typeof kindClaim === 'string' ? kindClaim : JSON.stringify(kindClaim)}'`);
  if (!payload.sub) throw invalid("the token has no 'sub' claim");
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.cid === 'string' ? payload.cid : undefined;
  if (kindClaim === 'partner' && !clientId) throw invalid('a partner token needs a client id');
  const scopes = [...new Set([...stringList(payload.scope), ...stringList(payload.scopes)])].filter(isScope);
  // A partner acts for its owner unless an admin granted its scopes.
  const ownerId = kindClaim === 'partner' && typeof payload.oid === 'string' && payload.global !== true ? payload.oid : undefined;
  return { kind: kindClaim, sub: payload.sub, scopes, roles: stringList(payload.roles), ...(clientId ? { clientId } : {}), ...(ownerId ? { ownerId } : {}) };
}

/** Creates the verifier for the configured algorithms and keys. */
export function createTokenVerifier(cfg: JwtConfig): TokenVerifier {
  const hmac = secretKey(cfg.secret);
  const asymmetric = cfg.algorithms.filter((a) => a !== 'HS256');
  const jwks: JWTVerifyGetKey | undefined = cfg.jwksUrl ? createRemoteJWKSet(new URL(cfg.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 }) : undefined;
  const pemKeys = new Map<string, Promise<CryptoKey>>();
  const pemKey = (alg: string): Promise<CryptoKey> => {
    let key = pemKeys.get(alg);
    if (!key) {
      key = importSPKI(cfg.publicKeyPem as string, alg).catch(() => {
        throw invalid('the token algorithm does not match the configured key');
      });
      pemKeys.set(alg, key);
    }
    return key;
  };
  const claimChecks = { issuer: cfg.issuer, audience: cfg.audience, clockTolerance: cfg.clockSkewSeconds, requiredClaims: ['exp', 'sub'] };

  async function verifySignature(token: string, alg: string): Promise<JWTPayload> {
    if (alg === 'HS256') return (await jwtVerify(token, hmac, { ...claimChecks, algorithms: ['HS256'] })).payload;
    if (jwks) return (await jwtVerify(token, jwks, { ...claimChecks, algorithms: asymmetric })).payload;
    return (await jwtVerify(token, await pemKey(alg), { ...claimChecks, algorithms: [alg] })).payload;
  }

  return {
    async verify(token) {
      let alg: string | undefined;
      try {
        alg = decodeProtectedHeader(token).alg;
      } catch {
        throw invalid('the token is malformed');
      }
      if (!alg || !(cfg.algorithms as string[]).includes(alg)) throw invalid(`the token algorithm '${alg ?? 'missing'}' is not allowed`);
      let payload: JWTPayload;
      try {
        payload = await verifySignature(token, alg);
      } catch (err) {
        throw err instanceof GraphQLError ? err : invalid(reasonOf(err));
      }
      const principal = principalFromClaims(payload);
      const clientOwnerId = principal.kind === 'partner' && typeof payload.oid === 'string' ? payload.oid : undefined;
      return { principal, expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null, ...(clientOwnerId ? { clientOwnerId } : {}) };
    },
  };
}

/** Signs a gateway token (HS256) and returns it with its expiry (ms since epoch). */
export async function issueToken(cfg: JwtConfig, claims: TokenClaims, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    kind: claims.kind ?? 'user',
    scope: claims.scopes.join(' '),
    roles: [...(claims.roles ?? [])],
    ...(claims.clientId ? { client_id: claims.clientId } : {}),
    ...(claims.ownerId ? { oid: claims.ownerId } : {}),
    ...(claims.global ? { global: true } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(cfg.issuer)
    .setAudience(cfg.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .setJti(randomUUID())
    .sign(secretKey(cfg.secret));
  return { token, expiresAt: (now + ttlSeconds) * 1000 };
}

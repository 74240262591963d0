/**
 * The verified caller, as the gateway hands it to subgraphs. The gateway signs it (HS256 with the
 * internal secret shared by gateway and subgraphs) into the `x-principal` header; subgraphs verify
 * it and trust nothing unsigned.
 */
import { SignJWT, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';

export type PrincipalKind = 'anonymous' | 'user' | 'partner' | 'internal';

export interface Principal {
  kind: PrincipalKind;
  /** User id (ObjectId hex) for users; client id for partners; service name for internal. */
  sub: string | null;
  scopes: string[];
  roles: string[];
  clientId?: string;
  /**
   * Partners only: the user on whose behalf the client acts. Object rules treat such a partner as
   * that user (an organizer's key reaches that organizer's events only). Absent when an admin
   * granted the client its scopes: its scopes then reach every object, like any scope holder.
   */
  ownerId?: string;
}

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', sub: null, scopes: [], roles: [] });

export const PRINCIPAL_HEADER = 'x-principal';
const AUDIENCE = 'eventgraph-subgraphs';
const ISSUER = 'eventgraph-gateway';
const CLOCK_TOLERANCE_S = 5;
/** Default number of principals (signer) or tokens (verifier) one cache keeps. */
const DEFAULT_PRINCIPAL_CACHE_ENTRIES = 10_000;

function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** The cache clock: wall time, like the `iat`/`exp` claims it is compared with. */
const wallClock = { now: () => Date.now() };

function sign(p: Principal, key: Uint8Array, ttlSeconds: number): Promise<string> {
  return new SignJWT({ kind: p.kind, scopes: p.scopes, roles: p.roles, ...(p.clientId ? { cid: p.clientId } : {}), ...(p.ownerId ? { oid: p.ownerId } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(p.sub ?? '')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key);
}

/**
 * Signs a principal for one hop gateway → subgraph (short-lived), without caching: for one-off
 * signatures. Servers sign through a `createPrincipalSigner` of their own.
 */
export function signPrincipal(p: Principal, secret: string, ttlSeconds = 300): Promise<string> {
  return sign(p, secretKey(secret), ttlSeconds);
}

export interface PrincipalSignerOptions {
  /** The internal secret shared by gateway and subgraphs. */
  secret: string;
  /** Lifetime of each signature. Default 300 s. */
  ttlSeconds?: number;
  /** Principals whose signature is kept (least recently used go first). Default 10 000. */
  maxEntries?: number;
}

/** Signs principals with one secret; one per server. */
export interface PrincipalSigner {
  /** The signed `x-principal` value for `p`. */
  sign(p: Principal): Promise<string>;
  /** Signatures held (for metrics and tests). */
  readonly size: number;
}

/**
 * Creates a signer. Every request a gateway sends carries a principal, so a signature is reused
 * for the same principal for a fifth of its lifetime (60 s of 300 s); a failed signature is
 * forgotten at once.
 */
export function createPrincipalSigner(opts: PrincipalSignerOptions): PrincipalSigner {
  const { secret, ttlSeconds = 300, maxEntries = DEFAULT_PRINCIPAL_CACHE_ENTRIES } = opts;
  const key = secretKey(secret);
  const signatures = new LRUCache<string, Promise<string>>({ max: maxEntries, ttl: (ttlSeconds * 1000) / 5, perf: wallClock, ttlResolution: 0 });
  return {
    sign(p) {
      const cacheKey = JSON.stringify([p.kind, p.sub, p.scopes, p.roles, p.clientId ?? null, p.ownerId ?? null]);
      const cached = signatures.get(cacheKey);
      if (cached) return cached;
      const token = sign(p, key, ttlSeconds);
      signatures.set(cacheKey, token);
      token.catch(() => {
        if (signatures.peek(cacheKey) === token) signatures.delete(cacheKey);
      });
      return token;
    },
    get size() {
      return signatures.size;
    },
  };
}

/** Thrown when a principal header is present but not valid. */
export class InvalidPrincipalError extends Error {}

async function verifyToken(header: unknown, key: Uint8Array): Promise<{ principal: Principal; exp?: number }> {
  if (typeof header !== 'string') throw new InvalidPrincipalError('principal header must be a string');
  try {
    const { payload } = await jwtVerify(header, key, { algorithms: ['HS256'], audience: AUDIENCE, issuer: ISSUER, clockTolerance: CLOCK_TOLERANCE_S });
    const kind = payload.kind;
    if (kind !== 'anonymous' && kind !== 'user' && kind !== 'partner' && kind !== 'internal') throw new Error('bad kind');
    const scopes = Array.isArray(payload.scopes) ? payload.scopes.filter((s): s is string => typeof s === 'string') : [];
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((s): s is string => typeof s === 'string') : [];
    const principal: Principal = { kind, sub: payload.sub ? String(payload.sub) : null, scopes, roles, ...(typeof payload.cid === 'string' ? { clientId: payload.cid } : {}), ...(typeof payload.oid === 'string' ? { ownerId: payload.oid } : {}) };
    return { principal, exp: payload.exp };
  } catch (err) {
    throw new InvalidPrincipalError(err instanceof Error ? err.message : 'invalid principal');
  }
}

const isAbsent = (header: unknown) => header === undefined || header === null || header === '';

/**
 * Verifies an `x-principal` value without caching (for one-off checks; servers verify through a
 * `createPrincipalVerifier` of their own). A missing header is the anonymous caller; a present
 * but invalid one (unsigned, forged, expired) throws InvalidPrincipalError.
 */
export async function verifyPrincipal(header: unknown, secret: string): Promise<Principal> {
  if (isAbsent(header)) return ANONYMOUS;
  return (await verifyToken(header, secretKey(secret))).principal;
}

export interface PrincipalVerifierOptions {
  /** The internal secret shared by gateway and subgraphs. */
  secret: string;
  /** Verified tokens kept (least recently used go first). Default 10 000. */
  maxEntries?: number;
}

/** Verifies principals signed with one secret; one per server. */
export interface PrincipalVerifier {
  /**
   * The principal an `x-principal` value carries: anonymous when absent; throws
   * InvalidPrincipalError when present but not valid (unsigned, forged, expired).
   */
  verify(header: unknown): Promise<Principal>;
  /** Verified tokens held (for metrics and tests). */
  readonly size: number;
}

/**
 * Creates a verifier. A token verified before is the same bytes under the same secret, so it is
 * answered from the cache until it expires; only verified tokens are kept, and every answer is a
 * copy the caller may change.
 */
export function createPrincipalVerifier(opts: PrincipalVerifierOptions): PrincipalVerifier {
  const { secret, maxEntries = DEFAULT_PRINCIPAL_CACHE_ENTRIES } = opts;
  const key = secretKey(secret);
  const verified = new LRUCache<string, Principal>({ max: maxEntries, perf: wallClock, ttlResolution: 0 });
  return {
    async verify(header) {
      if (isAbsent(header)) return ANONYMOUS;
      if (typeof header === 'string') {
        const hit = verified.get(header);
        if (hit) return copyOf(hit);
      }
      const { principal, exp } = await verifyToken(header, key);
      const ttl = typeof exp === 'number' ? (exp + CLOCK_TOLERANCE_S) * 1000 - Date.now() : 0;
      if (ttl > 0) verified.set(header as string, copyOf(principal), { ttl });
      return principal;
    },
    get size() {
      return verified.size;
    },
  };
}

const copyOf = (p: Principal): Principal => ({ ...p, scopes: [...p.scopes], roles: [...p.roles] });

/** True when the principal holds the scope, or `admin`. */
export function hasScope(p: Principal, scope: string): boolean {
  return p.scopes.includes(scope) || p.scopes.includes('admin') || p.roles.includes('admin');
}

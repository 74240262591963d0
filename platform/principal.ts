/**
 * The verified caller, as the gateway hands it to subgraphs. The gateway signs it (HS256 with the
 * internal secret shared by gateway and subgraphs) into the `x-principal` header; subgraphs verify
 * it and trust nothing unsigned.
 */
import { SignJWT, jwtVerify } from 'jose';
import { BoundedCache } from './bounded-cache.js';

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

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', sub: null, scopes: [], roles: [] }) as Principal;

export const PRINCIPAL_HEADER = 'x-principal';
const AUDIENCE = 'eventgraph-subgraphs';
const ISSUER = 'eventgraph-gateway';

function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

const CACHE_ENTRIES = 10_000;
/** Signatures made for the same principal are reused for at most a fifth of their lifetime (60 s of 300 s). */
const signatures = new BoundedCache<{ token: Promise<string>; until: number }>(CACHE_ENTRIES);
/** Tokens already verified, with what they carry and when they expire. */
const verified = new BoundedCache<{ principal: Principal; expiresAt: number }>(CACHE_ENTRIES);
const CLOCK_TOLERANCE_S = 5;

/**
 * Signs a principal for one hop gateway → subgraph (short-lived). Every request a gateway sends
 * carries one, so a signature is reused for the same principal for a fifth of its lifetime.
 */
export function signPrincipal(p: Principal, secret: string, ttlSeconds = 300): Promise<string> {
  const key = JSON.stringify([secret, ttlSeconds, p.kind, p.sub, p.scopes, p.roles, p.clientId ?? null, p.ownerId ?? null]);
  const now = Date.now();
  const cached = signatures.get(key);
  if (cached && cached.until > now) return cached.token;
  const token = new SignJWT({ kind: p.kind, scopes: p.scopes, roles: p.roles, ...(p.clientId ? { cid: p.clientId } : {}), ...(p.ownerId ? { oid: p.ownerId } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(p.sub ?? '')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(secretKey(secret));
  signatures.set(key, { token, until: now + (ttlSeconds * 1000) / 5 });
  token.catch(() => signatures.delete(key));
  return token;
}

/** Thrown when a principal header is present but not valid. */
export class InvalidPrincipalError extends Error {}

/**
 * Verifies the `x-principal` header. A missing header is the anonymous caller; a present but
 * invalid one (unsigned, forged, expired) throws InvalidPrincipalError.
 */
export async function verifyPrincipal(header: unknown, secret: string): Promise<Principal> {
  if (header === undefined || header === null || header === '') return ANONYMOUS;
  if (typeof header !== 'string') throw new InvalidPrincipalError('principal header must be a string');
  // A token verified before is the same bytes under the same secret: only its expiry can change.
  const cacheKey = `${secret}\u0000${header}`;
  const hit = verified.get(cacheKey);
  if (hit && Date.now() <= hit.expiresAt) return copyOf(hit.principal);
  if (hit) verified.delete(cacheKey);
  try {
    const { payload } = await jwtVerify(header, secretKey(secret), { algorithms: ['HS256'], audience: AUDIENCE, issuer: ISSUER, clockTolerance: CLOCK_TOLERANCE_S });
    const kind = payload.kind;
    if (kind !== 'anonymous' && kind !== 'user' && kind !== 'partner' && kind !== 'internal') throw new Error('bad kind');
    const scopes = Array.isArray(payload.scopes) ? payload.scopes.filter((s): s is string => typeof s === 'string') : [];
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((s): s is string => typeof s === 'string') : [];
    const principal: Principal = { kind, sub: payload.sub ? String(payload.sub) : null, scopes, roles, ...(typeof payload.cid === 'string' ? { clientId: payload.cid } : {}), ...(typeof payload.oid === 'string' ? { ownerId: payload.oid } : {}) };
    if (typeof payload.exp === 'number') verified.set(cacheKey, { principal: copyOf(principal), expiresAt: (payload.exp + CLOCK_TOLERANCE_S) * 1000 });
    return principal;
  } catch (err) {
    throw new InvalidPrincipalError(err instanceof Error ? err.message : 'invalid principal');
  }
}

const copyOf = (p: Principal): Principal => ({ ...p, scopes: [...p.scopes], roles: [...p.roles] });

/** True when the principal holds the scope, or `admin`. */
export function hasScope(p: Principal, scope: string): boolean {
  return p.scopes.includes(scope) || p.scopes.includes('admin') || p.roles.includes('admin');
}

/**
 * The verified caller, as the gateway hands it to subgraphs. The gateway signs it (HS256 with the
 * internal secret shared by gateway and subgraphs) into the `x-principal` header; subgraphs verify
 * it and trust nothing unsigned.
 */
import { SignJWT, jwtVerify } from 'jose';

export type PrincipalKind = 'anonymous' | 'user' | 'partner' | 'internal';

export interface Principal {
  kind: PrincipalKind;
  /** User id (ObjectId hex) for users; client id for partners; service name for internal. */
  sub: string | null;
  scopes: string[];
  roles: string[];
  clientId?: string;
}

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous', sub: null, scopes: [], roles: [] }) as Principal;

export const PRINCIPAL_HEADER = 'x-principal';
const AUDIENCE = 'eventgraph-subgraphs';
const ISSUER = 'eventgraph-gateway';

function key(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Signs a principal for one hop gateway → subgraph (short-lived). */
export async function signPrincipal(p: Principal, secret: string, ttlSeconds = 300): Promise<string> {
  return new SignJWT({ kind: p.kind, scopes: p.scopes, roles: p.roles, ...(p.clientId ? { cid: p.clientId } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(p.sub ?? '')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key(secret));
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
  try {
    const { payload } = await jwtVerify(header, key(secret), { algorithms: ['HS256'], audience: AUDIENCE, issuer: ISSUER, clockTolerance: 5 });
    const kind = payload.kind;
    if (kind !== 'anonymous' && kind !== 'user' && kind !== 'partner' && kind !== 'internal') throw new Error('bad kind');
    const scopes = Array.isArray(payload.scopes) ? payload.scopes.filter((s): s is string => typeof s === 'string') : [];
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((s): s is string => typeof s === 'string') : [];
    return { kind, sub: payload.sub ? String(payload.sub) : null, scopes, roles, ...(typeof payload.cid === 'string' ? { clientId: payload.cid } : {}) };
  } catch (err) {
    throw new InvalidPrincipalError(err instanceof Error ? err.message : 'invalid principal');
  }
}

/** True when the principal holds the scope, or `admin`. */
export function hasScope(p: Principal, scope: string): boolean {
  return p.scopes.includes(scope) || p.scopes.includes('admin') || p.roles.includes('admin');
}

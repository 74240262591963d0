/**
 * Authorization checks that need the caller and the object, for subgraph services. Schema-level
 * rules (`@authenticated`, `@requiresScopes`) are enforced by the gateway; services repeat the
 * essential ones because a subgraph can be reached with any validly signed principal.
 */
import { appError } from '../../platform/errors.js';
import { hasScope, type Principal } from '../../platform/principal.js';

/** Service-to-service caller (the gateway's own lookups, workers). */
export function isInternal(p: Principal): boolean {
  return p.kind === 'internal';
}

/** Administrator: the `admin` role or scope. */
export function isAdmin(p: Principal): boolean {
  return p.roles.includes('admin') || p.scopes.includes('admin');
}

/** True when the principal is the user with this id. */
export function isSelf(p: Principal, userId: string | null | undefined): boolean {
  return p.kind === 'user' && !!p.sub && !!userId && p.sub === String(userId);
}

/** Throws UNAUTHENTICATED for an anonymous caller. */
export function requireAuthenticated(p: Principal): void {
  if (p.kind === 'anonymous') throw appError('UNAUTHENTICATED');
}

/** Internal callers and holders of the scope (or admins) pass; others get FORBIDDEN. */
export function requireScope(p: Principal, scope: string): void {
  requireAuthenticated(p);
  if (!isInternal(p) && !hasScope(p, scope)) throw appError('FORBIDDEN', undefined, { details: `The '${scope}' scope is required` });
}

/** FORBIDDEN unless `allowed`; UNAUTHENTICATED first for anonymous callers. */
export function requireAllowed(p: Principal, allowed: boolean, details?: string): void {
  requireAuthenticated(p);
  if (!allowed) throw appError('FORBIDDEN', undefined, { details });
}

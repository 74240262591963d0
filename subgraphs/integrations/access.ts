/**
 * Object rules of the integrations subgraph, one named function each. Connectors, sync jobs,
 * webhook subscriptions and their deliveries belong to the platform, not to a user: whoever holds
 * `integrations:read` reads all of them, whoever holds `integrations:write` changes all of them
 * (and reports sync progress). Admins (role or scope) and internal callers (the sync worker) do
 * both. Scope rules are also declared in the SDL and enforced by the gateway; the subgraph checks
 * them again because it can be reached with any validly signed principal.
 */
import { appError } from '../../platform/errors.js';
import { hasScope, type Principal } from '../../platform/principal.js';
import { isInternal, requireAuthenticated } from '../kit/authz.js';

const READ = 'integrations:read';
const WRITE = 'integrations:write';

/** Reading connectors, sync jobs (and their live progress), webhook subscriptions and deliveries. */
export function canReadIntegrations(p: Principal): boolean {
  return p.kind !== 'anonymous' && (isInternal(p) || hasScope(p, READ));
}

/** UNAUTHENTICATED for anonymous callers, FORBIDDEN for others unless they may read integrations. */
export function requireReadIntegrations(p: Principal): void {
  requireAuthenticated(p);
  if (!canReadIntegrations(p)) throw appError('FORBIDDEN', undefined, { details: `The '${READ}' scope is required` });
}

/** Creating, changing and deleting connectors and webhook subscriptions; starting, cancelling and reporting sync jobs. */
export function canWriteIntegrations(p: Principal): boolean {
  return p.kind !== 'anonymous' && (isInternal(p) || hasScope(p, WRITE));
}

/** UNAUTHENTICATED for anonymous callers, FORBIDDEN for others unless they may change integrations. */
export function requireWriteIntegrations(p: Principal): void {
  requireAuthenticated(p);
  if (!canWriteIntegrations(p)) throw appError('FORBIDDEN', undefined, { details: `The '${WRITE}' scope is required` });
}

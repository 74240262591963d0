/**
 * The dedup key of a subscription. Two client subscriptions share one upstream subscription and one
 * plan execution per event only when they would receive byte-identical payloads with the same
 * rights: same normalised operation, same coerced variables, and the same principal.
 *
 * "Same principal" is deliberately strict: kind, subject, partner client id, scopes and roles.
 * Subgraphs apply object rules (a user sees only their own registrations, an attendee's email is
 * visible to themselves and the event's organizers) with the principal the gateway signs for the
 * upstream subscription and for every per-event fetch; sharing across subjects would hand one
 * caller's view to another, and would skip the subgraph's subscribe-time check for every joiner.
 * Anonymous callers all share one key; so do the many screens of one account.
 */
import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';
import type { Principal } from '../../platform/principal.js';

const stableStringify = configure({ deterministic: true });

/** JSON with object keys sorted at every level, so equal values give equal text. */
function canonicalJson(value: unknown): string {
  return stableStringify(value) ?? 'null';
}

/** The rights part of the key: everything in the principal that a subgraph may decide on. */
function rightsKey(p: Principal): string {
  return canonicalJson({
    kind: p.kind,
    sub: p.sub ?? null,
    clientId: p.clientId ?? null,
    scopes: [...new Set(p.scopes)].sort(),
    roles: [...new Set(p.roles)].sort(),
  });
}

/** The dedup key: sha256 over normalised operation text, operation name, variables and rights. */
export function subscriptionKey(normalisedOperation: string, operationName: string | undefined, variables: Record<string, unknown>, principal: Principal): string {
  return createHash('sha256')
    .update(normalisedOperation)
    .update('\u0000')
    .update(operationName ?? '')
    .update('\u0000')
    .update(canonicalJson(variables))
    .update('\u0000')
    .update(rightsKey(principal))
    .digest('base64url');
}

/**
 * Object rules of the payments subgraph, one named function each. A user reads their own payments;
 * `payments:read`, `payments:write` and `payments:refund` held by a user or an admin-granted partner
 * reach every payment. An owner-bound partner (an API client with `ownerId`) acts as its owner: its
 * payment scopes reach only payments whose attendee is its owner. Admins and internal callers reach
 * everything.
 */
import type { Types } from 'mongoose';
import { appError } from '../../platform/errors.js';
import { isAdmin, isInternal, requireAllowed, requireAuthenticated } from '../kit/authz.js';
import { hasScope, type Principal } from '../../platform/principal.js';
import type { PaymentDoc } from './models.js';

const OBJECT_ID_RE = /^[0-9a-f]{24}$/i;

/** The user whose payments the caller acts on: a user's own id, or an owner-bound partner's owner. */
function actorId(p: Principal): string | null {
  const id = p.kind === 'user' ? p.sub : p.kind === 'partner' ? p.ownerId : null;
  return id && OBJECT_ID_RE.test(id) ? id.toLowerCase() : null;
}

/** A partner acting for the user who created it. */
function isOwnerBound(p: Principal): boolean {
  return p.kind === 'partner' && !!p.ownerId;
}

/** `scope` reaches every payment: held by a user or an admin-granted partner; admins, internal callers. */
function reachesEveryPayment(p: Principal, scope: string): boolean {
  return isAdmin(p) || isInternal(p) || (hasScope(p, scope) && !isOwnerBound(p));
}

/** The caller acts for the attendee: the attendee themself, or a partner bound to them holding `scope`. */
function actsForAttendee(p: Principal, attendeeId: string | Types.ObjectId | null | undefined, scope: string): boolean {
  const me = actorId(p);
  if (!me || !attendeeId || (typeof attendeeId === 'string' ? attendeeId : attendeeId.toHexString()).toLowerCase() !== me) return false;
  return p.kind === 'user' || hasScope(p, scope);
}

/** The scopes of the payments subgraph. */
export type PaymentScope = 'payments:read' | 'payments:write' | 'payments:refund';

/**
 * Reading, changing or refunding payments at all: holders of the scope (owner-bound partners
 * included), admins, internal callers. Checked before any payment is looked up; which payments the
 * caller reaches is decided by the rules below.
 */
export function canUsePaymentScope(p: Principal, scope: PaymentScope): boolean {
  return p.kind !== 'anonymous' && (isInternal(p) || hasScope(p, scope));
}

/** UNAUTHENTICATED for anonymous callers; FORBIDDEN unless the caller holds `scope`. */
export function requirePaymentScope(p: Principal, scope: PaymentScope): void {
  requireAuthenticated(p);
  if (!canUsePaymentScope(p, scope)) throw appError('FORBIDDEN', undefined, { details: `The '${scope}' scope is required` });
}

/** May read the payment: its attendee, payments:read grants, admins, internal callers. */
export function canReadPayment(p: Principal, payment: Pick<PaymentDoc, 'attendeeId'>): boolean {
  return reachesEveryPayment(p, 'payments:read') || actsForAttendee(p, payment.attendeeId, 'payments:read');
}

/** FORBIDDEN unless the caller may read the payment. */
export function requireReadPayment(p: Principal, payment: PaymentDoc): PaymentDoc {
  requireAllowed(p, canReadPayment(p, payment), 'Only the attendee, payments:read holders and admins may read this payment');
  return payment;
}

/**
 * Which payments the `payments` list shows the caller: all of them (`{}`), those of one attendee
 * (an owner-bound partner with payments:read sees its owner's), or none (null: FORBIDDEN).
 */
export function paymentListScope(p: Principal): Record<string, string> | null {
  if (reachesEveryPayment(p, 'payments:read')) return {};
  const owner = isOwnerBound(p) && hasScope(p, 'payments:read') ? actorId(p) : null;
  return owner ? { attendeeId: owner } : null;
}

/** The `payments` list filter for the caller; FORBIDDEN (UNAUTHENTICATED for anonymous callers) when it sees none. */
export function requirePaymentListScope(p: Principal): Record<string, string> {
  const scope = paymentListScope(p);
  requireAllowed(p, scope !== null, "The 'payments:read' scope is required");
  return scope ?? {};
}

/**
 * Creating or changing a payment of `attendeeId` with `scope` (payments:write, payments:refund): a
 * holder of the scope reaching every payment, or a partner bound to the attendee holding it.
 */
export function canChangePayment(p: Principal, attendeeId: string | Types.ObjectId | null | undefined, scope: string): boolean {
  if (isAdmin(p) || isInternal(p)) return true;
  if (!hasScope(p, scope)) return false;
  return !isOwnerBound(p) || actsForAttendee(p, attendeeId, scope);
}

/** FORBIDDEN unless the caller may create or change the attendee's payment with `scope`. */
export function requireChangePayment(p: Principal, attendeeId: string | Types.ObjectId | null | undefined, scope: string): void {
  requireAllowed(p, canChangePayment(p, attendeeId, scope), `The '${scope}' scope is required, over this attendee's payments`);
}

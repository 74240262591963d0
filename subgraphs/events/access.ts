/**
 * Object-level rules of the events subgraph: who sees drafts, who changes an event, who reads
 * registrations. Scope rules are declared in the SDL and enforced by the gateway; the checks that
 * need the object (its organizer, its attendee) live here.
 */
import { appError } from '../kit/errors.js';
import { isAdmin, isInternal, isSelf, requireAllowed, requireScope } from '../kit/authz.js';
import { hasScope, type Principal } from '../kit/principal.js';
import type { EventDoc, RegistrationDoc } from './models.js';

type EventLike = Pick<EventDoc, 'status' | 'organizerId'>;

/** The organizer of the event, or an admin. */
export function canManageEvent(p: Principal, ev: Pick<EventDoc, 'organizerId'>): boolean {
  return isAdmin(p) || isSelf(p, String(ev.organizerId));
}

/** Drafts are visible to their organizer, holders of events:write and admins; the rest is public. */
export function canSeeEvent(p: Principal, ev: EventLike): boolean {
  return ev.status !== 'DRAFT' || canManageEvent(p, ev) || hasScope(p, 'events:write') || isInternal(p);
}

/** True when the caller may see every draft (events:write holders, admins, internal callers). */
export function seesAllDrafts(p: Principal): boolean {
  return hasScope(p, 'events:write') || isInternal(p);
}

/** Changing an event, its sessions and its schedule: events:write plus organizer or admin. */
export function requireManageEvent(p: Principal, ev: Pick<EventDoc, 'organizerId'>): void {
  requireScope(p, 'events:write');
  requireAllowed(p, canManageEvent(p, ev) || isInternal(p), 'Only the organizer of this event or an admin can change it');
}

/** Reading an event's registrations: registrations:read, its organizer, or an admin. */
export function canReadRegistrations(p: Principal, ev: Pick<EventDoc, 'organizerId'>): boolean {
  return hasScope(p, 'registrations:read') || canManageEvent(p, ev) || isInternal(p);
}

/** Acting on registrations of other attendees: registrations:write, the organizer, or an admin. */
export function canWriteRegistrations(p: Principal, ev: Pick<EventDoc, 'organizerId'>): boolean {
  return hasScope(p, 'registrations:write') || canManageEvent(p, ev) || isInternal(p);
}

/** A registration is visible to its attendee and to whoever may read the event's registrations. */
export function canSeeRegistration(p: Principal, reg: Pick<RegistrationDoc, 'attendeeId'>, ev: Pick<EventDoc, 'organizerId'>): boolean {
  return isSelf(p, String(reg.attendeeId)) || canReadRegistrations(p, ev);
}

/** FORBIDDEN unless the caller may read the event's registrations. */
export function requireReadRegistrations(p: Principal, ev: Pick<EventDoc, 'organizerId'>): void {
  requireAllowed(p, canReadRegistrations(p, ev), "Only the organizer, holders of the 'registrations:read' scope and admins can read the registrations of this event");
}

/** The caller's own user id, when the caller is a user. */
export function userIdOf(p: Principal): string | null {
  return p.kind === 'user' && p.sub && /^[0-9a-f]{24}$/i.test(p.sub) ? p.sub.toLowerCase() : null;
}

/** INVALID_STATE_TRANSITION with the spec's shape. */
export function invalidTransition(details: string, target?: string): Error {
  return appError('INVALID_STATE_TRANSITION', undefined, { details, target });
}

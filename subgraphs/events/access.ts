/**
 * Object rules of the events subgraph: who sees drafts, who changes an event, who reads, makes and
 * changes registrations, who checks attendees in and watches the check-ins. Scope rules are
 * declared in the SDL and enforced by the gateway; the checks that need the object (its organizer,
 * its check-in staff, its attendee) live here, one named function each, and services call them.
 *
 * Who the caller is, for these rules:
 * - a user acts as themself;
 * - an owner-bound partner (an API client with `ownerId`) acts as its owner, and only within its
 *   scopes: it needs the scope naming the action (`registrations:read` to read its owner's attendee
 *   lists, `checkins:write` to check in, …) even where its owner needs none;
 * - an admin-granted partner (no `ownerId`) holds global scopes: each reaches every event;
 * - admins (role or scope) and internal callers reach everything.
 *
 * `checkins:write` and `registrations:write` are never global for users: they let the event's
 * organizer (and, for check-ins, its check-in staff) act on that event only. `registrations:read`
 * held by a user is a read grant over every event.
 */
import { Types } from 'mongoose';
import { appError } from '../../platform/errors.js';
import { isAdmin, isInternal, requireAllowed, requireAuthenticated, requireScope } from '../kit/authz.js';
import { hasScope, type Principal } from '../../platform/principal.js';
import type { EventDoc, RegistrationDoc } from './models.js';

type Organized = Pick<EventDoc, 'organizerId'>;
type Staffed = Pick<EventDoc, 'organizerId' | 'checkInStaffIds'>;
type Attended = Pick<RegistrationDoc, 'attendeeId'>;

const OBJECT_ID_RE = /^[0-9a-f]{24}$/i;

/** The user whose objects the caller acts on: a user's own id, or an owner-bound partner's owner. */
export function actorId(p: Principal): string | null {
  const id = p.kind === 'user' ? p.sub : p.kind === 'partner' ? p.ownerId : null;
  return id && OBJECT_ID_RE.test(id) ? id.toLowerCase() : null;
}

/** The caller's own user id, when the caller is a user (not a partner acting for one). */
export function userIdOf(p: Principal): string | null {
  return p.kind === 'user' ? actorId(p) : null;
}

/** A partner acting for the user who created it. */
function isOwnerBound(p: Principal): boolean {
  return p.kind === 'partner' && !!p.ownerId;
}

/**
 * The caller acts for `userId` in an action named by `scope`: the user themself, or a partner bound
 * to that user holding the scope.
 */
export function actsFor(p: Principal, userId: string | Types.ObjectId | null | undefined, scope: string): boolean {
  const me = actorId(p);
  if (!me || !userId || me !== (typeof userId === 'string' ? userId : userId.toHexString()).toLowerCase()) return false;
  return p.kind === 'user' || hasScope(p, scope);
}

/** A power that reaches every event: admins, internal callers, admin-granted partners holding `scope`. */
function grantsEverywhere(p: Principal, scope: string): boolean {
  return isAdmin(p) || isInternal(p) || (p.kind === 'partner' && !p.ownerId && hasScope(p, scope));
}

/** A read grant over every event: `scope` held by a user or an admin-granted partner; admins, internal callers. */
function readsEverywhere(p: Principal, scope: string): boolean {
  return isAdmin(p) || isInternal(p) || (hasScope(p, scope) && !isOwnerBound(p));
}

/** The caller is (or acts for) the event's organizer. */
function isOrganizer(p: Principal, ev: Organized): boolean {
  const me = actorId(p);
  return !!me && me === String(ev.organizerId).toLowerCase();
}

/** The caller is (or acts for) one of the event's check-in staff. */
function isCheckInStaff(p: Principal, ev: Pick<EventDoc, 'checkInStaffIds'>): boolean {
  const me = actorId(p);
  return !!me && (ev.checkInStaffIds ?? []).some((id) => String(id).toLowerCase() === me);
}

/** The organizer of the event, admins, internal callers, admin-granted partners with events:write. */
export function canManageEvent(p: Principal, ev: Organized): boolean {
  return isOrganizer(p, ev) || grantsEverywhere(p, 'events:write');
}

/** Drafts are visible to whoever may manage them; the rest is public. */
export function canSeeEvent(p: Principal, ev: Pick<EventDoc, 'status' | 'organizerId'>): boolean {
  return ev.status !== 'DRAFT' || canManageEvent(p, ev);
}

/** True when the caller may see every draft (admins, internal callers, admin-granted partners with events:write). */
function seesAllDrafts(p: Principal): boolean {
  return grantsEverywhere(p, 'events:write');
}

/**
 * The condition `canSeeEvent` puts on a list of events, as a query filter: none (null) for callers
 * who see every draft; published and cancelled events, and the drafts the caller (or its owner)
 * organizes, for everyone else.
 */
export function visibleEventsFilter(p: Principal): Record<string, unknown> | null {
  if (seesAllDrafts(p)) return null;
  const me = actorId(p);
  const visible = { status: { $in: ['PUBLISHED', 'CANCELLED'] } };
  return me ? { $or: [visible, { organizerId: new Types.ObjectId(me) }] } : visible;
}

/** Creating events at all: events:write holders, admins, internal callers (for whom is canOrganizeFor). */
export function canCreateEvents(p: Principal): boolean {
  return p.kind !== 'anonymous' && (isInternal(p) || hasScope(p, 'events:write'));
}

/** UNAUTHENTICATED for anonymous callers; FORBIDDEN unless the caller may create events. */
export function requireCreateEvents(p: Principal): void {
  requireAuthenticated(p);
  if (!canCreateEvents(p)) throw appError('FORBIDDEN', undefined, { details: "The 'events:write' scope is required" });
}

/** Changing an event, its sessions, its schedule and its check-in staff: events:write plus the rule above. */
export function requireManageEvent(p: Principal, ev: Organized): void {
  requireScope(p, 'events:write');
  requireAllowed(p, canManageEvent(p, ev), 'Only the organizer of this event or an admin can change it');
}

/** Creating an event organized by `organizerId`: the caller for themself, or a global events:write power. */
export function canOrganizeFor(p: Principal, organizerId: string): boolean {
  return actsFor(p, organizerId, 'events:write') || grantsEverywhere(p, 'events:write');
}

/** FORBIDDEN (at `input.organizerId`) unless the caller may create an event organized by `organizerId`. */
export function requireOrganizeFor(p: Principal, organizerId: string): void {
  if (!canOrganizeFor(p, organizerId)) throw appError('FORBIDDEN', undefined, { details: 'Only admins can create events for another organizer', target: 'input.organizerId' });
}

/** FORBIDDEN (at `input.parentId`) unless the caller may add sub-events to the series: whoever may manage it. */
export function requireAddSubEvent(p: Principal, series: Organized): void {
  if (!canManageEvent(p, series)) throw appError('FORBIDDEN', undefined, { details: 'Only the organizer of the series can add sub-events', target: 'input.parentId' });
}

/**
 * Reading an event's registrations: its organizer, registrations:read read grants, admins. A partner
 * acting for the organizer reads them with `registrations:read` or `registrations:write` (what it may
 * change it may read): organizers hold no `registrations:read` of their own, so they can grant their
 * keys only the write scope.
 */
export function canReadRegistrations(p: Principal, ev: Organized): boolean {
  return actsFor(p, ev.organizerId, 'registrations:read') || actsFor(p, ev.organizerId, 'registrations:write') || readsEverywhere(p, 'registrations:read');
}

/** FORBIDDEN unless the caller may read the event's registrations. */
export function requireReadRegistrations(p: Principal, ev: Organized): void {
  requireAllowed(p, canReadRegistrations(p, ev), "Only the organizer, holders of the 'registrations:read' scope and admins can read the registrations of this event");
}

/** A registration is visible to its attendee and to whoever may read the event's registrations. */
export function canSeeRegistration(p: Principal, reg: Attended, ev: Organized): boolean {
  return actsFor(p, reg.attendeeId, 'registrations:read') || canReadRegistrations(p, ev);
}

/** Listing a user's registrations: the user, registrations:read read grants, admins. */
export function canListUserRegistrations(p: Principal, userId: string): boolean {
  return actsFor(p, userId, 'registrations:read') || readsEverywhere(p, 'registrations:read');
}

/** FORBIDDEN unless the caller may list the user's registrations. */
export function requireListUserRegistrations(p: Principal, userId: string): void {
  requireAllowed(p, canListUserRegistrations(p, userId), "Only the user, holders of the 'registrations:read' scope and admins can list a user's registrations");
}

/** Acting on other attendees' registrations of the event (invite, cancel): its organizer, global registrations:write powers. */
export function canManageRegistrations(p: Principal, ev: Organized): boolean {
  return actsFor(p, ev.organizerId, 'registrations:write') || grantsEverywhere(p, 'registrations:write');
}

/** Confirming a registration: registrations:write held by the event's organizer, or a global power. */
export function canConfirmRegistration(p: Principal, ev: Organized): boolean {
  return (hasScope(p, 'registrations:write') || isInternal(p)) && canManageRegistrations(p, ev);
}

/** FORBIDDEN unless the caller may confirm registrations of the event. */
export function requireConfirmRegistration(p: Principal, ev: Organized): void {
  requireAllowed(p, canConfirmRegistration(p, ev), 'Only the organizer of the event or an admin can confirm its registrations');
}

/** Cancelling a registration: its attendee, or whoever may manage the event's registrations. */
export function canCancelRegistration(p: Principal, reg: Attended, ev: Organized): boolean {
  return actsFor(p, reg.attendeeId, 'registrations:write') || canManageRegistrations(p, ev);
}

/** FORBIDDEN unless the caller may cancel the registration. */
export function requireCancelRegistration(p: Principal, reg: Attended, ev: Organized): void {
  requireAllowed(p, canCancelRegistration(p, reg, ev), 'Only the attendee, the organizer and admins can cancel this registration');
}

/**
 * How a registration the caller makes comes about:
 * - `self`: the attendee registers themself;
 * - `direct`: an admin, an internal caller or an admin-granted partner with registrations:write
 *   registers someone else, which counts at once;
 * - `invitation`: the event's organizer registers someone else, which counts only once that person
 *   accepts;
 * - `null`: the caller may not register this attendee for this event.
 */
export type RegistrationMode = 'self' | 'direct' | 'invitation' | null;

/** The way the caller may register `attendeeId` for the event (see RegistrationMode). */
export function registrationMode(p: Principal, ev: Organized, attendeeId: string): RegistrationMode {
  if (actsFor(p, attendeeId, 'registrations:write')) return 'self';
  if (grantsEverywhere(p, 'registrations:write')) return 'direct';
  if (canManageRegistrations(p, ev)) return 'invitation';
  return null;
}

/** FORBIDDEN (at `target`) unless the caller may register the attendee; answers how. */
export function requireRegistrationMode(p: Principal, ev: Organized, attendeeId: string, target: string): Exclude<RegistrationMode, null> {
  const mode = registrationMode(p, ev, attendeeId);
  if (!mode) throw appError('FORBIDDEN', undefined, { details: "Only the event's organizer (by invitation) and admins can register other attendees for this event", target });
  return mode;
}

/** Accepting or declining an invitation: the invited attendee only. */
export function canAnswerInvitation(p: Principal, reg: Attended): boolean {
  return actsFor(p, reg.attendeeId, 'registrations:write');
}

/** FORBIDDEN unless the caller is the invited attendee. */
export function requireAnswerInvitation(p: Principal, reg: Attended): void {
  requireAllowed(p, canAnswerInvitation(p, reg), 'Only the invited attendee can accept or decline this invitation');
}

/**
 * Checking in at all: checkins:write holders, admins, internal callers. Checked before any
 * registration or ticket is looked up, so a caller without it learns nothing about them; which
 * events the caller checks in at is canCheckIn.
 */
export function canUseCheckIn(p: Principal): boolean {
  return p.kind !== 'anonymous' && (isInternal(p) || hasScope(p, 'checkins:write'));
}

/** UNAUTHENTICATED for anonymous callers; FORBIDDEN unless the caller may check in at all. */
export function requireUseCheckIn(p: Principal): void {
  requireAuthenticated(p);
  if (!canUseCheckIn(p)) throw appError('FORBIDDEN', undefined, { details: "The 'checkins:write' scope is required" });
}

/** Checking attendees in: checkins:write held by the event's organizer or check-in staff, or a global power. */
export function canCheckIn(p: Principal, ev: Staffed): boolean {
  return grantsEverywhere(p, 'checkins:write') || (hasScope(p, 'checkins:write') && (isOrganizer(p, ev) || isCheckInStaff(p, ev)));
}

/** FORBIDDEN (at `target`) unless the caller may check in at the event. */
export function requireCheckIn(p: Principal, ev: Staffed, target?: string): void {
  if (!canCheckIn(p, ev)) throw appError('FORBIDDEN', undefined, { details: 'Only the organizer and the check-in staff of this event can check its attendees in', target });
}

/** Watching the event's check-ins (names, ticket codes): whoever may check in there or read its registrations. */
export function canWatchCheckIns(p: Principal, ev: Staffed): boolean {
  return canCheckIn(p, ev) || canReadRegistrations(p, ev);
}

/** FORBIDDEN unless the caller may watch the event's check-ins. */
export function requireWatchCheckIns(p: Principal, ev: Staffed): void {
  requireAllowed(p, canWatchCheckIns(p, ev), "Only the organizer, the check-in staff of this event, holders of the 'registrations:read' scope and admins can watch its check-ins");
}

/** Seeing an event's check-in staff: whoever may manage the event. */
export function canSeeCheckInStaff(p: Principal, ev: Organized): boolean {
  return canManageEvent(p, ev);
}

/** FORBIDDEN unless the caller may see the event's check-in staff. */
export function requireSeeCheckInStaff(p: Principal, ev: Organized): void {
  requireAllowed(p, canSeeCheckInStaff(p, ev), 'Only the organizer of this event and admins can see its check-in staff');
}

/** INVALID_STATE_TRANSITION with the spec's shape. */
export function invalidTransition(details: string, target?: string): Error {
  return appError('INVALID_STATE_TRANSITION', undefined, { details, target });
}

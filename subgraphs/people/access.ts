/**
 * Object rules of the people subgraph, one named function each: who reads a user's private fields
 * and email, who changes a user, their roles and organizations, who exports and erases, who creates,
 * changes, revokes and lists API clients and which scopes they may grant, and which calls are for
 * internal callers only. Scope rules are declared in the SDL and enforced by the gateway; services
 * and resolvers call these.
 *
 * Who the caller is, for these rules: a user acts as themself; `people:read` and `people:write`
 * reach every user; admins (role or scope) and internal callers reach everything. A partner acts
 * through its scopes only: it is never "the user" here, even when bound to an owner.
 */
import type { Types } from 'mongoose';
import { appError } from '../../platform/errors.js';
import { hasScope, type Principal } from '../../platform/principal.js';
import { isAdmin, isInternal, isSelf, requireAllowed } from '../kit/authz.js';
import { maybeObjectId } from '../kit/ids.js';
import type { ApiClientDoc, Role } from './models.js';

// ── Users ────────────────────────────────────────────────────────────────────────────────────

/** Listing and searching users: `people:read` holders, admins, internal callers. */
export function canListUsers(p: Principal): boolean {
  return isInternal(p) || hasScope(p, 'people:read');
}

/** FORBIDDEN (UNAUTHENTICATED for anonymous callers) unless the caller may list users. */
export function requireListUsers(p: Principal): void {
  requireAllowed(p, canListUsers(p), "The 'people:read' scope is required");
}

/** May see email, preferences and consents of `userId`: the user, `people:read`/`people:write` holders, admins, internal callers. */
export function canSeePrivate(p: Principal, userId: string): boolean {
  return isSelf(p, userId) || isInternal(p) || hasScope(p, 'people:read') || hasScope(p, 'people:write');
}

/** FORBIDDEN unless the caller may read the user's private `field` (preferences, consents). */
export function requireSeePrivate(p: Principal, userId: string, field: string): void {
  if (!canSeePrivate(p, userId)) throw appError('FORBIDDEN', undefined, { details: `Only the user, people:read holders and admins may read ${field}` });
}

/**
 * May see the email of `userId`: whoever may see their private data, and the organizers of the
 * events they hold a non-cancelled registration for. `organizerIds` is
 * `User.organizerIdsOfRegisteredEvents`, which the events subgraph resolves and the gateway passes
 * in the entity representation (`@requires`). It can be trusted: a representation only comes from
 * the gateway, which fills the field from the events subgraph's answer alone (the field is
 * `@inaccessible`, so clients can neither select nor supply it), and this subgraph accepts only
 * gateway-signed principals and is not reachable by clients.
 */
export function canSeeEmail(p: Principal, userId: string, organizerIds: readonly string[] | undefined): boolean {
  return canSeePrivate(p, userId) || (p.kind === 'user' && !!p.sub && !!organizerIds?.includes(p.sub));
}

/** FORBIDDEN unless the caller may read the user's email. */
export function requireSeeEmail(p: Principal, userId: string, organizerIds: readonly string[] | undefined): void {
  if (!canSeeEmail(p, userId, organizerIds)) {
    throw appError('FORBIDDEN', undefined, { details: 'Only the user, organizers of events they are registered for, people:read holders and admins may read email' });
  }
}

/** Creating users and organizations, moving users between organizations: `people:write` holders, admins, internal callers. */
export function canManagePeople(p: Principal): boolean {
  return isInternal(p) || hasScope(p, 'people:write');
}

/** FORBIDDEN (UNAUTHENTICATED for anonymous callers) unless the caller may create users and organizations. */
export function requireManagePeople(p: Principal): void {
  requireAllowed(p, canManagePeople(p), "The 'people:write' scope is required");
}

/** FORBIDDEN at `input.organizationId` unless the caller may move users between organizations. */
export function requireMoveBetweenOrganizations(p: Principal): void {
  if (!canManagePeople(p)) throw appError('FORBIDDEN', undefined, { target: 'input.organizationId', details: 'Only people:write holders may move users between organizations' });
}

/** Creating a user with `roles`: organizers and admins are created by admins and internal callers only. */
export function canCreateWithRoles(p: Principal, roles: readonly Role[]): boolean {
  return !roles.some((r) => r === 'admin' || r === 'organizer') || isAdmin(p) || isInternal(p);
}

/** FORBIDDEN at `input.roles` unless the caller may create a user with these roles. */
export function requireCreateWithRoles(p: Principal, roles: readonly Role[]): void {
  if (!canCreateWithRoles(p, roles)) throw appError('FORBIDDEN', undefined, { target: 'input.roles', details: 'Only admins may create organizers and admins' });
}

/** May change `userId` (details, profile, preferences, consent): the user, `people:write` holders, admins, internal callers. */
export function canChangeUser(p: Principal, userId: string): boolean {
  return isSelf(p, userId) || isInternal(p) || hasScope(p, 'people:write');
}

/** The parts of a user a change is about, with the refusal for each. */
const CHANGE_REFUSALS = {
  user: 'Only the user or a people:write holder may change a user',
  profile: 'Only the user or a people:write holder may change a profile',
  preferences: 'Only the user or a people:write holder may change preferences',
  consent: 'Only the user may change their consent',
} as const;

/** FORBIDDEN (UNAUTHENTICATED for anonymous callers) unless the caller may change this part of the user. */
export function requireChangeUser(p: Principal, userId: string, part: keyof typeof CHANGE_REFUSALS): void {
  requireAllowed(p, canChangeUser(p, userId), CHANGE_REFUSALS[part]);
}

/** Assigning roles: admins and internal callers. */
export function canAssignRoles(p: Principal): boolean {
  return isAdmin(p) || isInternal(p);
}

/** FORBIDDEN (UNAUTHENTICATED for anonymous callers) unless the caller may assign roles. */
export function requireAssignRoles(p: Principal): void {
  requireAllowed(p, canAssignRoles(p), 'Only admins may assign roles');
}

/** Exporting everything held about `userId` (GDPR access): the user, admins, internal callers. */
export function canExportUserData(p: Principal, userId: string): boolean {
  return isSelf(p, userId) || isAdmin(p) || isInternal(p);
}

/** FORBIDDEN (UNAUTHENTICATED for anonymous callers) unless the caller may export the user's data. */
export function requireExportUserData(p: Principal, userId: string): void {
  requireAllowed(p, canExportUserData(p, userId), 'Only the user or an admin may export their data');
}

/** Erasing users (GDPR erasure): admins and internal callers. */
export function canEraseUsers(p: Principal): boolean {
  return isAdmin(p) || isInternal(p);
}

/** FORBIDDEN (UNAUTHENTICATED for anonymous callers) unless the caller may erase users. */
export function requireEraseUsers(p: Principal): void {
  requireAllowed(p, canEraseUsers(p), 'Only admins may erase users');
}

// ── Internal lookups ─────────────────────────────────────────────────────────────────────────

/** Credential verification and user status lookups: the gateway (internal callers) only. */
export function canUseInternalLookups(p: Principal): boolean {
  return isInternal(p);
}

/** FORBIDDEN unless the caller may verify API keys and client credentials. */
export function requireVerifyCredentials(p: Principal): void {
  if (!canUseInternalLookups(p)) throw appError('FORBIDDEN', undefined, { details: 'Credential verification is for internal callers only' });
}

/** FORBIDDEN unless the caller may read user status. */
export function requireReadUserStatus(p: Principal): void {
  if (!canUseInternalLookups(p)) throw appError('FORBIDDEN', undefined, { details: 'User status is for internal callers only' });
}

// ── API clients ──────────────────────────────────────────────────────────────────────────────

/** Creating API clients: organizers and admins (users), and partner clients. */
export function canCreateApiClient(p: Principal): boolean {
  if (p.kind === 'user') return isAdmin(p) || p.roles.includes('organizer');
  return p.kind === 'partner' && !!p.clientId;
}

/** FORBIDDEN (UNAUTHENTICATED for anonymous callers) unless the caller may create API clients. */
export function requireCreateApiClient(p: Principal): void {
  requireAllowed(p, canCreateApiClient(p), 'Only organizers, admins and partner clients may create API clients');
}

/** A partner client creating a client acts for its client's owner, never for another. */
export function actsForClientOwner(p: Principal, caller: Pick<ApiClientDoc, 'ownerId'>): boolean {
  return !p.ownerId || p.ownerId === caller.ownerId.toHexString();
}

/** FORBIDDEN unless the calling partner acts for its own client's owner. */
export function requireActsForClientOwner(p: Principal, caller: Pick<ApiClientDoc, 'ownerId'>): void {
  if (!actsForClientOwner(p, caller)) throw appError('FORBIDDEN', undefined, { details: 'The calling client acts for another owner' });
}

/** Who grants the scopes of a new or changed client, and what follows from it. */
export interface Grant {
  /** The new client's scopes reach every object (an admin granted them). */
  global: boolean;
  /** Scopes the grantor holds; `all` for admins. */
  held: readonly string[] | 'all';
  /** How refusals name the grantor. */
  who: string;
}

/**
 * What a caller allowed to create clients may grant: an admin user any partner scope, reaching
 * every object; an organizer the scopes its token holds, for itself; a partner client the scopes
 * its token holds within its client's current scopes, with its client's reach.
 */
export function grantOf(p: Principal, caller?: Pick<ApiClientDoc, 'scopes' | 'global'>): Grant {
  if (p.kind === 'user') return isAdmin(p) ? { global: true, held: 'all', who: 'An admin' } : { global: false, held: p.scopes, who: 'You' };
  return { global: caller?.global === true, held: p.scopes.filter((s) => caller?.scopes.includes(s) === true), who: 'The calling client' };
}

/** The scopes among `scopes` the grantor does not hold (a credential never carries a scope its creator does not hold). */
export function ungrantable(scopes: readonly string[], { held }: Pick<Grant, 'held'>): string[] {
  return held === 'all' ? [] : scopes.filter((s) => !held.includes(s));
}

/**
 * FORBIDDEN naming every requested scope the grantor does not hold; the target points at the first
 * of them in the input list `requested`.
 */
export function requireGrantable(requested: unknown, scopes: readonly string[], grant: Pick<Grant, 'held' | 'who'>): void {
  const missing = ungrantable(scopes, grant);
  if (missing.length === 0) return;
  const { who } = grant;
  const index = Array.isArray(requested) ? requested.indexOf(missing[0]) : -1;
  const list = missing.map((s) => `'${s}'`).join(', ');
  throw appError('FORBIDDEN', 'A credential cannot carry scopes its creator does not hold', {
    target: `input.scopes.${index}`,
    details: `${who} ${who === 'You' ? 'do' : 'does'} not hold ${list}, so ${missing.length === 1 ? 'it' : 'they'} cannot be granted`,
    extra: { scopes: missing },
  });
}

/** The caller is the user who owns the client. */
function ownsClient(p: Principal, client: Pick<ApiClientDoc, 'ownerId'>): boolean {
  return p.kind === 'user' && p.sub === client.ownerId.toHexString();
}

/** Granting a changed client any partner scope, without holding it: admin users and internal callers. */
export function grantsAnyScope(p: Principal): boolean {
  return (p.kind === 'user' && isAdmin(p)) || isInternal(p);
}

/** Changing a client's name or scopes: its owner, admin users, internal callers. */
export function canChangeApiClient(p: Principal, client: Pick<ApiClientDoc, 'ownerId'>): boolean {
  return grantsAnyScope(p) || ownsClient(p, client);
}

/** FORBIDDEN (UNAUTHENTICATED for anonymous callers) unless the caller may change the client. */
export function requireChangeApiClient(p: Principal, client: Pick<ApiClientDoc, 'ownerId'>): void {
  requireAllowed(p, canChangeApiClient(p, client), 'Only the owner or an admin may change this client');
}

/** Revoking a client: its owner, admins, internal callers. */
export function canRevokeApiClient(p: Principal, client: Pick<ApiClientDoc, 'ownerId'>): boolean {
  return isAdmin(p) || isInternal(p) || ownsClient(p, client);
}

/** FORBIDDEN (UNAUTHENTICATED for anonymous callers) unless the caller may revoke the client. */
export function requireRevokeApiClient(p: Principal, client: Pick<ApiClientDoc, 'ownerId'>): void {
  requireAllowed(p, canRevokeApiClient(p, client), 'Only the owner or an admin may revoke this client');
}

/**
 * Which clients the `apiClients` list shows the caller: all of them (`{}`, admins and internal
 * callers), those a user owns, or none (null: FORBIDDEN).
 */
export function apiClientListScope(p: Principal): { ownerId?: Types.ObjectId } | null {
  if (isAdmin(p) || isInternal(p)) return {};
  const ownerId = p.kind === 'user' ? maybeObjectId(p.sub) : null;
  return ownerId ? { ownerId } : null;
}

/** The `apiClients` filter for the caller; FORBIDDEN (UNAUTHENTICATED for anonymous callers) when it sees none. */
export function requireApiClientListScope(p: Principal): { ownerId?: Types.ObjectId } {
  const scope = apiClientListScope(p);
  requireAllowed(p, scope !== null, 'Only users own API clients');
  return scope ?? {};
}

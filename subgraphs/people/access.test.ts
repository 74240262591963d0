/**
 * The object rules of the people subgraph as one table: every rule against every kind of caller,
 * for one user (SELF, registered at an event of ORGANIZER) and one API client owned by ORGANIZER.
 */
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../platform/principal.js';
import { internalPrincipal, partnerPrincipal, userPrincipal } from '../kit/testing.js';
import {
  actsForClientOwner,
  apiClientListScope,
  canAssignRoles,
  canChangeApiClient,
  canChangeUser,
  canCreateApiClient,
  canCreateWithRoles,
  canEraseUsers,
  canExportUserData,
  canListUsers,
  canManagePeople,
  canRevokeApiClient,
  canSeeEmail,
  canSeePrivate,
  canUseInternalLookups,
  grantOf,
  grantsAnyScope,
  ungrantable,
} from './access.js';

const id = () => new Types.ObjectId().toHexString();
const SELF = id();
const OTHER = id();
const ORGANIZER = id();
const bound = (owner: string, scopes: string[]): Principal => ({ ...partnerPrincipal(`egc_${owner.slice(-6)}`, scopes), ownerId: owner });

/** Every kind of caller the rules distinguish. */
const CALLERS = {
  self: userPrincipal(SELF, { scopes: ['events:read'], roles: ['attendee'] }),
  stranger: userPrincipal(OTHER, { scopes: ['events:read'], roles: ['attendee'] }),
  organizer: userPrincipal(ORGANIZER, { scopes: ['events:read', 'events:write', 'registrations:write'], roles: ['organizer'] }),
  reader: userPrincipal(id(), { scopes: ['people:read'] }),
  manager: userPrincipal(id(), { scopes: ['people:write'] }),
  admin: userPrincipal(id(), { roles: ['admin'] }),
  internal: internalPrincipal('gateway'),
  anonymous: ANONYMOUS,
  globalPartner: partnerPrincipal('egc_global', ['people:read']),
  selfKey: bound(SELF, ['people:read']),
  organizerKey: bound(ORGANIZER, ['events:read']),
  adminScopedPartner: partnerPrincipal('egc_admin', ['admin']),
} satisfies Record<string, Principal>;

type Caller = keyof typeof CALLERS;
const ALL = Object.keys(CALLERS) as Caller[];
const client = { ownerId: new Types.ObjectId(ORGANIZER) };

/** Callers for whom `rule` answers true; every other caller must get false. */
interface Row {
  rule: string;
  check: (p: Principal) => boolean;
  yes: Caller[];
}

const TABLE: Row[] = [
  { rule: 'canListUsers', check: (p) => canListUsers(p), yes: ['reader', 'admin', 'internal', 'globalPartner', 'selfKey', 'adminScopedPartner'] },
  { rule: 'canSeePrivate (SELF)', check: (p) => canSeePrivate(p, SELF), yes: ['self', 'reader', 'manager', 'admin', 'internal', 'globalPartner', 'selfKey', 'adminScopedPartner'] },
  {
    rule: 'canSeeEmail (SELF, registered with ORGANIZER)',
    check: (p) => canSeeEmail(p, SELF, [ORGANIZER]),
    yes: ['self', 'organizer', 'reader', 'manager', 'admin', 'internal', 'globalPartner', 'selfKey', 'adminScopedPartner'],
  },
  { rule: 'canManagePeople', check: (p) => canManagePeople(p), yes: ['manager', 'admin', 'internal', 'adminScopedPartner'] },
  { rule: 'canCreateWithRoles (organizer)', check: (p) => canCreateWithRoles(p, ['organizer']), yes: ['admin', 'internal', 'adminScopedPartner'] },
  { rule: 'canCreateWithRoles (admin)', check: (p) => canCreateWithRoles(p, ['attendee', 'admin']), yes: ['admin', 'internal', 'adminScopedPartner'] },
  { rule: 'canCreateWithRoles (attendee, speaker)', check: (p) => canCreateWithRoles(p, ['attendee', 'speaker']), yes: ALL },
  { rule: 'canChangeUser (SELF)', check: (p) => canChangeUser(p, SELF), yes: ['self', 'manager', 'admin', 'internal', 'adminScopedPartner'] },
  { rule: 'canAssignRoles', check: (p) => canAssignRoles(p), yes: ['admin', 'internal', 'adminScopedPartner'] },
  { rule: 'canExportUserData (SELF)', check: (p) => canExportUserData(p, SELF), yes: ['self', 'admin', 'internal', 'adminScopedPartner'] },
  { rule: 'canEraseUsers', check: (p) => canEraseUsers(p), yes: ['admin', 'internal', 'adminScopedPartner'] },
  { rule: 'canUseInternalLookups', check: (p) => canUseInternalLookups(p), yes: ['internal'] },
  { rule: 'canCreateApiClient', check: (p) => canCreateApiClient(p), yes: ['organizer', 'admin', 'globalPartner', 'selfKey', 'organizerKey', 'adminScopedPartner'] },
  { rule: 'grantsAnyScope', check: (p) => grantsAnyScope(p), yes: ['admin', 'internal'] },
  { rule: 'canChangeApiClient (owned by ORGANIZER)', check: (p) => canChangeApiClient(p, client), yes: ['organizer', 'admin', 'internal'] },
  { rule: 'canRevokeApiClient (owned by ORGANIZER)', check: (p) => canRevokeApiClient(p, client), yes: ['organizer', 'admin', 'internal', 'adminScopedPartner'] },
  { rule: 'actsForClientOwner (a client of ORGANIZER)', check: (p) => actsForClientOwner(p, client), yes: ALL.filter((c) => c !== 'selfKey') },
];

describe('people object rules', () => {
  for (const row of TABLE) {
    it(`${row.rule}: ${row.yes.join(', ')}`, () => {
      const got = Object.fromEntries(ALL.map((c) => [c, row.check(CALLERS[c])]));
      const want = Object.fromEntries(ALL.map((c) => [c, row.yes.includes(c)]));
      expect(got).toEqual(want);
    });
  }

  it('apiClientListScope: admins and internal callers see every client, users their own, nobody else any', () => {
    const got = Object.fromEntries(ALL.map((c) => [c, apiClientListScope(CALLERS[c])]));
    const own = (c: Caller) => ({ ownerId: new Types.ObjectId(CALLERS[c].sub ?? '') });
    expect(got).toEqual({
      self: own('self'),
      stranger: own('stranger'),
      organizer: own('organizer'),
      reader: own('reader'),
      manager: own('manager'),
      admin: {},
      internal: {},
      anonymous: null,
      globalPartner: null,
      selfKey: null,
      organizerKey: null,
      adminScopedPartner: {},
    });
  });

  it('grantOf: admins grant every scope globally, organizers what their token holds, partners what both token and client hold', () => {
    expect(grantOf(CALLERS.admin)).toEqual({ global: true, held: 'all', who: 'An admin' });
    expect(grantOf(CALLERS.organizer)).toEqual({ global: false, held: ['events:read', 'events:write', 'registrations:write'], who: 'You' });
    const key = { ...partnerPrincipal('egc_x', ['events:read', 'people:read']), ownerId: ORGANIZER };
    expect(grantOf(key, { scopes: ['events:read'], global: false })).toEqual({ global: false, held: ['events:read'], who: 'The calling client' });
    expect(grantOf(partnerPrincipal('egc_y', ['events:read']), { scopes: ['events:read'], global: true })).toEqual({ global: true, held: ['events:read'], who: 'The calling client' });
  });

  it('ungrantable: the requested scopes the grantor does not hold', () => {
    expect(ungrantable(['events:read', 'people:read'], { held: 'all' })).toEqual([]);
    expect(ungrantable(['events:read', 'people:read', 'schema:read'], { held: ['events:read'] })).toEqual(['people:read', 'schema:read']);
    expect(ungrantable(['events:read'], { held: ['events:read', 'events:write'] })).toEqual([]);
  });
});

/**
 * The object rules of the events subgraph as one table: every rule against every kind of caller,
 * for one event (organized by ORGANIZER, with STAFF as check-in staff) and one registration of
 * ATTENDEE at it.
 */
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS, type Principal } from '../../platform/principal.js';
import { internalPrincipal, partnerPrincipal, userPrincipal } from '../kit/testing.js';
import {
  actorId,
  canAnswerInvitation,
  canCancelRegistration,
  canCheckIn,
  canConfirmRegistration,
  canCreateEvents,
  canListUserRegistrations,
  canManageEvent,
  canManageRegistrations,
  canOrganizeFor,
  canReadRegistrations,
  canSeeCheckInStaff,
  canSeeEvent,
  canSeeRegistration,
  canUseCheckIn,
  canWatchCheckIns,
  registrationMode,
  visibleEventsFilter,
} from './access.js';
import type { EventDoc, RegistrationDoc } from './models.js';

const id = () => new Types.ObjectId().toHexString();
const ORGANIZER = id();
const OTHER_ORGANIZER = id();
const STAFF = id();
const ATTENDEE = id();
const SOMEONE = id();

const ORGANIZER_SCOPES = ['events:read', 'events:write', 'registrations:write', 'checkins:write', 'integrations:read', 'integrations:write'];
const STAFF_SCOPES = ['events:read', 'checkins:write'];
const bound = (owner: string, scopes: string[]): Principal => ({ ...partnerPrincipal(`egc_${owner.slice(-6)}`, scopes), ownerId: owner });

/** Every kind of caller the rules distinguish. */
const CALLERS = {
  organizer: userPrincipal(ORGANIZER, { scopes: ORGANIZER_SCOPES, roles: ['organizer'] }),
  otherOrganizer: userPrincipal(OTHER_ORGANIZER, { scopes: ORGANIZER_SCOPES, roles: ['organizer'] }),
  staff: userPrincipal(STAFF, { scopes: STAFF_SCOPES, roles: ['staff'] }),
  unassignedStaff: userPrincipal(id(), { scopes: STAFF_SCOPES, roles: ['staff'] }),
  attendee: userPrincipal(ATTENDEE, { scopes: ['events:read'], roles: ['attendee'] }),
  stranger: userPrincipal(SOMEONE, { scopes: ['events:read'], roles: ['attendee'] }),
  reader: userPrincipal(id(), { scopes: ['registrations:read'] }),
  admin: userPrincipal(id(), { roles: ['admin'] }),
  internal: internalPrincipal('payments'),
  anonymous: ANONYMOUS,
  globalPartner: partnerPrincipal('egc_global', ['events:read', 'events:write', 'registrations:read', 'registrations:write', 'checkins:write']),
  globalReader: partnerPrincipal('egc_reader', ['events:read', 'registrations:read']),
  organizerKey: bound(ORGANIZER, ['events:read', 'events:write', 'registrations:read', 'registrations:write', 'checkins:write']),
  organizerReadOnlyKey: bound(ORGANIZER, ['events:read']),
  organizerWriteKey: bound(ORGANIZER, ['events:read', 'registrations:write']),
  otherOrganizerKey: bound(OTHER_ORGANIZER, ['events:read', 'events:write', 'registrations:read', 'registrations:write', 'checkins:write']),
  staffKey: bound(STAFF, STAFF_SCOPES),
  attendeeKey: bound(ATTENDEE, ['events:read', 'registrations:read', 'registrations:write']),
} satisfies Record<string, Principal>;

type Caller = keyof typeof CALLERS;
const ALL = Object.keys(CALLERS) as Caller[];

const draft: EventDoc = {
  _id: new Types.ObjectId(),
  title: 'Summit',
  description: null,
  status: 'DRAFT',
  startsAt: new Date('2030-01-01T09:00:00Z'),
  endsAt: new Date('2030-01-01T17:00:00Z'),
  timezone: 'UTC',
  capacity: 10,
  venue: null,
  organizerId: new Types.ObjectId(ORGANIZER),
  organizationId: null,
  parentId: null,
  cancellationReason: null,
  publishedAt: null,
  cancelledAt: null,
  registrationSeq: 0,
  checkInStaffIds: [new Types.ObjectId(STAFF)],
  createdAt: new Date(),
  updatedAt: new Date(),
};
const event: EventDoc = { ...draft, status: 'PUBLISHED' };
const registration = { attendeeId: new Types.ObjectId(ATTENDEE) } as Pick<RegistrationDoc, 'attendeeId'>;

/** Callers for whom `rule` answers true; every other caller must get false. */
interface Row {
  rule: string;
  check: (p: Principal) => boolean;
  yes: Caller[];
}

const GLOBAL_WRITE: Caller[] = ['admin', 'internal', 'globalPartner'];
const TABLE: Row[] = [
  { rule: 'canSeeEvent (a draft)', check: (p) => canSeeEvent(p, draft), yes: ['organizerWriteKey', 'organizer', 'organizerKey', 'organizerReadOnlyKey', ...GLOBAL_WRITE] },
  { rule: 'canSeeEvent (published)', check: (p) => canSeeEvent(p, event), yes: ALL },
  { rule: 'canManageEvent', check: (p) => canManageEvent(p, event), yes: ['organizerWriteKey', 'organizer', 'organizerKey', 'organizerReadOnlyKey', ...GLOBAL_WRITE] },
  { rule: 'canCreateEvents', check: (p) => canCreateEvents(p), yes: ['organizer', 'otherOrganizer', 'organizerKey', 'otherOrganizerKey', ...GLOBAL_WRITE] },
  { rule: 'canOrganizeFor (the organizer)', check: (p) => canOrganizeFor(p, ORGANIZER), yes: ['organizer', 'organizerKey', ...GLOBAL_WRITE] },
  { rule: 'canReadRegistrations', check: (p) => canReadRegistrations(p, event), yes: ['organizer', 'organizerKey', 'organizerWriteKey', 'reader', 'admin', 'internal', 'globalPartner', 'globalReader'] },
  { rule: 'canSeeRegistration', check: (p) => canSeeRegistration(p, registration, event), yes: ['organizer', 'organizerKey', 'organizerWriteKey', 'attendee', 'attendeeKey', 'reader', 'admin', 'internal', 'globalPartner', 'globalReader'] },
  { rule: 'canListUserRegistrations (the attendee)', check: (p) => canListUserRegistrations(p, ATTENDEE), yes: ['attendee', 'attendeeKey', 'reader', 'admin', 'internal', 'globalPartner', 'globalReader'] },
  { rule: 'canManageRegistrations', check: (p) => canManageRegistrations(p, event), yes: ['organizerWriteKey', 'organizer', 'organizerKey', ...GLOBAL_WRITE] },
  { rule: 'canConfirmRegistration', check: (p) => canConfirmRegistration(p, event), yes: ['organizerWriteKey', 'organizer', 'organizerKey', ...GLOBAL_WRITE] },
  { rule: 'canCancelRegistration', check: (p) => canCancelRegistration(p, registration, event), yes: ['organizerWriteKey', 'organizer', 'organizerKey', 'attendee', 'attendeeKey', ...GLOBAL_WRITE] },
  { rule: 'canAnswerInvitation', check: (p) => canAnswerInvitation(p, registration), yes: ['attendee', 'attendeeKey'] },
  { rule: 'canUseCheckIn', check: (p) => canUseCheckIn(p), yes: ['organizer', 'otherOrganizer', 'staff', 'unassignedStaff', 'organizerKey', 'otherOrganizerKey', 'staffKey', ...GLOBAL_WRITE] },
  { rule: 'canCheckIn', check: (p) => canCheckIn(p, event), yes: ['organizer', 'organizerKey', 'staff', 'staffKey', ...GLOBAL_WRITE] },
  { rule: 'canWatchCheckIns', check: (p) => canWatchCheckIns(p, event), yes: ['organizerWriteKey', 'organizer', 'organizerKey', 'staff', 'staffKey', 'reader', 'admin', 'internal', 'globalPartner', 'globalReader'] },
  { rule: 'canSeeCheckInStaff', check: (p) => canSeeCheckInStaff(p, event), yes: ['organizerWriteKey', 'organizer', 'organizerKey', 'organizerReadOnlyKey', ...GLOBAL_WRITE] },
];

describe('events object rules', () => {
  for (const row of TABLE) {
    it(`${row.rule}: ${row.yes.join(', ')}`, () => {
      const got = Object.fromEntries(ALL.map((c) => [c, row.check(CALLERS[c])]));
      const want = Object.fromEntries(ALL.map((c) => [c, row.yes.includes(c)]));
      expect(got).toEqual(want);
    });
  }

  it('registrationMode: the attendee registers themself, global powers directly, the organizer by invitation, nobody else', () => {
    const modes: Partial<Record<Caller, string>> = { attendee: 'self', attendeeKey: 'self', admin: 'direct', internal: 'direct', globalPartner: 'direct', organizer: 'invitation', organizerKey: 'invitation', organizerWriteKey: 'invitation' };
    const got = Object.fromEntries(ALL.map((c) => [c, registrationMode(CALLERS[c], event, ATTENDEE)]));
    expect(got).toEqual(Object.fromEntries(ALL.map((c) => [c, modes[c] ?? null])));
    // An organizer registering themself at their own event is the attendee.
    expect(registrationMode(CALLERS.organizer, event, ORGANIZER)).toBe('self');
  });

  it('visibleEventsFilter: no condition for global events:write powers, published and cancelled events plus their own drafts for the rest', () => {
    const published = { status: { $in: ['PUBLISHED', 'CANCELLED'] } };
    const ownDrafts = (owner: string) => ({ $or: [published, { organizerId: new Types.ObjectId(owner) }] });
    const got = Object.fromEntries(ALL.map((c) => [c, visibleEventsFilter(CALLERS[c])]));
    expect(got).toEqual({
      organizer: ownDrafts(ORGANIZER),
      otherOrganizer: ownDrafts(OTHER_ORGANIZER),
      staff: ownDrafts(STAFF),
      unassignedStaff: ownDrafts(CALLERS.unassignedStaff.sub ?? ''),
      attendee: ownDrafts(ATTENDEE),
      stranger: ownDrafts(SOMEONE),
      reader: ownDrafts(CALLERS.reader.sub ?? ''),
      admin: null,
      internal: null,
      anonymous: published,
      globalPartner: null,
      globalReader: published,
      organizerKey: ownDrafts(ORGANIZER),
      organizerReadOnlyKey: ownDrafts(ORGANIZER),
      organizerWriteKey: ownDrafts(ORGANIZER),
      otherOrganizerKey: ownDrafts(OTHER_ORGANIZER),
      staffKey: ownDrafts(STAFF),
      attendeeKey: ownDrafts(ATTENDEE),
    });
  });

  it('a partner acts for its owner; users for themselves; nobody else acts for a user', () => {
    expect(actorId(CALLERS.organizerKey)).toBe(ORGANIZER);
    expect(actorId(CALLERS.organizer)).toBe(ORGANIZER);
    for (const c of ['globalPartner', 'internal', 'anonymous'] as const) expect(actorId(CALLERS[c])).toBeNull();
    expect(actorId({ ...CALLERS.organizerKey, ownerId: 'not-an-id' })).toBeNull();
  });

  it('check-in staff of one event are nobody at another', () => {
    const elsewhere: EventDoc = { ...event, organizerId: new Types.ObjectId(OTHER_ORGANIZER), checkInStaffIds: [] };
    for (const c of ['staff', 'staffKey', 'organizer', 'organizerKey'] as const) {
      expect(canCheckIn(CALLERS[c], elsewhere), c).toBe(false);
      expect(canWatchCheckIns(CALLERS[c], elsewhere), c).toBe(false);
    }
    expect(canCheckIn(CALLERS.otherOrganizer, elsewhere)).toBe(true);
    // An event seeded before staff existed has no list: only its organizer checks in.
    expect(canCheckIn(CALLERS.staff, { organizerId: event.organizerId })).toBe(false);
  });
});

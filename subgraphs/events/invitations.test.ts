/**
 * Invitations and check-in staff in the events subgraph: an unanswered invitation holds no spot and
 * is not on the waitlist; accepting takes a spot or joins the waitlist; answers are idempotent and
 * only the invitee's; a withdrawn invitation is recorded as such; owner-bound partners act for their
 * owner; staff are checked at the people subgraph and act only where assigned.
 */
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../platform/principal.js';
import { partnerPrincipal, userPrincipal } from '../kit/testing.js';
import { REG_FIELDS, assignStaff, callers, expectError, newUserId, ok, outboxCount, publishedEvent, register, serveEvents, type EventsTestSubgraph } from './testing.js';

let t: EventsTestSubgraph;
const who = callers();

serveEvents((s) => (t = s));

const user = () => userPrincipal(newUserId(), { scopes: ['events:read'] });
const boundTo = (owner: string, scopes: string[]): Principal => ({ ...partnerPrincipal(`egc_${owner.slice(-6)}`, scopes), ownerId: owner });
const ANSWER = (field: 'acceptInvitation' | 'declineInvitation') => `mutation($id: ID!) { ${field}(registrationId: $id) { ${REG_FIELDS} invitation { state answeredAt invitedBy { id } } } }`;
const COUNTS = 'query($id: ID!) { event(id: $id) { registeredCount waitlistCount spotsLeft } }';
const CANCEL = `mutation($id: ID!) { cancelRegistration(id: $id) { status invitation { state } } }`;

describe('invitations', () => {
  it('hold no spot until accepted; accepting a full event joins the waitlist', async () => {
    const ev = await publishedEvent(t, who.organizer, { capacity: 1 });
    const invitee = user();
    const inv = ok(await register(t, who.organizer, ev.id, invitee.sub!)).register;
    expect(inv).toMatchObject({ status: 'PENDING', waitlistPosition: null });
    expect(ok(await t.call(COUNTS, { id: ev.id })).event).toEqual({ registeredCount: 0, waitlistCount: 0, spotsLeft: 1 });
    expect(await outboxCount(t, `registrations:${ev.id}`, 'registration.invited')).toBe(1);

    ok(await register(t, user(), ev.id)); // takes the only spot
    const accepted = ok(await t.call(ANSWER('acceptInvitation'), { id: inv.id }, invitee)).acceptInvitation;
    expect(accepted).toMatchObject({ status: 'PENDING', waitlistPosition: 1, invitation: { state: 'ACCEPTED', invitedBy: { id: who.organizerId } } });
    expect(ok(await t.call(COUNTS, { id: ev.id })).event).toEqual({ registeredCount: 1, waitlistCount: 1, spotsLeft: 0 });
    expect(await outboxCount(t, `registrations:${ev.id}`, 'registration.created')).toBe(2);
    // Answering again changes nothing; declining an accepted invitation is refused.
    expect(ok(await t.call(ANSWER('acceptInvitation'), { id: inv.id }, invitee)).acceptInvitation.invitation.answeredAt).toBe(accepted.invitation.answeredAt);
    expectError(await t.call(ANSWER('declineInvitation'), { id: inv.id }, invitee), 'INVALID_STATE_TRANSITION', 'registrationId');
    expect(await outboxCount(t, `registrations:${ev.id}`, 'registration.created')).toBe(2);
  });

  it('only the invitee answers; strangers do not see the invitation; a self-made registration is no invitation', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const invitee = user();
    const inv = ok(await register(t, who.organizer, ev.id, invitee.sub!)).register;
    expectError(await t.call(ANSWER('acceptInvitation'), { id: inv.id }, who.organizer), 'FORBIDDEN');
    expectError(await t.call(ANSWER('acceptInvitation'), { id: inv.id }, who.admin), 'FORBIDDEN');
    expectError(await t.call(ANSWER('acceptInvitation'), { id: inv.id }, user()), 'RESOURCE_NOT_FOUND', 'registrationId');
    // Registering themself while invited points the invitee at the invitation.
    const dup = expectError(await register(t, invitee, ev.id), 'CONFLICT', 'input.attendeeId');
    expect(dup.extensions.details).toContain('acceptInvitation');
    const own = ok(await register(t, who.attendee, ev.id)).register;
    expectError(await t.call(ANSWER('acceptInvitation'), { id: own.id }, who.attendee), 'INVALID_STATE_TRANSITION', 'registrationId');
  });

  it('an invitation cancelled by the organizer is withdrawn, by the invitee declined; neither frees a spot', async () => {
    const ev = await publishedEvent(t, who.organizer, { capacity: 1 });
    ok(await register(t, user(), ev.id));
    const waiting = ok(await register(t, user(), ev.id)).register;
    expect(waiting.waitlistPosition).toBe(1);
    const invitee = user();
    const withdrawn = ok(await register(t, who.organizer, ev.id, invitee.sub!)).register;
    expect(ok(await t.call(CANCEL, { id: withdrawn.id }, who.organizer)).cancelRegistration).toEqual({ status: 'CANCELLED', invitation: { state: 'WITHDRAWN' } });
    const other = user();
    const declined = ok(await register(t, who.organizer, ev.id, other.sub!)).register;
    expect(ok(await t.call(CANCEL, { id: declined.id }, other)).cancelRegistration).toEqual({ status: 'CANCELLED', invitation: { state: 'DECLINED' } });
    expect(await outboxCount(t, `registrations:${ev.id}`, 'registration.promoted')).toBe(0);
    expectError(await t.call(ANSWER('acceptInvitation'), { id: withdrawn.id }, invitee), 'INVALID_STATE_TRANSITION', 'registrationId');
    // Withdrawn or declined, the person may be invited again.
    expect(ok(await register(t, who.organizer, ev.id, invitee.sub!)).register.status).toBe('PENDING');
  });

  it('cannot be accepted once the event is cancelled', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const invitee = user();
    const inv = ok(await register(t, who.organizer, ev.id, invitee.sub!)).register;
    ok(await t.call('mutation($id: ID!) { cancelEvent(id: $id, reason: "Storm") { id } }', { id: ev.id }, who.organizer));
    expectError(await t.call(ANSWER('acceptInvitation'), { id: inv.id }, invitee), 'INVALID_STATE_TRANSITION', 'registrationId');
  });

  it("owner-bound partners act for their owner: the organizer's key invites, the invitee's key answers", async () => {
    const ev = await publishedEvent(t, who.organizer);
    const invitee = user();
    const organizerKey = boundTo(who.organizerId, ['events:read', 'registrations:write']);
    const inv = ok(await register(t, organizerKey, ev.id, invitee.sub!)).register;
    const stored = await t.conn.collection('registrations').findOne({ ticketCode: inv.ticketCode });
    expect(stored).toMatchObject({ invitationState: 'PENDING' });
    expect(String(stored!.invitedBy)).toBe(who.organizerId);
    // The invitee's key needs the scopes naming the action: reading it, then answering it.
    expectError(await t.call(ANSWER('acceptInvitation'), { id: inv.id }, boundTo(invitee.sub!, ['events:read'])), 'RESOURCE_NOT_FOUND', 'registrationId');
    expectError(await t.call(ANSWER('acceptInvitation'), { id: inv.id }, boundTo(invitee.sub!, ['registrations:read'])), 'FORBIDDEN');
    const inviteeKey = boundTo(invitee.sub!, ['registrations:read', 'registrations:write']);
    expect(ok(await t.call(ANSWER('acceptInvitation'), { id: inv.id }, inviteeKey)).acceptInvitation.invitation.state).toBe('ACCEPTED');
    // Another organizer's key reaches nothing here; an admin-granted key registers directly.
    expectError(await register(t, boundTo(newUserId(), ['registrations:write']), ev.id, user().sub!), 'FORBIDDEN', 'input.attendeeId');
    const direct = ok(await register(t, partnerPrincipal('egc_crm', ['registrations:write']), ev.id, user().sub!)).register;
    expect((await t.conn.collection('registrations').findOne({ ticketCode: direct.ticketCode }))?.invitationState ?? null).toBeNull();
  });
});

describe('check-in staff', () => {
  const STAFF = `query($id: ID!) { event(id: $id) { checkInStaff { id } } }`;
  const ASSIGN = 'mutation($e: ID!, $u: ID!) { assignCheckInStaff(eventId: $e, userId: $u) { checkInStaff { id } } }';
  const CHECK_IN = 'mutation($id: ID) { checkIn(registrationId: $id) { id } }';

  it('are people who exist and were not erased, assigned by the organizer only', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const nobody = newUserId();
    expectError(await t.call(ASSIGN, { e: ev.id, u: nobody }, who.organizer), 'RESOURCE_NOT_FOUND', 'userId');
    const erased = newUserId();
    await t.addUsers([erased], { erased: true });
    expectError(await t.call(ASSIGN, { e: ev.id, u: erased }, who.organizer), 'INVALID_STATE_TRANSITION', 'userId');
    const staff = newUserId();
    await t.addUsers([staff]);
    expectError(await t.call(ASSIGN, { e: ev.id, u: staff }, who.otherOrganizer), 'FORBIDDEN');
    expectError(await t.call(ASSIGN, { e: ev.id, u: 'x' }, who.organizer), 'BAD_USER_INPUT', 'userId');
    expect(ok(await t.call(ASSIGN, { e: ev.id, u: staff }, who.organizer)).assignCheckInStaff.checkInStaff).toEqual([{ id: staff }]);
    expect(ok(await t.call(ASSIGN, { e: ev.id, u: staff }, who.organizer)).assignCheckInStaff.checkInStaff).toEqual([{ id: staff }]);
    expect(ok(await t.call(STAFF, { id: ev.id }, who.admin)).event.checkInStaff).toEqual([{ id: staff }]);
    expectError(await t.call(STAFF, { id: ev.id }, who.stranger), 'FORBIDDEN');
    // Staff changes are the organizer's setup: no domain event.
    expect(await outboxCount(t, `event:${ev.id}`, 'event.updated')).toBe(0);
  });

  it('check in where assigned, with the checkins:write scope, also through a key bound to them', async () => {
    const [a, b] = [await publishedEvent(t, who.organizer), await publishedEvent(t, who.organizer)];
    await assignStaff(t, who.organizer, a.id, who.staff);
    const [atA, atB] = [ok(await register(t, user(), a.id)).register, ok(await register(t, user(), b.id)).register];
    expectError(await t.call(CHECK_IN, { id: atB.id }, who.staff), 'FORBIDDEN', 'registrationId');
    const noScope = userPrincipal(who.staff.sub!, { scopes: ['events:read'] });
    expectError(await t.call(CHECK_IN, { id: atA.id }, noScope), 'FORBIDDEN');
    expect(ok(await t.call(CHECK_IN, { id: atA.id }, boundTo(who.staff.sub!, ['checkins:write']))).checkIn.id).toBeTruthy();
    expect(await t.conn.collection('checkins').countDocuments({ eventId: { $in: [a.id, b.id].map((id) => new Types.ObjectId(id)) } })).toBe(1);
  });
});

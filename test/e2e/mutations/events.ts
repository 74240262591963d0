/** Mutation table rows of the events subgraph. */
import { expect } from 'vitest';
import { DEMO_USERS } from '../../harness/stack.js';
import { ROLE_SCOPES } from '../../../gateway/shield/scopes.js';
import { demoId } from '../../../subgraphs/kit/ids.js';
import type { E2E } from '../../harness/e2e.js';
import { ATTENDEE, FUTURE, SLOT, SPEAKER, newEvent, newRegistration, newSession, publishedEvent, uid, type MutationCase } from './fixtures.js';

const EVENT_0 = demoId('event', 0).toHexString();
const TICKET = /^TCK-[A-Z2-7]{16}$/;

/**
 * An invitation: the demo organizer creates and publishes an event and registers demo attendee `k`
 * there (an organizer's registration of someone else waits for that person's answer). Answers the
 * registration and the attendee's token.
 */
async function invitation(t: E2E, k: number): Promise<{ id: string; attendeeToken: string }> {
  const organizer = await t.token({ sub: DEMO_USERS.organizer, roles: ['organizer'], scopes: [...ROLE_SCOPES.organizer!] });
  const as = async (token: string, query: string, variables: Record<string, unknown>) => {
    const res = await t.gql(query, variables, { token });
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    return res.body.data;
  };
  const ev = (await as(organizer, `mutation ($input: CreateEventInput!) { createEvent(input: $input) { id } }`, { input: { title: `E2E invitation ${uid()}`, ...FUTURE, capacity: 10 } })).createEvent;
  await as(organizer, `mutation ($id: ID!) { publishEvent(id: $id) { id } }`, { id: ev.id });
  const reg = (await as(organizer, `mutation ($input: RegisterInput!) { register(input: $input) { id invitation { state } } }`, { input: { eventId: ev.id, attendeeId: ATTENDEE(k).id } })).register;
  expect(reg.invitation).toEqual({ state: 'PENDING' });
  return { id: reg.id, attendeeToken: await t.token({ sub: ATTENDEE(k).id, roles: ['attendee'], scopes: [...ROLE_SCOPES.attendee!] }) };
}

/** One row per mutation the events subgraph contributes to the composed API. */
export const EVENT_MUTATIONS: MutationCase[] = [
  {
    field: 'createEvent',
    async happy(t) {
      const title = `E2E launch ${uid()}`;
      const d = await t.admin(`mutation ($input: CreateEventInput!) { createEvent(input: $input) { id title status startsAt endsAt timezone capacity venue { city } organizer { id name } } }`, {
        input: { title: `  ${title}  `, ...FUTURE, timezone: 'Europe/Vienna', capacity: 42, venue: { city: 'Vienna' } },
      });
      expect(d.createEvent).toMatchObject({ title, status: 'DRAFT', ...FUTURE, timezone: 'Europe/Vienna', capacity: 42, venue: { city: 'Vienna' }, organizer: { id: DEMO_USERS.admin, name: 'Ada Lovelace' } });
      const again = await t.admin(`query ($id: ID!) { event(id: $id) { title status } }`, { id: d.createEvent.id });
      expect(again.event).toEqual({ title, status: 'DRAFT' });
    },
    invalid: () => ({
      query: `mutation ($input: CreateEventInput!) { createEvent(input: $input) { id } }`,
      variables: { input: { title: 'Backwards', startsAt: FUTURE.endsAt, endsAt: FUTURE.startsAt } },
      target: 'input.endsAt',
    }),
  },
  {
    field: 'updateEvent',
    async happy(t) {
      const ev = await newEvent(t);
      const d = await t.admin(`mutation ($id: ID!, $input: UpdateEventInput!) { updateEvent(id: $id, input: $input) { id title capacity description } }`, {
        id: ev.id,
        input: { title: 'Renamed', capacity: null, description: 'Now unlimited' },
      });
      expect(d.updateEvent).toEqual({ id: ev.id, title: 'Renamed', capacity: null, description: 'Now unlimited' });
    },
    // Event 0 holds hundreds of spots; lowering its capacity below them is refused inside the write.
    invalid: () => ({
      query: `mutation ($id: ID!, $input: UpdateEventInput!) { updateEvent(id: $id, input: $input) { id } }`,
      variables: { id: EVENT_0, input: { capacity: 10, title: 'Must not stick' } },
      target: 'input.capacity',
      subject: { subgraph: 'events', collection: 'events', id: EVENT_0 },
    }),
  },
  {
    field: 'publishEvent',
    async happy(t) {
      const ev = await newEvent(t);
      const d = await t.admin(`mutation ($id: ID!) { publishEvent(id: $id) { id status publishedAt } }`, { id: ev.id });
      expect(d.publishEvent.status).toBe('PUBLISHED');
      expect(Date.parse(d.publishEvent.publishedAt)).toBeGreaterThan(Date.now() - 60_000);
    },
    invalid: () => ({ query: `mutation { publishEvent(id: "12345") { id } }`, target: 'id' }),
  },
  {
    field: 'cancelEvent',
    async happy(t) {
      const ev = await publishedEvent(t);
      const d = await t.admin(`mutation ($id: ID!) { cancelEvent(id: $id, reason: "Venue flooded") { status cancellationReason cancelledAt } }`, { id: ev.id });
      expect(d.cancelEvent).toMatchObject({ status: 'CANCELLED', cancellationReason: 'Venue flooded' });
      expect(d.cancelEvent.cancelledAt).toBeTruthy();
    },
    invalid: () => ({
      query: `mutation ($id: ID!) { cancelEvent(id: $id, reason: "   ") { id } }`,
      variables: { id: EVENT_0 },
      target: 'reason',
      subject: { subgraph: 'events', collection: 'events', id: EVENT_0 },
    }),
  },
  {
    field: 'createSession',
    async happy(t) {
      const ev = await newEvent(t);
      const d = await t.admin(`mutation ($input: CreateSessionInput!) { createSession(input: $input) { title room status startsAt speakers { id name } event { id } } }`, {
        input: { eventId: ev.id, title: 'Keynote', room: 'Main Hall', ...SLOT, speakerIds: [SPEAKER(1).id, SPEAKER(2).id] },
      });
      expect(d.createSession).toEqual({
        title: 'Keynote',
        room: 'Main Hall',
        status: 'SCHEDULED',
        startsAt: SLOT.startsAt,
        speakers: [SPEAKER(1), SPEAKER(2)].map((u) => ({ id: u.id, name: u.name })),
        event: { id: ev.id },
      });
    },
    // The window is checked against the event inside the write.
    invalid: async (t) => {
      const ev = await newEvent(t);
      return {
        query: `mutation ($input: CreateSessionInput!) { createSession(input: $input) { id } }`,
        variables: { input: { eventId: ev.id, title: 'Too early', startsAt: '2031-03-09T10:00:00.000Z', endsAt: SLOT.endsAt } },
        target: 'input.startsAt',
      };
    },
  },
  {
    field: 'updateSession',
    async happy(t) {
      const s = await newSession(t);
      const d = await t.admin(`mutation ($id: ID!) { updateSession(id: $id, input: { title: "Moved", room: "Room B" }) { id title room } }`, { id: s.id });
      expect(d.updateSession).toEqual({ id: s.id, title: 'Moved', room: 'Room B' });
    },
    invalid: async (t) => {
      const s = await newSession(t);
      return {
        query: `mutation ($id: ID!) { updateSession(id: $id, input: { title: "" }) { id } }`,
        variables: { id: s.id },
        target: 'input.title',
        subject: { subgraph: 'events', collection: 'sessions', id: s.id },
      };
    },
  },
  {
    field: 'cancelSession',
    async happy(t) {
      const s = await newSession(t);
      const d = await t.admin(`mutation ($id: ID!) { cancelSession(id: $id, reason: "Speaker ill") { status cancellationReason } }`, { id: s.id });
      expect(d.cancelSession).toEqual({ status: 'CANCELLED', cancellationReason: 'Speaker ill' });
    },
    invalid: async (t) => {
      const s = await newSession(t);
      return {
        query: `mutation ($id: ID!, $reason: String!) { cancelSession(id: $id, reason: $reason) { id } }`,
        variables: { id: s.id, reason: 'x'.repeat(501) },
        target: 'reason',
        subject: { subgraph: 'events', collection: 'sessions', id: s.id },
      };
    },
  },
  {
    field: 'assignSpeakers',
    async happy(t) {
      const s = await newSession(t);
      const ids = [SPEAKER(7).id, SPEAKER(8).id, SPEAKER(7).id];
      const d = await t.admin(`mutation ($id: ID!, $ids: [ID!]!) { assignSpeakers(sessionId: $id, speakerIds: $ids) { speakers { id name } } }`, { id: s.id, ids });
      expect(d.assignSpeakers.speakers).toEqual([SPEAKER(7), SPEAKER(8)].map((u) => ({ id: u.id, name: u.name })));
    },
    invalid: async (t) => {
      const s = await newSession(t);
      return {
        query: `mutation ($id: ID!, $ids: [ID!]!) { assignSpeakers(sessionId: $id, speakerIds: $ids) { id } }`,
        variables: { id: s.id, ids: [SPEAKER(3).id, 'nobody'] },
        target: 'speakerIds.1',
        subject: { subgraph: 'events', collection: 'sessions', id: s.id },
      };
    },
  },
  {
    field: 'register',
    async happy(t) {
      const ev = await publishedEvent(t);
      const who = ATTENDEE(1);
      const d = await t.admin(`mutation ($input: RegisterInput!) { register(input: $input) { status ticketCode waitlistPosition event { id } attendee { id name } } }`, {
        input: { eventId: ev.id, attendeeId: who.id },
      });
      expect(d.register).toMatchObject({ status: 'PENDING', waitlistPosition: null, event: { id: ev.id }, attendee: { id: who.id, name: who.name } });
      expect(d.register.ticketCode).toMatch(TICKET);
    },
    invalid: async (t) => {
      const ev = await publishedEvent(t);
      return { query: `mutation ($input: RegisterInput!) { register(input: $input) { id } }`, variables: { input: { eventId: ev.id, attendeeId: 'someone' } }, target: 'input.attendeeId' };
    },
  },
  {
    field: 'registerBatch',
    async happy(t) {
      const ev = await publishedEvent(t);
      const ids = [ATTENDEE(2).id, ATTENDEE(3).id, ATTENDEE(2).id];
      const d = await t.admin(`mutation ($ev: ID!, $ids: [ID!]!) { registerBatch(eventId: $ev, attendeeIds: $ids) { index registration { attendee { id } status } error { code target } } }`, { ev: ev.id, ids });
      expect(d.registerBatch).toEqual([
        { index: 0, registration: { attendee: { id: ids[0] }, status: 'PENDING' }, error: null },
        { index: 1, registration: { attendee: { id: ids[1] }, status: 'PENDING' }, error: null },
        { index: 2, registration: null, error: { code: 'CONFLICT', target: 'attendeeIds.2' } },
      ]);
    },
    invalid: async (t) => {
      const ev = await publishedEvent(t);
      return { query: `mutation ($ev: ID!) { registerBatch(eventId: $ev, attendeeIds: []) { index } }`, variables: { ev: ev.id }, target: 'attendeeIds' };
    },
  },
  {
    field: 'confirmRegistration',
    async happy(t) {
      const reg = await newRegistration(t);
      const d = await t.admin(`mutation ($id: ID!) { confirmRegistration(id: $id) { id status confirmedAt } }`, { id: reg.id });
      expect(d.confirmRegistration).toMatchObject({ id: reg.id, status: 'CONFIRMED' });
      expect(d.confirmRegistration.confirmedAt).toBeTruthy();
    },
    invalid: () => ({ query: `mutation { confirmRegistration(id: "zzzzzzzzzzzzzzzzzzzzzzzz") { id } }`, target: 'id' }),
  },
  {
    field: 'cancelRegistration',
    async happy(t) {
      const reg = await newRegistration(t);
      const d = await t.admin(`mutation ($id: ID!) { cancelRegistration(id: $id, reason: "Cannot travel") { status cancellationReason } }`, { id: reg.id });
      expect(d.cancelRegistration).toEqual({ status: 'CANCELLED', cancellationReason: 'Cannot travel' });
    },
    invalid: async (t) => {
      const reg = await newRegistration(t);
      return {
        query: `mutation ($id: ID!, $reason: String) { cancelRegistration(id: $id, reason: $reason) { id } }`,
        variables: { id: reg.id, reason: 'y'.repeat(501) },
        target: 'reason',
        subject: { subgraph: 'events', collection: 'registrations', id: reg.id },
      };
    },
  },
  {
    field: 'acceptInvitation',
    async happy(t) {
      const inv = await invitation(t, 20);
      const res = await t.gql(`mutation ($id: ID!) { acceptInvitation(registrationId: $id) { id status waitlistPosition invitation { state answeredAt invitedBy { id } } } }`, { id: inv.id }, { token: inv.attendeeToken });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.acceptInvitation).toMatchObject({ id: inv.id, status: 'PENDING', waitlistPosition: null, invitation: { state: 'ACCEPTED', invitedBy: { id: DEMO_USERS.organizer } } });
      expect(res.body.data.acceptInvitation.invitation.answeredAt).toBeTruthy();
    },
    invalid: () => ({ query: `mutation { acceptInvitation(registrationId: "nope") { id } }`, target: 'registrationId' }),
  },
  {
    field: 'declineInvitation',
    async happy(t) {
      const inv = await invitation(t, 21);
      const res = await t.gql(`mutation ($id: ID!) { declineInvitation(registrationId: $id) { id status cancellationReason invitation { state } } }`, { id: inv.id }, { token: inv.attendeeToken });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.declineInvitation).toEqual({ id: inv.id, status: 'CANCELLED', cancellationReason: 'Invitation declined', invitation: { state: 'DECLINED' } });
    },
    invalid: () => ({ query: `mutation { declineInvitation(registrationId: "nope") { id } }`, target: 'registrationId' }),
  },
  {
    field: 'assignCheckInStaff',
    async happy(t) {
      const ev = await newEvent(t);
      const d = await t.admin(`mutation ($e: ID!, $u: ID!) { assignCheckInStaff(eventId: $e, userId: $u) { id checkInStaff { id name } } }`, { e: ev.id, u: ATTENDEE(22).id });
      expect(d.assignCheckInStaff).toEqual({ id: ev.id, checkInStaff: [{ id: ATTENDEE(22).id, name: ATTENDEE(22).name }] });
    },
    invalid: async (t) => {
      const ev = await newEvent(t);
      return {
        query: `mutation ($e: ID!) { assignCheckInStaff(eventId: $e, userId: "nobody") { id } }`,
        variables: { e: ev.id },
        target: 'userId',
        subject: { subgraph: 'events', collection: 'events', id: ev.id },
      };
    },
  },
  {
    field: 'removeCheckInStaff',
    async happy(t) {
      const ev = await newEvent(t);
      await t.admin(`mutation ($e: ID!, $u: ID!) { assignCheckInStaff(eventId: $e, userId: $u) { id } }`, { e: ev.id, u: ATTENDEE(23).id });
      const d = await t.admin(`mutation ($e: ID!, $u: ID!) { removeCheckInStaff(eventId: $e, userId: $u) { id checkInStaff { id } } }`, { e: ev.id, u: ATTENDEE(23).id });
      expect(d.removeCheckInStaff).toEqual({ id: ev.id, checkInStaff: [] });
    },
    invalid: () => ({ query: `mutation { removeCheckInStaff(eventId: "x", userId: "${ATTENDEE(23).id}") { id } }`, target: 'eventId' }),
  },
  {
    field: 'checkIn',
    async happy(t) {
      const reg = await newRegistration(t);
      const q = `mutation ($code: String) { checkIn(ticketCode: $code) { id method checkedInAt registration { id checkIn { id } } } }`;
      const first = (await t.admin(q, { code: reg.ticketCode.toLowerCase() })).checkIn;
      expect(first).toMatchObject({ method: 'TICKET_CODE', registration: { id: reg.id, checkIn: { id: first.id } } });
      const again = (await t.admin(q, { code: reg.ticketCode })).checkIn;
      expect(again).toEqual(first);
    },
    invalid: async (t) => {
      const reg = await newRegistration(t);
      return {
        query: `mutation ($id: ID, $code: String) { checkIn(registrationId: $id, ticketCode: $code) { id } }`,
        variables: { id: reg.id, code: reg.ticketCode },
        target: 'ticketCode',
        subject: { subgraph: 'events', collection: 'registrations', id: reg.id },
      };
    },
  },
  {
    field: 'bulkCheckIn',
    async happy(t) {
      const a = await newRegistration(t);
      const b = await newRegistration(t);
      const d = await t.admin(`mutation ($items: [CheckInItem!]!) { bulkCheckIn(items: $items) { index checkIn { method registration { id } } error { code target } } }`, {
        items: [{ registrationId: a.id }, { ticketCode: b.ticketCode }, { ticketCode: 'TCK-AAAAAAAAAAAAAAAA' }],
      });
      expect(d.bulkCheckIn).toEqual([
        { index: 0, checkIn: { method: 'REGISTRATION_ID', registration: { id: a.id } }, error: null },
        { index: 1, checkIn: { method: 'TICKET_CODE', registration: { id: b.id } }, error: null },
        { index: 2, checkIn: null, error: { code: 'RESOURCE_NOT_FOUND', target: 'items.2.ticketCode' } },
      ]);
    },
    invalid: () => ({ query: `mutation { bulkCheckIn(items: []) { index } }`, target: 'items' }),
  },
];

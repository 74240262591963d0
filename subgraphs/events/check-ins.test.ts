/** Check-ins: idempotency (also under concurrency), ticket codes, refused states, bulk check-in. */
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { userPrincipal } from '../kit/testing.js';
import { assignStaff, callers, expectError, newUserId, ok, outboxCount, publishedEvent as published, register, serveEvents, type EventsTestSubgraph } from './testing.js';

let t: EventsTestSubgraph;
const who = callers();

serveEvents((s) => (t = s));

const user = () => userPrincipal(newUserId(), { scopes: ['events:read'] });
const CHECK_IN = 'mutation($id: ID, $code: String) { checkIn(registrationId: $id, ticketCode: $code) { id checkedInAt method registration { id status checkIn { id } event { checkInCount } } } }';
const BULK = 'mutation($items: [CheckInItem!]!) { bulkCheckIn(items: $items) { index checkIn { id registration { id } } error { code target } } }';

/** A published event of `who.organizer` with `who.staff` as its check-in staff. */
async function publishedEvent(_: EventsTestSubgraph, organizer: typeof who.organizer) {
  const ev = await published(t, organizer);
  await assignStaff(t, organizer, ev.id, who.staff);
  return ev;
}

async function freshRegistration(ev: Record<string, any>) {
  return ok(await register(t, user(), ev.id)).register as Record<string, any>;
}

describe('checkIn', () => {
  it('checks in by registration id once and answers the same CheckIn afterwards', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const reg = await freshRegistration(ev);
    const first = ok(await t.call(CHECK_IN, { id: reg.id }, who.staff)).checkIn;
    expect(first).toMatchObject({ method: 'REGISTRATION_ID', registration: { id: reg.id, checkIn: { id: first.id }, event: { checkInCount: 1 } } });
    const again = ok(await t.call(CHECK_IN, { id: reg.id }, who.staff)).checkIn;
    expect(again.id).toBe(first.id);
    expect(again.checkedInAt).toBe(first.checkedInAt);
    const events = await t.conn.collection('outbox').find({ topic: `checkins:${ev.id}` }).toArray();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'checkin.completed', payload: { id: first.id, registrationId: reg.id, eventId: ev.id, checkedInAt: first.checkedInAt, method: 'REGISTRATION_ID' } });
  });

  it('creates one CheckIn and one event for 10 concurrent duplicates', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const reg = await freshRegistration(ev);
    const results = await Promise.all(Array.from({ length: 10 }, () => t.call(CHECK_IN, { id: reg.id }, who.staff)));
    const ids = new Set(results.map((r) => ok(r).checkIn.id));
    expect(ids.size).toBe(1);
    expect(await t.conn.collection('checkins').countDocuments({ registrationId: new Types.ObjectId(reg.id) })).toBe(1);
    expect(await outboxCount(t, `checkins:${ev.id}`, 'checkin.completed')).toBe(1);
  });

  it('checks in by ticket code (case-insensitive)', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const reg = await freshRegistration(ev);
    const ci = ok(await t.call(CHECK_IN, { code: reg.ticketCode.toLowerCase() }, who.staff)).checkIn;
    expect(ci).toMatchObject({ method: 'TICKET_CODE', registration: { id: reg.id } });
    expect(ok(await t.call(CHECK_IN, { id: reg.id }, who.staff)).checkIn.id).toBe(ci.id);
  });

  it('refuses bad input, unknown tickets, cancelled registrations and unpublished events', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const reg = await freshRegistration(ev);
    expectError(await t.call(CHECK_IN, {}, who.staff), 'BAD_USER_INPUT', 'registrationId');
    expectError(await t.call(CHECK_IN, { id: reg.id, code: reg.ticketCode }, who.staff), 'BAD_USER_INPUT', 'ticketCode');
    expectError(await t.call(CHECK_IN, { id: 'x' }, who.staff), 'BAD_USER_INPUT', 'registrationId');
    expectError(await t.call(CHECK_IN, { code: 'guess' }, who.staff), 'BAD_USER_INPUT', 'ticketCode');
    expectError(await t.call(CHECK_IN, { code: 'TCK-AAAAAAAAAAAAAAAA' }, who.staff), 'RESOURCE_NOT_FOUND', 'ticketCode');
    expectError(await t.call(CHECK_IN, { id: reg.id }, who.attendee), 'FORBIDDEN');

    const cancelled = await freshRegistration(ev);
    ok(await t.call('mutation($id: ID!) { cancelRegistration(id: $id) { id } }', { id: cancelled.id }, who.organizer));
    expectError(await t.call(CHECK_IN, { id: cancelled.id }, who.staff), 'INVALID_STATE_TRANSITION', 'registrationId');

    ok(await t.call('mutation($id: ID!) { cancelEvent(id: $id, reason: "Storm") { id } }', { id: ev.id }, who.organizer));
    expectError(await t.call(CHECK_IN, { code: reg.ticketCode }, who.staff), 'INVALID_STATE_TRANSITION', 'ticketCode');
    expect(await outboxCount(t, `checkins:${ev.id}`)).toBe(0);
  });

  it('keeps a checked-in registration from being cancelled', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const reg = await freshRegistration(ev);
    ok(await t.call(CHECK_IN, { id: reg.id }, who.staff));
    expectError(await t.call('mutation($id: ID!) { cancelRegistration(id: $id) { id } }', { id: reg.id }, who.organizer), 'INVALID_STATE_TRANSITION', 'id');
  });
});

describe('bulkCheckIn', () => {
  it('checks in each item on its own, by id or code, idempotently', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const [a, b] = [await freshRegistration(ev), await freshRegistration(ev)];
    const items = [{ registrationId: a.id }, { ticketCode: b.ticketCode }, { registrationId: 'bad' }, { ticketCode: 'TCK-AAAAAAAAAAAAAAAA' }, { registrationId: a.id }, {}];
    const r = ok(await t.call(BULK, { items }, who.staff)).bulkCheckIn;
    expect(r.map((x: { index: number }) => x.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r[0].checkIn.registration.id).toBe(a.id);
    expect(r[1].checkIn.registration.id).toBe(b.id);
    expect(r[2]).toMatchObject({ checkIn: null, error: { code: 'BAD_USER_INPUT', target: 'items.2.registrationId' } });
    expect(r[3]).toMatchObject({ checkIn: null, error: { code: 'RESOURCE_NOT_FOUND', target: 'items.3.ticketCode' } });
    expect(r[4].checkIn.id).toBe(r[0].checkIn.id);
    expect(r[5]).toMatchObject({ checkIn: null, error: { code: 'BAD_USER_INPUT', target: 'items.5.registrationId' } });
    expect(await outboxCount(t, `checkins:${ev.id}`, 'checkin.completed')).toBe(2);
    expectError(await t.call(BULK, { items: [] }, who.staff), 'BAD_USER_INPUT', 'items');
  });
});

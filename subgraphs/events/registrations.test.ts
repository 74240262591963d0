/** Registrations: ticket codes, capacity and waitlist, batch, confirm, cancel, object-level rules. */
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { userPrincipal } from '../kit/testing.js';
import { REG_FIELDS, callers, createEvent, expectError, newUserId, ok, outboxCount, publishedEvent, register, serveEvents, type EventsTestSubgraph } from './testing.js';

let t: EventsTestSubgraph;
const who = callers();

serveEvents((s) => (t = s));

const user = () => userPrincipal(newUserId(), { scopes: ['events:read'] });
const CANCEL = `mutation($id: ID!, $reason: String) { cancelRegistration(id: $id, reason: $reason) { ${REG_FIELDS} } }`;
const CONFIRM = `mutation($id: ID!) { confirmRegistration(id: $id) { ${REG_FIELDS} } }`;
const COUNTS = 'query($id: ID!) { event(id: $id) { registeredCount waitlistCount spotsLeft } }';

describe('register', () => {
  it('registers the caller with an unguessable ticket code and records registration.created', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const reg = ok(await register(t, who.attendee, ev.id)).register;
    expect(reg).toMatchObject({ status: 'PENDING', waitlistPosition: null, attendee: { id: who.attendeeId }, event: { id: ev.id }, checkIn: null });
    expect(reg.ticketCode).toMatch(/^TCK-[A-Z2-7]{16}$/);
    const other = ok(await register(t, user(), ev.id)).register;
    expect(other.ticketCode).not.toBe(reg.ticketCode);
    expect(await outboxCount(t, `registrations:${ev.id}`, 'registration.created')).toBe(2);
    const stored = await t.conn.collection('outbox').findOne({ topic: `registrations:${ev.id}` });
    expect(JSON.stringify(stored?.payload)).not.toContain(reg.ticketCode);
  });

  it('refuses duplicates, unpublished events, bad ids and registering others without rights', async () => {
    const ev = await publishedEvent(t, who.organizer);
    ok(await register(t, who.attendee, ev.id));
    const seqOf = async () => (await t.conn.collection('events').findOne({ _id: new Types.ObjectId(ev.id) }))?.registrationSeq;
    const before = await seqOf();
    expectError(await register(t, who.attendee, ev.id), 'CONFLICT', 'input.attendeeId');
    // The refused registration rolled back its whole transaction, including the event lock bump.
    expect(await seqOf()).toBe(before);
    const draft = await createEvent(t, who.organizer);
    expectError(await register(t, who.attendee, draft.id), 'RESOURCE_NOT_FOUND', 'input.eventId');
    expectError(await register(t, who.organizer, draft.id), 'INVALID_STATE_TRANSITION', 'input.eventId');
    expectError(await register(t, who.attendee, 'nope'), 'BAD_USER_INPUT', 'input.eventId');
    expectError(await register(t, who.attendee, ev.id, 'nope'), 'BAD_USER_INPUT', 'input.attendeeId');
    expectError(await register(t, who.stranger, ev.id, newUserId()), 'FORBIDDEN', 'input.attendeeId');
    const onBehalf = ok(await register(t, who.organizer, ev.id, newUserId())).register;
    expect(onBehalf.status).toBe('PENDING');
  });

  it('waitlists once capacity is reached; cancelling promotes the first in line', async () => {
    const ev = await publishedEvent(t, who.organizer, { capacity: 2 });
    const holders = [ok(await register(t, user(), ev.id)).register, ok(await register(t, user(), ev.id)).register];
    const waiting = [ok(await register(t, user(), ev.id)).register, ok(await register(t, user(), ev.id)).register];
    expect(holders.map((r) => r.waitlistPosition)).toEqual([null, null]);
    expect(waiting.map((r) => [r.status, r.waitlistPosition])).toEqual([['PENDING', 1], ['PENDING', 2]]);
    expect(ok(await t.call(COUNTS, { id: ev.id })).event).toEqual({ registeredCount: 2, waitlistCount: 2, spotsLeft: 0 });
    expectError(await t.call(CONFIRM, { id: waiting[0].id }, who.organizer), 'INVALID_STATE_TRANSITION', 'id');

    const cancelled = ok(await t.call(CANCEL, { id: holders[0].id, reason: 'Cannot attend' }, who.organizer)).cancelRegistration;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', cancellationReason: 'Cannot attend' });
    const promoted = ok(await t.call(`query($a: ID!, $b: ID!) { a: registration(id: $a) { waitlistPosition } b: registration(id: $b) { waitlistPosition } }`, { a: waiting[0].id, b: waiting[1].id }, who.organizer));
    expect(promoted).toEqual({ a: { waitlistPosition: null }, b: { waitlistPosition: 1 } });
    expect(await outboxCount(t, `registrations:${ev.id}`, 'registration.promoted')).toBe(1);
    expect(ok(await t.call(COUNTS, { id: ev.id })).event).toEqual({ registeredCount: 2, waitlistCount: 1, spotsLeft: 0 });

    // Raising the capacity hands the new spot to the waitlist too.
    ok(await t.call('mutation($id: ID!) { updateEvent(id: $id, input: { capacity: 3 }) { id } }', { id: ev.id }, who.organizer));
    expect(ok(await t.call(COUNTS, { id: ev.id })).event).toEqual({ registeredCount: 3, waitlistCount: 0, spotsLeft: 0 });
    expectError(await t.call('mutation($id: ID!) { updateEvent(id: $id, input: { capacity: 1 }) { id } }', { id: ev.id }, who.organizer), 'BAD_USER_INPUT', 'input.capacity');
  });

  it('never hands out more spots than the capacity under concurrent registrations', async () => {
    const ev = await publishedEvent(t, who.organizer, { capacity: 3 });
    const results = await Promise.all(Array.from({ length: 8 }, () => register(t, user(), ev.id)));
    const regs = results.map((r) => ok(r).register);
    expect(regs.filter((r) => r.waitlistPosition === null)).toHaveLength(3);
    expect(regs.map((r) => r.waitlistPosition).filter((p) => p !== null).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('registerBatch', () => {
  it('reports each item on its own; one bad item does not fail the others', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const ids = [newUserId(), 'not-an-id', newUserId(), newUserId(), newUserId()];
    await t.addUsers([ids[0]!, ids[2]!]);
    await t.addUsers([ids[4]!], { erased: true });
    ok(await register(t, who.organizer, ev.id, ids[2]));
    const r = ok(await t.call(`mutation($e: ID!, $ids: [ID!]!) { registerBatch(eventId: $e, attendeeIds: $ids) { index registration { id attendee { id } invitation { state } } error { code message target } } }`, { e: ev.id, ids }, who.organizer)).registerBatch;
    expect(r[0]).toMatchObject({ index: 0, registration: { attendee: { id: ids[0] }, invitation: { state: 'PENDING' } }, error: null });
    expect(r[1]).toMatchObject({ index: 1, registration: null, error: { code: 'BAD_USER_INPUT', target: 'attendeeIds.1' } });
    expect(r[2]).toMatchObject({ index: 2, registration: null, error: { code: 'CONFLICT', target: 'attendeeIds.2' } });
    expect(r[3]).toMatchObject({ index: 3, registration: null, error: { code: 'RESOURCE_NOT_FOUND', target: 'attendeeIds.3' } });
    expect(r[4]).toMatchObject({ index: 4, registration: null, error: { code: 'INVALID_STATE_TRANSITION', target: 'attendeeIds.4' } });
    expect(await t.conn.collection('registrations').countDocuments({ eventId: new Types.ObjectId(ev.id) })).toBe(2);
    expectError(await t.call(`mutation($e: ID!) { registerBatch(eventId: $e, attendeeIds: []) { index } }`, { e: ev.id }, who.organizer), 'BAD_USER_INPUT', 'attendeeIds');
    const many = Array.from({ length: 101 }, newUserId);
    expectError(await t.call(`mutation($e: ID!, $ids: [ID!]!) { registerBatch(eventId: $e, attendeeIds: $ids) { index } }`, { e: ev.id, ids: many }, who.organizer), 'BAD_USER_INPUT', 'attendeeIds');
  });
});

describe('confirm and cancel', () => {
  it('confirms (idempotently) and cancels with the right callers, recording events', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const reg = ok(await register(t, who.attendee, ev.id)).register;
    expectError(await t.call(CONFIRM, { id: reg.id }, who.attendee), 'FORBIDDEN');
    expectError(await t.call(CONFIRM, { id: 'x' }, who.organizer), 'BAD_USER_INPUT', 'id');
    expectError(await t.call(CANCEL, { id: 'x' }, who.organizer), 'BAD_USER_INPUT', 'id');
    expect(ok(await t.call(CONFIRM, { id: reg.id }, who.organizer)).confirmRegistration.status).toBe('CONFIRMED');
    expect(ok(await t.call(CONFIRM, { id: reg.id }, who.organizer)).confirmRegistration.status).toBe('CONFIRMED');
    expect(await outboxCount(t, `registrations:${ev.id}`, 'registration.confirmed')).toBe(1);
    expectError(await t.call(CANCEL, { id: reg.id }, who.stranger), 'RESOURCE_NOT_FOUND', 'id');
    expectError(await t.call(CANCEL, { id: reg.id, reason: 'x'.repeat(501) }, who.attendee), 'BAD_USER_INPUT', 'reason');
    expect(ok(await t.call(CANCEL, { id: reg.id }, who.attendee)).cancelRegistration.status).toBe('CANCELLED');
    expectError(await t.call(CANCEL, { id: reg.id }, who.attendee), 'INVALID_STATE_TRANSITION', 'id');
    expectError(await t.call(CONFIRM, { id: reg.id }, who.organizer), 'INVALID_STATE_TRANSITION', 'id');
    expect(await outboxCount(t, `registrations:${ev.id}`, 'registration.cancelled')).toBe(1);
    // Once cancelled, the attendee may register again.
    expect(ok(await register(t, who.attendee, ev.id)).register.status).toBe('PENDING');
  });
});

describe('object-level rules', () => {
  it('shows registrations to the attendee, the organizer and registrations:read holders only', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const reg = ok(await register(t, who.attendee, ev.id)).register;
    const ONE = 'query($id: ID!) { registration(id: $id) { id ticketCode } }';
    for (const p of [who.attendee, who.organizer, who.reader, who.admin]) expect(ok(await t.call(ONE, { id: reg.id }, p)).registration.id).toBe(reg.id);
    for (const p of [who.stranger, who.otherOrganizer]) expect(ok(await t.call(ONE, { id: reg.id }, p)).registration).toBeNull();

    const LIST = 'query($id: ID!) { event(id: $id) { registrations(first: 10, status: PENDING) { totalCount edges { node { id } } } } }';
    for (const p of [who.organizer, who.reader, who.admin]) expect(ok(await t.call(LIST, { id: ev.id }, p)).event.registrations.totalCount).toBe(1);
    expectError(await t.call(LIST, { id: ev.id }, who.stranger), 'FORBIDDEN');
    expectError(await t.call(LIST, { id: ev.id }, who.attendee), 'FORBIDDEN');
    expectError(await t.call(LIST, { id: ev.id }), 'UNAUTHENTICATED');
  });
});

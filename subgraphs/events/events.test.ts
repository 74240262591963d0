/** Event and session mutations: happy paths, invalid input with targets, transitions, object rules, outbox. */
import { Types } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { EVENT_FIELDS, callers, createEvent, eventInput, expectError, newUserId, ok, outboxCount, publishedEvent, serveEvents, type EventsTestSubgraph } from './testing.js';

let t: EventsTestSubgraph;
const who = callers();

serveEvents((s) => (t = s));

const CREATE = `mutation($input: CreateEventInput!) { createEvent(input: $input) { ${EVENT_FIELDS} venue { name onlineUrl } parent { id } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateEventInput!) { updateEvent(id: $id, input: $input) { ${EVENT_FIELDS} } }`;
const CANCEL = `mutation($id: ID!, $reason: String!) { cancelEvent(id: $id, reason: $reason) { ${EVENT_FIELDS} } }`;
const SESSION_FIELDS = 'id title startsAt endsAt room status cancellationReason speakers { id } event { id }';

describe('createEvent', () => {
  it('creates a draft organized by the caller and records event.created', async () => {
    const r = await t.call(CREATE, { input: eventInput({ title: '  Launch party  ', capacity: 50, timezone: 'Europe/Berlin', venue: { name: 'Loft', onlineUrl: 'https://meet.example.com/x' } }) }, who.organizer);
    const ev = ok(r).createEvent;
    expect(ev).toMatchObject({ title: 'Launch party', status: 'DRAFT', capacity: 50, timezone: 'Europe/Berlin', spotsLeft: 50, organizer: { id: who.organizerId }, venue: { name: 'Loft', onlineUrl: 'https://meet.example.com/x' } });
    expect(ev.startsAt).toBe('2030-01-01T09:00:00.000Z');
    expect(await outboxCount(t, `event:${ev.id}`, 'event.created')).toBe(1);
  });

  it.each([
    [{ title: '' }, 'input.title'],
    [{ title: 'x'.repeat(201) }, 'input.title'],
    [{ endsAt: '2030-01-01T08:00:00Z' }, 'input.endsAt'],
    [{ capacity: -1 }, 'input.capacity'],
    [{ timezone: 'Mars/Olympus' }, 'input.timezone'],
    [{ venue: { onlineUrl: 'ftp://example.com' } }, 'input.venue.onlineUrl'],
    [{ parentId: 'nope' }, 'input.parentId'],
  ])('refuses %j with BAD_USER_INPUT at its field', async (bad, target) => {
    expectError(await t.call(CREATE, { input: eventInput(bad) }, who.organizer), 'BAD_USER_INPUT', target);
  });

  it('refuses a date-time without offset', async () => {
    expectError(await t.call(CREATE, { input: eventInput({ startsAt: '2030-01-01 09:00' }) }, who.organizer), 'BAD_USER_INPUT');
  });

  it('needs events:write, and only admins may name another organizer', async () => {
    expectError(await t.call(CREATE, { input: eventInput() }, who.stranger), 'FORBIDDEN');
    expectError(await t.call(CREATE, { input: eventInput({ organizerId: newUserId() }) }, who.organizer), 'FORBIDDEN', 'input.organizerId');
    const other = newUserId();
    // The organizer must exist in the people subgraph: nothing is created for someone unknown.
    expectError(await t.call(CREATE, { input: eventInput({ organizerId: other, title: 'For nobody' }) }, who.admin), 'RESOURCE_NOT_FOUND', 'input.organizerId');
    expect(await t.conn.collection('events').countDocuments({ title: 'For nobody' })).toBe(0);
    await t.addUsers([other]);
    expect(ok(await t.call(CREATE, { input: eventInput({ organizerId: other }) }, who.admin)).createEvent.organizer.id).toBe(other);
  });

  it('creates sub-events of a series but no deeper nesting', async () => {
    const parent = await createEvent(t, who.organizer);
    const child = ok(await t.call(CREATE, { input: eventInput({ parentId: parent.id }) }, who.organizer)).createEvent;
    expect(child.parent.id).toBe(parent.id);
    expectError(await t.call(CREATE, { input: eventInput({ parentId: child.id }) }, who.organizer), 'BAD_USER_INPUT', 'input.parentId');
    // Another organizer does not see the draft series at all; once published, may still not extend it.
    expectError(await t.call(CREATE, { input: eventInput({ parentId: parent.id }) }, who.otherOrganizer), 'RESOURCE_NOT_FOUND', 'input.parentId');
    ok(await t.call('mutation($id: ID!) { publishEvent(id: $id) { id } }', { id: parent.id }, who.organizer));
    expectError(await t.call(CREATE, { input: eventInput({ parentId: parent.id }) }, who.otherOrganizer), 'FORBIDDEN', 'input.parentId');
    const q = await t.call('query($id: ID!) { event(id: $id) { subEvents { id } } }', { id: parent.id }, who.organizer);
    expect(ok(q).event.subEvents).toEqual([{ id: child.id }]);
  });
});

describe('updateEvent, publishEvent, cancelEvent', () => {
  it('updates details, checks the merged date range, and records event.updated', async () => {
    const ev = await createEvent(t, who.organizer);
    const r = ok(await t.call(UPDATE, { id: ev.id, input: { title: 'Renamed', capacity: null, endsAt: '2030-01-01T12:00:00+01:00' } }, who.organizer)).updateEvent;
    expect(r).toMatchObject({ title: 'Renamed', capacity: null, spotsLeft: null, endsAt: '2030-01-01T11:00:00.000Z' });
    expect(await outboxCount(t, `event:${ev.id}`, 'event.updated')).toBe(1);
    expectError(await t.call(UPDATE, { id: ev.id, input: { startsAt: '2030-01-02T00:00:00Z' } }, who.organizer), 'BAD_USER_INPUT', 'input.startsAt');
    expectError(await t.call(UPDATE, { id: ev.id, input: { title: null } }, who.organizer), 'BAD_USER_INPUT', 'input.title');
    expectError(await t.call(UPDATE, { id: ev.id, input: { capacity: 2.5 } }, who.organizer), 'BAD_USER_INPUT');
    expectError(await t.call(UPDATE, { id: 'bad', input: {} }, who.organizer), 'BAD_USER_INPUT', 'id');
  });

  it('lets only the organizer or an admin change the event', async () => {
    const ev = await publishedEvent(t, who.organizer);
    expectError(await t.call(UPDATE, { id: ev.id, input: { title: 'Hijack' } }, who.otherOrganizer), 'FORBIDDEN');
    expect(ok(await t.call(UPDATE, { id: ev.id, input: { title: 'By admin' } }, who.admin)).updateEvent.title).toBe('By admin');
  });

  it('moves DRAFT → PUBLISHED → CANCELLED only, with a reason', async () => {
    const ev = await createEvent(t, who.organizer);
    expectError(await t.call(CANCEL, { id: ev.id, reason: 'x' }, who.organizer), 'INVALID_STATE_TRANSITION', 'id');
    const published = ok(await t.call(`mutation($id: ID!) { publishEvent(id: $id) { status } }`, { id: ev.id }, who.organizer)).publishEvent;
    expect(published.status).toBe('PUBLISHED');
    expectError(await t.call(`mutation($id: ID!) { publishEvent(id: $id) { status } }`, { id: ev.id }, who.organizer), 'INVALID_STATE_TRANSITION', 'id');
    expectError(await t.call(CANCEL, { id: ev.id, reason: '   ' }, who.organizer), 'BAD_USER_INPUT', 'reason');
    const cancelled = ok(await t.call(CANCEL, { id: ev.id, reason: 'Venue flooded' }, who.organizer)).cancelEvent;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', cancellationReason: 'Venue flooded' });
    expectError(await t.call(UPDATE, { id: ev.id, input: { title: 'Again' } }, who.organizer), 'INVALID_STATE_TRANSITION');
    const types = await t.conn.collection('outbox').find({ topic: `event:${ev.id}` }).sort({ seq: 1 }).map((d) => d.type).toArray();
    expect(types).toEqual(['event.created', 'event.published', 'event.cancelled']);
  });
});

describe('sessions', () => {
  const CREATE_SESSION = `mutation($input: CreateSessionInput!) { createSession(input: $input) { ${SESSION_FIELDS} } }`;

  it('creates, updates, re-staffs and cancels a session, recording session events', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const speaker = newUserId();
    const keynote = { eventId: ev.id, title: 'Keynote', startsAt: '2030-01-01T09:00:00Z', endsAt: '2030-01-01T10:00:00Z' };
    // Speakers must exist in the people subgraph and not be erased; nothing is written otherwise.
    expectError(await t.call(CREATE_SESSION, { input: { ...keynote, speakerIds: [speaker] } }, who.organizer), 'RESOURCE_NOT_FOUND', 'input.speakerIds.0');
    const erased = newUserId();
    await t.addUsers([erased], { erased: true });
    expectError(await t.call(CREATE_SESSION, { input: { ...keynote, speakerIds: [erased] } }, who.organizer), 'INVALID_STATE_TRANSITION', 'input.speakerIds.0');
    expect(await t.conn.collection('sessions').countDocuments({ eventId: new Types.ObjectId(ev.id) })).toBe(0);
    await t.addUsers([speaker]);
    const s = ok(await t.call(CREATE_SESSION, { input: { eventId: ev.id, title: 'Keynote', startsAt: '2030-01-01T09:00:00Z', endsAt: '2030-01-01T10:00:00Z', room: 'Hall 1', speakerIds: [speaker, speaker] } }, who.organizer)).createSession;
    expect(s).toMatchObject({ title: 'Keynote', room: 'Hall 1', status: 'SCHEDULED', speakers: [{ id: speaker }], event: { id: ev.id } });
    const moved = ok(await t.call(`mutation($id: ID!, $input: UpdateSessionInput!) { updateSession(id: $id, input: $input) { ${SESSION_FIELDS} } }`, { id: s.id, input: { endsAt: '2030-01-01T10:30:00Z' } }, who.organizer)).updateSession;
    expect(moved.endsAt).toBe('2030-01-01T10:30:00.000Z');
    const speakers = [newUserId(), newUserId()];
    expectError(await t.call(`mutation($id: ID!, $ids: [ID!]!) { assignSpeakers(sessionId: $id, speakerIds: $ids) { id } }`, { id: s.id, ids: speakers }, who.organizer), 'RESOURCE_NOT_FOUND', 'speakerIds.0');
    await t.addUsers(speakers);
    const staffed = ok(await t.call(`mutation($id: ID!, $ids: [ID!]!) { assignSpeakers(sessionId: $id, speakerIds: $ids) { speakers { id } } }`, { id: s.id, ids: speakers }, who.organizer)).assignSpeakers;
    expect(staffed.speakers.map((u: { id: string }) => u.id)).toEqual(speakers);
    const cancelled = ok(await t.call(`mutation($id: ID!) { cancelSession(id: $id, reason: "Speaker ill") { status cancellationReason } }`, { id: s.id }, who.organizer)).cancelSession;
    expect(cancelled).toEqual({ status: 'CANCELLED', cancellationReason: 'Speaker ill' });
    expectError(await t.call(`mutation($id: ID!) { cancelSession(id: $id, reason: "again") { id } }`, { id: s.id }, who.organizer), 'INVALID_STATE_TRANSITION');
    const types = await t.conn.collection('outbox').find({ topic: `sessions:${ev.id}` }).sort({ seq: 1 }).map((d) => d.type).toArray();
    expect(types).toEqual(['session.created', 'session.updated', 'session.updated', 'session.cancelled']);
    const listed = ok(await t.call('query($id: ID!) { event(id: $id) { sessions { id status } } session(id: "000000000000000000000000") { id } }', { id: ev.id })).event;
    expect(listed.sessions).toEqual([{ id: s.id, status: 'CANCELLED' }]);
  });

  it('refuses invalid sessions with the field path', async () => {
    const ev = await publishedEvent(t, who.organizer);
    const base = { eventId: ev.id, title: 'Talk', startsAt: '2030-01-01T09:00:00Z', endsAt: '2030-01-01T10:00:00Z' };
    expectError(await t.call(CREATE_SESSION, { input: { ...base, title: '' } }, who.organizer), 'BAD_USER_INPUT', 'input.title');
    expectError(await t.call(CREATE_SESSION, { input: { ...base, endsAt: '2030-01-01T08:00:00Z' } }, who.organizer), 'BAD_USER_INPUT', 'input.endsAt');
    expectError(await t.call(CREATE_SESSION, { input: { ...base, startsAt: '2029-12-31T09:00:00Z' } }, who.organizer), 'BAD_USER_INPUT', 'input.startsAt');
    expectError(await t.call(CREATE_SESSION, { input: { ...base, speakerIds: [newUserId(), 'zzz'] } }, who.organizer), 'BAD_USER_INPUT', 'input.speakerIds.1');
    expectError(await t.call(CREATE_SESSION, { input: { ...base, eventId: 'zzz' } }, who.organizer), 'BAD_USER_INPUT', 'input.eventId');
    expectError(await t.call(CREATE_SESSION, { input: base }, who.otherOrganizer), 'FORBIDDEN');
    expectError(await t.call(`mutation { assignSpeakers(sessionId: "000000000000000000000000", speakerIds: []) { id } }`, {}, who.organizer), 'RESOURCE_NOT_FOUND', 'sessionId');

    const s = ok(await t.call(CREATE_SESSION, { input: base }, who.organizer)).createSession;
    const UPDATE_SESSION = 'mutation($id: ID!, $input: UpdateSessionInput!) { updateSession(id: $id, input: $input) { id } }';
    expectError(await t.call(UPDATE_SESSION, { id: s.id, input: { title: '  ' } }, who.organizer), 'BAD_USER_INPUT', 'input.title');
    expectError(await t.call(UPDATE_SESSION, { id: s.id, input: { endsAt: '2030-01-02T10:00:00Z' } }, who.organizer), 'BAD_USER_INPUT', 'input.endsAt');
    expectError(await t.call(UPDATE_SESSION, { id: s.id, input: { room: 'r'.repeat(101) } }, who.organizer), 'BAD_USER_INPUT', 'input.room');
    expectError(await t.call(UPDATE_SESSION, { id: 'x', input: {} }, who.organizer), 'BAD_USER_INPUT', 'id');
    expectError(await t.call('mutation($id: ID!) { cancelSession(id: $id, reason: "") { id } }', { id: s.id }, who.organizer), 'BAD_USER_INPUT', 'reason');
    expectError(await t.call('mutation($id: ID!, $ids: [ID!]!) { assignSpeakers(sessionId: $id, speakerIds: $ids) { id } }', { id: s.id, ids: ['x'] }, who.organizer), 'BAD_USER_INPUT', 'speakerIds.0');
    expectError(await t.call('mutation { publishEvent(id: "x") { id } }', {}, who.organizer), 'BAD_USER_INPUT', 'id');
  });
});

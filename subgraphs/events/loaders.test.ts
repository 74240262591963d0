/**
 * No N+1: nested lists cost the same number of database commands for 10 items as for 50 or 100,
 * counted with the driver's command monitoring.
 */
import { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsModels } from './models.js';
import { newTicketCode } from './service-registrations.js';
import { callers, ok, startEvents, type EventsTestSubgraph } from './testing.js';

let t: EventsTestSubgraph;
const who = callers();
const HOUR = 3_600_000;
const eventIds: Types.ObjectId[] = [];
const registrationIds: Types.ObjectId[] = [];
let bigEventId: Types.ObjectId;

beforeAll(async () => {
  t = await startEvents();
  const m = eventsModels(t.conn);
  const now = new Date();
  const organizerId = new Types.ObjectId(who.organizerId);
  const base = { description: null, timezone: 'UTC', capacity: 500, venue: null, organizerId, organizationId: null, cancellationReason: null, publishedAt: now, cancelledAt: null, registrationSeq: 0, createdAt: now, updatedAt: now };
  const ids = Array.from({ length: 60 }, () => new Types.ObjectId());
  // Every fifth event is a sub-event of the one before it, so parent and subEvents resolve too.
  const events = ids.map((_id, i) => {
    const startsAt = new Date(Date.UTC(2031, 0, 1) + i * 24 * HOUR);
    return { ...base, _id, title: `Event ${i}`, status: 'PUBLISHED' as const, startsAt, endsAt: new Date(startsAt.getTime() + 8 * HOUR), parentId: i % 5 === 4 ? ids[i - 1]! : null };
  });
  eventIds.push(...events.map((e) => e._id));
  bigEventId = events[0]!._id;
  await m.Event.insertMany(events, { lean: true });
  await m.Session.insertMany(
    events.flatMap((ev) =>
      [0, 1, 2].map((k) => ({ _id: new Types.ObjectId(), eventId: ev._id, title: `Talk ${k}`, description: null, startsAt: new Date(ev.startsAt.getTime() + k * HOUR), endsAt: new Date(ev.startsAt.getTime() + (k + 1) * HOUR), room: null, status: 'SCHEDULED', cancellationReason: null, speakerIds: [new Types.ObjectId(), new Types.ObjectId()], createdAt: now, updatedAt: now })),
    ),
    { lean: true },
  );
  // 100 registrations on one event, and one on each of 50 others; every other one checked in.
  const regs = [...Array.from({ length: 100 }, () => bigEventId), ...eventIds.slice(1, 51)].map((eventId, i) => {
    const attendeeId = new Types.ObjectId();
    return { _id: new Types.ObjectId(), eventId, attendeeId, status: 'CONFIRMED', ticketCode: newTicketCode(), waitlisted: false, queueSeq: i, activeKey: `${eventId.toHexString()}:${attendeeId.toHexString()}`, cancellationReason: null, confirmedAt: now, cancelledAt: null, checkedInAt: i % 2 ? now : null, createdAt: now, updatedAt: now };
  });
  registrationIds.push(...regs.map((r) => r._id));
  await m.Registration.insertMany(regs, { lean: true });
  await m.CheckIn.insertMany(
    regs.filter((r) => r.checkedInAt).map((r) => ({ _id: new Types.ObjectId(), registrationId: r._id, eventId: r.eventId, attendeeId: r.attendeeId, checkedInAt: now, method: 'REGISTRATION_ID', checkedInBy: null })),
    { lean: true },
  );
});
afterAll(async () => {
  await t?.stop();
});

/** Runs the operation and answers how many database commands it sent. */
async function commandsFor(query: string, variables: Record<string, unknown>): Promise<number> {
  t.commands.length = 0;
  ok(await t.call(query, variables, who.organizer));
  return t.commands.length;
}

describe('no N+1', () => {
  it('lists events with sessions, speakers, counts and relations in a constant number of commands', async () => {
    const q = `query($first: Int) { events(first: $first) { totalCount edges { node {
      id title checkInCount registeredCount waitlistCount spotsLeft parent { id } subEvents { id }
      sessions { id title speakers { id } event { id title } }
    } } } }`;
    const ten = await commandsFor(q, { first: 10 });
    const fifty = await commandsFor(q, { first: 50 });
    expect(fifty).toBe(ten);
    expect(ten).toBeLessThanOrEqual(7);
  });

  it("lists an event's registrations with event, check-in and waitlist in a constant number of commands", async () => {
    const q = `query($id: ID!, $first: Int) { event(id: $id) { registrations(first: $first) { edges { node {
      id status ticketCode waitlistPosition attendee { id } event { id checkInCount registeredCount } checkIn { id checkedInAt registration { id } }
    } } } } }`;
    const ten = await commandsFor(q, { id: bigEventId.toHexString(), first: 10 });
    const hundred = await commandsFor(q, { id: bigEventId.toHexString(), first: 100 });
    expect(hundred).toBe(ten);
  });

  it('resolves entity references in batches', async () => {
    const q = `query($reps: [_Any!]!) { _entities(representations: $reps) {
      ... on Registration { id event { title sessions { id } } checkIn { id } }
      ... on Event { id checkInCount }
      ... on Session { id event { id } }
    } }`;
    const reps = (n: number) => [
      ...registrationIds.slice(100, 100 + n).map((id) => ({ __typename: 'Registration', id: id.toHexString() })),
      ...eventIds.slice(0, n).map((id) => ({ __typename: 'Event', id: id.toHexString() })),
    ];
    const ten = await commandsFor(q, { reps: reps(10) });
    const fifty = await commandsFor(q, { reps: reps(50) });
    expect(fifty).toBe(ten);
  });
});

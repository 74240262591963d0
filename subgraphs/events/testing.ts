/**
 * Shared fixtures of the events subgraph tests: callers, a served events subgraph with the real
 * people subgraph as its peer (registrations, speakers and staff are checked there), and builders.
 */
import { Types } from 'mongoose';
import { afterAll, beforeAll, expect } from 'vitest';
import { DEV_INTERNAL_SECRET } from '../../platform/config.js';
import { createPeers } from '../kit/peers.js';
import type { Principal } from '../../platform/principal.js';
import { startTestSubgraph, userPrincipal, type GqlResult, type TestSubgraph } from '../kit/testing.js';
import { createPeopleSubgraph } from '../people/index.js';
import { peopleModels } from '../people/models.js';
import { createEventsSubgraph } from './index.js';
import { seedEvents } from './seed.js';

/** A fresh user id. */
export const newUserId = (): string => new Types.ObjectId().toHexString();

/** The callers the tests act as. */
export function callers() {
  const organizerId = newUserId();
  const attendeeId = newUserId();
  return {
    organizerId,
    attendeeId,
    organizer: userPrincipal(organizerId, { scopes: ['events:read', 'events:write', 'registrations:write', 'checkins:write'] }),
    otherOrganizer: userPrincipal(newUserId(), { scopes: ['events:write'] }),
    admin: userPrincipal(newUserId(), { roles: ['admin'] }),
    attendee: userPrincipal(attendeeId, { scopes: ['events:read'] }),
    stranger: userPrincipal(newUserId(), { scopes: ['events:read'] }),
    reader: userPrincipal(newUserId(), { scopes: ['registrations:read'] }),
    /** Has the `staff` role's scopes; checks in only where an organizer assigned them (see assignStaff). */
    staff: userPrincipal(newUserId(), { scopes: ['events:read', 'checkins:write'], roles: ['staff'] }),
  };
}

/** The events subgraph under test, with the people subgraph it checks users at. */
export interface EventsTestSubgraph extends TestSubgraph {
  people: TestSubgraph;
  /** Makes sure users with these ids exist in the people subgraph (`erased`: and were erased). */
  addUsers(ids: readonly string[], opts?: { erased?: boolean }): Promise<void>;
}

/** Starts the people subgraph, then the events subgraph (port 0, optionally with the demo seed) using it as peer. */
export async function startEvents(opts: { seed?: boolean } = {}): Promise<EventsTestSubgraph> {
  const people = await startTestSubgraph('people', createPeopleSubgraph);
  const peers = createPeers({ self: 'events', internalSecret: DEV_INTERNAL_SECRET, urls: { people: people.url } });
  const events = await startTestSubgraph('events', createEventsSubgraph, { ...(opts.seed ? { seed: seedEvents } : {}), settings: { peers } }).catch(async (err: unknown) => {
    await people.stop();
    throw err;
  });
  const { User } = peopleModels(people.conn);
  return {
    ...events,
    people,
    async addUsers(ids, { erased = false } = {}) {
      await User.bulkWrite(
        [...new Set(ids)].map((id) => ({
          updateOne: {
            filter: { _id: new Types.ObjectId(id) },
            update: { $setOnInsert: { name: `Test user ${id.slice(-6)}`, email: `user-${id}@example.com`, roles: ['attendee'] }, ...(erased ? { $set: { erasedAt: new Date() } } : {}) },
            upsert: true,
          },
        })),
      );
    },
    async stop() {
      await events.stop();
      await people.stop();
    },
  };
}

/** Serves the events subgraph for the test file: started before all tests, stopped after them. */
export function serveEvents(use: (t: EventsTestSubgraph) => void, opts: { seed?: boolean } = {}): void {
  let current: EventsTestSubgraph | undefined;
  beforeAll(async () => {
    current = await startEvents(opts);
    use(current);
  });
  afterAll(async () => {
    await current?.stop();
  });
}

/** Asserts a single error with `code` (and `target` when given) and answers it. */
export function expectError(r: GqlResult, code: string, target?: string) {
  expect(r.errors, JSON.stringify(r)).toBeDefined();
  const err = r.errors![0]!;
  expect(err.extensions.code, JSON.stringify(err)).toBe(code);
  if (target !== undefined) expect(err.extensions.target, JSON.stringify(err)).toBe(target);
  return err;
}

/** Asserts success and answers `data`. */
export function ok(r: GqlResult): Record<string, any> {
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data!;
}

/** The Event fields the tests select. */
export const EVENT_FIELDS = 'id title status startsAt endsAt capacity timezone cancellationReason registeredCount waitlistCount spotsLeft checkInCount organizer { id }';

/** A valid create input two hours long, starting `dayOffset` days after 2030-01-01. */
export function eventInput(overrides: Record<string, unknown> = {}, dayOffset = 0): Record<string, unknown> {
  const start = new Date(Date.UTC(2030, 0, 1 + dayOffset, 9));
  return { title: `Event ${dayOffset}`, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + 2 * 3_600_000).toISOString(), ...overrides };
}

/** Creates a DRAFT event as `principal`. */
export async function createEvent(t: TestSubgraph, principal: Principal, overrides: Record<string, unknown> = {}, dayOffset = 0): Promise<Record<string, any>> {
  const r = await t.call(`mutation($input: CreateEventInput!) { createEvent(input: $input) { ${EVENT_FIELDS} } }`, { input: eventInput(overrides, dayOffset) }, principal);
  return ok(r).createEvent;
}

/** Creates and publishes an event as `principal`. */
export async function publishedEvent(t: TestSubgraph, principal: Principal, overrides: Record<string, unknown> = {}, dayOffset = 0): Promise<Record<string, any>> {
  const ev = await createEvent(t, principal, overrides, dayOffset);
  const r = await t.call(`mutation($id: ID!) { publishEvent(id: $id) { ${EVENT_FIELDS} } }`, { id: ev.id }, principal);
  return ok(r).publishEvent;
}

/** The Registration fields the tests select. */
export const REG_FIELDS = 'id status ticketCode waitlistPosition cancellationReason attendee { id } event { id } checkIn { id }';

/** Registers `principal` (or `attendeeId` on their behalf) for an event; the attendee is added to people first. */
export async function register(t: EventsTestSubgraph, principal: Principal, eventId: string, attendeeId?: string): Promise<GqlResult> {
  const attendee = attendeeId ?? principal.sub;
  if (attendee && /^[0-9a-f]{24}$/i.test(attendee)) await t.addUsers([attendee]);
  return t.call(`mutation($input: RegisterInput!) { register(input: $input) { ${REG_FIELDS} } }`, { input: { eventId, ...(attendeeId ? { attendeeId } : {}) } }, principal);
}

/** Adds `staff` to the event's check-in staff, as the event's organizer `organizer`. */
export async function assignStaff(t: EventsTestSubgraph, organizer: Principal, eventId: string, staff: Principal): Promise<void> {
  await t.addUsers([staff.sub!]);
  ok(await t.call('mutation($e: ID!, $u: ID!) { assignCheckInStaff(eventId: $e, userId: $u) { id } }', { e: eventId, u: staff.sub }, organizer));
}

/** Counts the outbox records of a topic. */
export function outboxCount(t: TestSubgraph, topic: string, type?: string): Promise<number> {
  return t.conn.collection('outbox').countDocuments(type ? { topic, type } : { topic });
}

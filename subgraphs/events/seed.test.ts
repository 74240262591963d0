/** The demo seed: counts, references into the shared demo dataset, idempotency. */
import { describe, expect, it } from 'vitest';
import { DEMO, demoOrganizer, demoRegistration } from '../kit/demo.js';
import { demoId } from '../kit/ids.js';
import { userPrincipal } from '../kit/testing.js';
import { eventsModels } from './models.js';
import { DEMO_CHECK_IN_STAFF, seedEvents } from './seed.js';
import { ok, serveEvents, type EventsTestSubgraph } from './testing.js';

let t: EventsTestSubgraph;

serveEvents((s) => (t = s), { seed: true });

describe('seedEvents', () => {
  it('seeds the demo events, sessions, registrations and check-ins', async () => {
    const m = eventsModels(t.conn);
    const events = await m.Event.find().lean().exec();
    expect(events.length).toBeGreaterThanOrEqual(DEMO.events);
    for (let i = 0; i < DEMO.events; i++) {
      const ev = events.find((e) => e._id.equals(demoId('event', i)))!;
      expect(ev.status).toBe(i < DEMO.publishedEvents ? 'PUBLISHED' : 'DRAFT');
      expect(ev.organizerId.equals(demoId('user', demoOrganizer(i)))).toBe(true);
      expect(ev.startsAt.getUTCFullYear()).toBe(2027);
    }
    expect(events.filter((e) => e.parentId?.equals(demoId('event', 0)))).toHaveLength(2);

    const sessions = await m.Session.find().lean().exec();
    expect(sessions).toHaveLength(DEMO.sessions);
    const speakers = new Set(sessions.flatMap((s) => s.speakerIds.map(String)));
    const expected = Array.from({ length: DEMO.speakerRange[1] - DEMO.speakerRange[0] + 1 }, (_, k) => demoId('user', DEMO.speakerRange[0] + k).toHexString());
    expect([...speakers].sort()).toEqual(expected.sort());
    const byId = new Map(events.map((e) => [String(e._id), e]));
    for (const s of sessions) {
      const ev = byId.get(String(s.eventId))!;
      expect(ev.status).toBe('PUBLISHED');
      expect(s.startsAt >= ev.startsAt && s.endsAt <= ev.endsAt).toBe(true);
    }

    expect(await m.Registration.countDocuments()).toBe(DEMO.registrations);
    const codes = await m.Registration.distinct('ticketCode');
    expect(codes).toHaveLength(DEMO.registrations);
    expect(codes.every((c) => /^TCK-[A-Z2-7]{16}$/.test(String(c)))).toBe(true);
    const sample = await m.Registration.findById(demoId('registration', 9)).lean().exec();
    expect(sample?.status).toBe(demoRegistration(9).status);
    const checkedIn = Array.from({ length: DEMO.registrations }, (_, r) => demoRegistration(r)).filter((r) => r.checkedIn).length;
    expect(await m.CheckIn.countDocuments()).toBe(checkedIn);
    expect(await t.conn.collection('outbox').countDocuments()).toBe(0);
  });

  it('is idempotent', async () => {
    expect(await seedEvents(t.conn)).toEqual({ seeded: false });
    expect(await eventsModels(t.conn).Registration.countDocuments()).toBe(DEMO.registrations);
  });

  it('serves the seeded data with consistent counts', async () => {
    const organizer = userPrincipal(demoId('user', demoOrganizer(0)).toHexString(), { scopes: ['events:write'] });
    const q = 'query($id: ID!) { event(id: $id) { title checkInCount registeredCount waitlistCount sessions { id } registrations(first: 1) { totalCount } } }';
    const ev = ok(await t.call(q, { id: demoId('event', 0).toHexString() }, organizer)).event;
    const mine = Array.from({ length: DEMO.registrations }, (_, r) => demoRegistration(r)).filter((r) => r.eventIndex === 0);
    expect(ev.registrations.totalCount).toBe(mine.length);
    expect(ev.registeredCount).toBe(mine.filter((r) => r.status !== 'CANCELLED').length);
    expect(ev.checkInCount).toBe(mine.filter((r) => r.checkedIn).length);
    expect(ev.waitlistCount).toBe(0);
    expect(ev.sessions.length).toBeGreaterThan(10);
  });

  it('seeds demo check-in staff who check in at their events only', async () => {
    const staffOf = async (i: number) => ok(await t.call('query($id: ID!) { event(id: $id) { checkInStaff { id } } }', { id: demoId('event', i).toHexString() }, userPrincipal(demoId('user', 0).toHexString(), { roles: ['admin'] }))).event.checkInStaff;
    expect(await staffOf(0)).toEqual(DEMO_CHECK_IN_STAFF[0]!.map((u) => ({ id: demoId('user', u).toHexString() })));
    expect(await staffOf(2)).toEqual([]);
    const staff = userPrincipal(demoId('user', DEMO_CHECK_IN_STAFF[0]![0]!).toHexString(), { scopes: ['events:read', 'checkins:write'], roles: ['staff'] });
    const CHECK_IN = 'mutation($id: ID) { checkIn(registrationId: $id) { id } }';
    const atEvent = (e: number) => Array.from({ length: DEMO.registrations }, (_, r) => ({ r, ...demoRegistration(r) })).find((x) => x.eventIndex === e && x.status === 'CONFIRMED' && !x.checkedIn)!;
    expect(ok(await t.call(CHECK_IN, { id: demoId('registration', atEvent(0).r).toHexString() }, staff)).checkIn.id).toBeTruthy();
    expect((await t.call(CHECK_IN, { id: demoId('registration', atEvent(1).r).toHexString() }, staff)).errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });
});

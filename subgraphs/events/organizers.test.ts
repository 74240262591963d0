/**
 * User.organizerIdsOfRegisteredEvents: the organizers of the events a user holds a non-cancelled
 * registration for (what the people subgraph requires to show an attendee's email to them),
 * resolved for a batch of users in a constant number of database commands.
 */
import { describe, expect, it } from 'vitest';
import { partnerPrincipal, userPrincipal } from '../kit/testing.js';
import { REG_FIELDS, callers, newUserId, ok, publishedEvent, register, serveEvents, type EventsTestSubgraph } from './testing.js';

let t: EventsTestSubgraph;
const who = callers();

serveEvents((s) => (t = s));

const FIELD = `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id organizerIdsOfRegisteredEvents } } }`;
const reps = (ids: string[]) => ids.map((id) => ({ __typename: 'User', id }));
const organizer = () => {
  const id = newUserId();
  return { id, principal: userPrincipal(id, { scopes: ['events:write', 'registrations:write'] }) };
};
const attendee = () => {
  const id = newUserId();
  return { id, principal: userPrincipal(id, { scopes: ['events:read'] }) };
};

/** The field for each id, read as `caller`. */
async function organizersOf(ids: string[], caller = who.stranger): Promise<Record<string, string[]>> {
  const data = ok(await t.call(FIELD, { r: reps(ids) }, caller));
  return Object.fromEntries(data._entities.map((u: { id: string; organizerIdsOfRegisteredEvents: string[] }) => [u.id, u.organizerIdsOfRegisteredEvents]));
}

describe('User.organizerIdsOfRegisteredEvents', () => {
  it('lists each organizer once, counts held and waitlisted registrations, skips cancelled ones', async () => {
    const [a, b, c] = [organizer(), organizer(), organizer()];
    const a1 = await publishedEvent(t, a.principal, {}, 1);
    const a2 = await publishedEvent(t, a.principal, {}, 2);
    const b1 = await publishedEvent(t, b.principal, {}, 3);
    const c1 = await publishedEvent(t, c.principal, { capacity: 1 }, 4);
    const [many, holder, waiting, cancelled, none] = [attendee(), attendee(), attendee(), attendee(), attendee()];
    for (const ev of [a1, a2, b1]) ok(await register(t, many.principal, ev.id));
    ok(await register(t, holder.principal, c1.id));
    expect(ok(await register(t, waiting.principal, c1.id)).register.waitlistPosition).toBe(1);
    const reg = ok(await register(t, cancelled.principal, a1.id)).register;
    ok(await t.call(`mutation($id: ID!) { cancelRegistration(id: $id) { ${REG_FIELDS} } }`, { id: reg.id }, cancelled.principal));

    expect(await organizersOf([many.id, holder.id, waiting.id, cancelled.id, none.id, 'not-an-id'])).toEqual({
      [many.id]: [a.id, b.id].sort(),
      [holder.id]: [c.id],
      [waiting.id]: [c.id],
      [cancelled.id]: [],
      [none.id]: [],
      'not-an-id': [],
    });
  });

  it('counts an organizer’s registration of someone else only once that person accepts it', async () => {
    const a = organizer();
    const ev = await publishedEvent(t, a.principal, {}, 8);
    const [accepting, declining, silent] = [attendee(), attendee(), attendee()];
    const invite = async (u: { id: string }) => ok(await register(t, a.principal, ev.id, u.id)).register.id as string;
    const [toAccept, toDecline] = [await invite(accepting), await invite(declining)];
    await invite(silent);
    expect(await organizersOf([accepting.id, declining.id, silent.id])).toEqual({ [accepting.id]: [], [declining.id]: [], [silent.id]: [] });
    const answer = (field: string, id: string, p: typeof accepting.principal) => t.call(`mutation($id: ID!) { ${field}(registrationId: $id) { id status } }`, { id }, p);
    ok(await answer('acceptInvitation', toAccept, accepting.principal));
    ok(await answer('declineInvitation', toDecline, declining.principal));
    expect(await organizersOf([accepting.id, declining.id, silent.id])).toEqual({ [accepting.id]: [a.id], [declining.id]: [], [silent.id]: [] });
  });

  it('is empty, without a database command, for callers who are not users', async () => {
    const a = organizer();
    const ev = await publishedEvent(t, a.principal, {}, 5);
    const u = attendee();
    ok(await register(t, u.principal, ev.id));
    expect(await organizersOf([u.id])).toEqual({ [u.id]: [a.id] });
    t.commands.length = 0;
    expect(await organizersOf([u.id], partnerPrincipal('egc_badges', ['events:read', 'registrations:read']))).toEqual({ [u.id]: [] });
    expect(ok(await t.call(FIELD, { r: reps([u.id]) }))._entities).toEqual([{ id: u.id, organizerIdsOfRegisteredEvents: [] }]);
    expect(t.commands).toEqual([]);
  });

  it('answers 5 or 45 users with the same two commands', async () => {
    const a = organizer();
    const b = organizer();
    const ea = await publishedEvent(t, a.principal, {}, 6);
    const eb = await publishedEvent(t, b.principal, {}, 7);
    const ids = Array.from({ length: 45 }, newUserId);
    await t.addUsers(ids);
    const batch = `mutation($e: ID!, $ids: [ID!]!) { registerBatch(eventId: $e, attendeeIds: $ids) { error { code } } }`;
    ok(await t.call(batch, { e: ea.id, ids }, who.admin));
    ok(await t.call(batch, { e: eb.id, ids: ids.filter((_, i) => i % 3 === 0) }, who.admin));

    const commandsFor = async (n: number) => {
      t.commands.length = 0;
      const got = await organizersOf(ids.slice(0, n));
      expect(Object.keys(got)).toHaveLength(n);
      ids.slice(0, n).forEach((id, i) => expect(got[id]).toEqual(i % 3 === 0 ? [a.id, b.id].sort() : [a.id]));
      return t.commands.map((c) => `${c.name}.${c.collection}`);
    };
    const five = await commandsFor(5);
    expect(five).toEqual(['aggregate.registrations', 'find.events']);
    expect(await commandsFor(45)).toEqual(five);
  });
});

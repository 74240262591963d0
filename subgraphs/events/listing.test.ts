/** Queries: pagination, filters and order, draft visibility, federation entities, principal checks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRINCIPAL_HEADER, signPrincipal } from '../../platform/principal.js';
import { callers, createEvent, expectError, ok, publishedEvent, register, startEvents, type EventsTestSubgraph } from './testing.js';

let t: EventsTestSubgraph;
const who = callers();
const published: Array<Record<string, any>> = [];
let draft: Record<string, any>;

const PAGE = `query($first: Int, $after: String, $filter: EventFilter, $orderBy: EventOrder, $status: EventStatus) {
  events(first: $first, after: $after, filter: $filter, orderBy: $orderBy, status: $status) {
    totalCount edges { cursor node { id title startsAt status } } pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
  }
}`;

beforeAll(async () => {
  t = await startEvents();
  // 45 published events on distinct days, created in reverse day order; two share a start time.
  for (let i = 44; i >= 0; i--) published.push(await publishedEvent(t, who.organizer, { title: i % 2 ? `Meetup ${i}` : `Conference ${i}` }, i === 44 ? 43 : i));
  draft = await createEvent(t, who.organizer, { title: 'Secret draft' }, 100);
});
afterAll(async () => {
  await t?.stop();
});

async function collect(variables: Record<string, unknown>, principal = who.stranger) {
  const seen: Array<Record<string, any>> = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const r: { edges: Array<{ node: Record<string, any> }>; pageInfo: { hasNextPage: boolean; endCursor: string }; totalCount: number } = ok(await t.call(PAGE, { ...variables, first: 20, after }, principal)).events;
    seen.push(...r.edges.map((e) => e.node));
    pages++;
    if (!r.pageInfo.hasNextPage) return { seen, pages, totalCount: r.totalCount };
    after = r.pageInfo.endCursor;
  }
}

describe('events()', () => {
  it('pages through 45 events in start order without duplicates or gaps', async () => {
    const { seen, pages, totalCount } = await collect({});
    expect(pages).toBe(3);
    expect(totalCount).toBe(45);
    expect(new Set(seen.map((e) => e.id)).size).toBe(45);
    const starts = seen.map((e) => e.startsAt);
    expect([...starts].sort()).toEqual(starts);
    expect(seen.some((e) => e.id === draft.id)).toBe(false);
  });

  it('orders by start descending and by creation', async () => {
    const desc = await collect({ orderBy: 'START_TIME_DESC' });
    expect(desc.seen.map((e) => e.startsAt)).toEqual([...desc.seen.map((e) => e.startsAt)].sort().reverse());
    const created = await collect({ orderBy: 'CREATED_AT_DESC' });
    expect(created.seen.map((e) => e.id)).toEqual([...published].reverse().map((e) => e.id));
  });

  it('filters by title text, time window, organizer and status', async () => {
    const meetups = await collect({ filter: { search: 'meetup' } });
    expect(meetups.totalCount).toBe(22);
    expect(meetups.seen.every((e) => e.title.startsWith('Meetup'))).toBe(true);
    const injected = await collect({ filter: { search: '.*' } });
    expect(injected.totalCount).toBe(0);
    const window = await collect({ filter: { startsAfter: '2030-01-05T00:00:00Z', startsBefore: '2030-01-10T00:00:00Z' } });
    expect(window.totalCount).toBe(5);
    const none = await collect({ filter: { organizerId: who.attendeeId } });
    expect(none.totalCount).toBe(0);
    const drafts = await collect({ status: 'DRAFT' }, who.organizer);
    expect(drafts.seen.map((e) => e.id)).toEqual([draft.id]);
    expectError(await t.call(PAGE, { filter: { organizerId: { $ne: null } } }), 'BAD_USER_INPUT');
    expectError(await t.call(PAGE, { filter: { parentId: 'x' } }), 'BAD_USER_INPUT', 'filter.parentId');
  });

  it('refuses page sizes above 100 and malformed or foreign cursors', async () => {
    expectError(await t.call(PAGE, { first: 500 }), 'BAD_USER_INPUT', 'first');
    expectError(await t.call(PAGE, { first: -1 }), 'BAD_USER_INPUT', 'first');
    expectError(await t.call(PAGE, { after: 'not-a-cursor' }), 'BAD_USER_INPUT', 'after');
    const foreign = Buffer.from(JSON.stringify([null, '0123456789abcdef01234567'])).toString('base64url');
    expectError(await t.call(PAGE, { after: foreign }), 'BAD_USER_INPUT', 'after');
  });
});

describe('draft visibility', () => {
  it('shows drafts to their organizer and admins only (events:write is not a view of other organizers’ drafts)', async () => {
    const q = 'query($id: ID!) { event(id: $id) { id title } }';
    expect(ok(await t.call(q, { id: draft.id }, who.organizer)).event.title).toBe('Secret draft');
    expect(ok(await t.call(q, { id: draft.id }, who.admin)).event.id).toBe(draft.id);
    expect(ok(await t.call(q, { id: draft.id }, who.otherOrganizer)).event).toBeNull();
    expect(ok(await t.call(q, { id: draft.id }, who.stranger)).event).toBeNull();
    expect(ok(await t.call(q, { id: draft.id })).event).toBeNull();
    expect(ok(await t.call(q, { id: published[0]!.id })).event.id).toBe(published[0]!.id);
    const anonymous = await collect({});
    expect(anonymous.totalCount).toBe(45);
    const own = await collect({}, who.organizer);
    expect(own.totalCount).toBe(46);
  });
});

describe('federation entities', () => {
  it('resolves Event, Session, Registration, CheckIn and User references through _entities', async () => {
    const ev = published[1]!;
    const endsAt = new Date(Date.parse(ev.startsAt) + 3_600_000).toISOString();
    const session = ok(await t.call('mutation($input: CreateSessionInput!) { createSession(input: $input) { id } }', { input: { eventId: ev.id, title: 'Opening', startsAt: ev.startsAt, endsAt } }, who.organizer)).createSession;
    const reg = ok(await register(t, who.attendee, ev.id)).register;
    const checkIn = ok(await t.call('mutation($id: ID) { checkIn(registrationId: $id) { id } }', { id: reg.id }, who.organizer)).checkIn;
    const ENTITIES = `query($reps: [_Any!]!) { _entities(representations: $reps) {
      ... on Event { id title }
      ... on Session { id title event { id } }
      ... on Registration { id status attendee { id } }
      ... on CheckIn { id registration { id } }
      ... on User { id registrations { totalCount edges { node { id } } } }
    } }`;
    const reps = [
      { __typename: 'Event', id: ev.id },
      { __typename: 'Session', id: session.id },
      { __typename: 'Registration', id: reg.id },
      { __typename: 'CheckIn', id: checkIn.id },
      { __typename: 'User', id: who.attendeeId },
      { __typename: 'Event', id: draft.id },
    ];
    const entities = ok(await t.call(ENTITIES, { reps }, who.attendee))._entities;
    expect(entities).toEqual([
      { id: ev.id, title: ev.title },
      { id: session.id, title: 'Opening', event: { id: ev.id } },
      { id: reg.id, status: 'PENDING', attendee: { id: who.attendeeId } },
      { id: checkIn.id, registration: { id: reg.id } },
      { id: who.attendeeId, registrations: { totalCount: 1, edges: [{ node: { id: reg.id } }] } },
      null,
    ]);
    // A stranger sees neither the registration nor its check-in, nor another user's registrations.
    const foreign = await t.call(ENTITIES, { reps: reps.slice(2, 5) }, who.stranger);
    expect(foreign.data?._entities.slice(0, 2)).toEqual([null, null]);
    expect(foreign.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });
});

describe('principals', () => {
  it('answers a forged or unsigned principal header with UNAUTHENTICATED', async () => {
    const forged = await signPrincipal(who.admin, 'another-secret-that-is-long-enough-123');
    for (const header of [forged, 'not-a-jwt']) {
      const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', [PRINCIPAL_HEADER]: header }, body: JSON.stringify({ query: '{ events { totalCount } }' }) });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses anonymous registration and registration reads', async () => {
    expectError(await register(t, { kind: 'anonymous', sub: null, scopes: [], roles: [] }, published[0]!.id), 'UNAUTHENTICATED');
    expectError(await t.call('{ registration(id: "000000000000000000000000") { id } }'), 'UNAUTHENTICATED');
  });
});

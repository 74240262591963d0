/**
 * Relay pagination through the gateway: walking every page of `events`, an event's
 * `registrations` and `users` yields each item exactly once, in order; bad page arguments are
 * BAD_USER_INPUT at the argument.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, demoRegistration, demoUser } from '../subgraphs/kit/demo.js';
import { demoId } from '../subgraphs/kit/ids.js';
import { expectSpecError, startE2E, walkPages, type E2E } from './harness/e2e.js';

const CREATED_EVENTS = 45;
const DAY = 86_400_000;
const EVENT_0 = demoId('event', 0).toHexString();

let t: E2E;
const created: string[] = [];

beforeAll(async () => {
  t = await startE2E();
  // Three events share each start time, so the order needs its tie-breaker to page correctly.
  const base = Date.parse('2032-01-05T09:00:00.000Z');
  const inputs = Array.from({ length: CREATED_EVENTS }, (_, i) => {
    const startsAt = base + Math.floor(i / 3) * DAY;
    return { title: `Paged event ${i}`, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(startsAt + 3_600_000).toISOString() };
  });
  for (let i = 0; i < inputs.length; i += 15) {
    const batch = await Promise.all(inputs.slice(i, i + 15).map((input) => t.admin(`mutation ($input: CreateEventInput!) { createEvent(input: $input) { id } }`, { input })));
    created.push(...batch.map((d) => d.createEvent.id));
  }
});
afterAll(() => t?.stop());

const EVENTS_PAGE = `query ($first: Int, $after: String, $orderBy: EventOrder, $status: EventStatus) {
  events(first: $first, after: $after, orderBy: $orderBy, status: $status) { totalCount edges { cursor node { id startsAt status } } pageInfo { hasNextPage hasPreviousPage endCursor } }
}`;

function expectUnique(ids: string[]): void {
  expect(new Set(ids).size, 'no item appears twice').toBe(ids.length);
}

describe('events', () => {
  it('walks all pages of 10, earliest first, each event exactly once', async () => {
    const stored = await t.stack.subgraphs.events.conn.db!.collection('events').find({}).toArray();
    expect(created).toHaveLength(CREATED_EVENTS);
    const totals = new Set<number>();
    const { nodes, pages, pageSizes } = await walkPages(async (after) => {
      const d = await t.admin(EVENTS_PAGE, { first: 10, after });
      totals.add(d.events.totalCount);
      return d.events;
    });
    const ids = nodes.map((n: any) => n.id);
    expectUnique(ids);
    expect(new Set(ids)).toEqual(new Set(stored.map((e) => String(e._id))));
    for (const id of [...created, ...Array.from({ length: DEMO.events }, (_, i) => demoId('event', i).toHexString())]) expect(ids).toContain(id);
    expect([...totals]).toEqual([stored.length]);
    expect(pages).toBe(Math.ceil(stored.length / 10));
    expect(pageSizes.slice(0, -1).every((n) => n === 10)).toBe(true);
    // (startsAt, id) ascending: the order the cursors encode.
    for (let i = 1; i < nodes.length; i++) {
      const [a, b] = [nodes[i - 1] as any, nodes[i] as any];
      const cmp = Date.parse(a.startsAt) - Date.parse(b.startsAt) || (a.id < b.id ? -1 : 1);
      expect(cmp, `${a.id} before ${b.id}`).toBeLessThan(0);
    }
  });

  it('walks latest first and filtered by status without gaps or duplicates', async () => {
    const desc = await walkPages(async (after) => (await t.admin(EVENTS_PAGE, { first: 7, after, orderBy: 'START_TIME_DESC' })).events);
    const asc = await walkPages(async (after) => (await t.admin(EVENTS_PAGE, { first: 100, after })).events);
    expect(asc.pages).toBe(1);
    expect(desc.nodes.map((n: any) => n.startsAt)).toEqual(asc.nodes.map((n: any) => n.startsAt).reverse());
    expectUnique(desc.nodes.map((n: any) => n.id));
    expect(new Set(desc.nodes.map((n: any) => n.id))).toEqual(new Set(asc.nodes.map((n: any) => n.id)));

    const published = asc.nodes.filter((n: any) => n.status === 'PUBLISHED').map((n: any) => n.id);
    expect(published.length).toBeGreaterThan(2);
    const paged = await walkPages(async (after) => (await t.admin(EVENTS_PAGE, { first: 2, after, status: 'PUBLISHED' })).events);
    expect(paged.nodes.map((n: any) => n.id)).toEqual(published);
  });
});

describe("an event's registrations", () => {
  const REGS_PAGE = `query ($id: ID!, $first: Int, $after: String, $status: RegistrationStatus) {
    event(id: $id) { registrations(first: $first, after: $after, status: $status) { totalCount edges { cursor node { id status } } pageInfo { hasNextPage endCursor } } }
  }`;
  const demoOfEvent0 = Array.from({ length: DEMO.registrations }, (_, r) => demoRegistration(r)).filter((r) => r.eventIndex === 0);

  it('walks all pages of 100 and meets every demo registration of the event exactly once', async () => {
    const { nodes, pages, pageSizes } = await walkPages(async (after) => {
      const d = await t.admin(REGS_PAGE, { id: EVENT_0, first: 100, after });
      expect(d.event.registrations.totalCount).toBe(demoOfEvent0.length);
      return d.event.registrations;
    });
    expect(pages).toBe(Math.ceil(demoOfEvent0.length / 100));
    expect(pageSizes.reduce((a, b) => a + b, 0)).toBe(demoOfEvent0.length);
    const ids = nodes.map((n: any) => n.id);
    expectUnique(ids);
    expect(new Set(ids)).toEqual(new Set(demoOfEvent0.map((r) => r.id)));
    const statusById = new Map(demoOfEvent0.map((r) => [r.id, r.status]));
    for (const n of nodes as any[]) expect(n.status).toBe(statusById.get(n.id));
  });

  it('walks a status-filtered list the same way', async () => {
    const expected = demoOfEvent0.filter((r) => r.status === 'CONFIRMED').map((r) => r.id);
    const { nodes } = await walkPages(async (after) => (await t.admin(REGS_PAGE, { id: EVENT_0, first: 100, after, status: 'CONFIRMED' })).event.registrations);
    const ids = nodes.map((n: any) => n.id);
    expectUnique(ids);
    expect(new Set(ids)).toEqual(new Set(expected));
  });
});

describe('users', () => {
  it('walks all pages of 100 and meets every demo user exactly once', async () => {
    const { nodes, pages } = await walkPages(async (after) => {
      const d = await t.admin(`query ($after: String) { users(first: 100, after: $after) { totalCount edges { cursor node { id name } } pageInfo { hasNextPage endCursor } } }`, { after });
      expect(d.users.totalCount).toBe(DEMO.users);
      return d.users;
    });
    expect(pages).toBe(Math.ceil(DEMO.users / 100));
    const ids = nodes.map((n: any) => n.id);
    expectUnique(ids);
    const expected = Array.from({ length: DEMO.users }, (_, i) => demoUser(i));
    expect(new Set(ids)).toEqual(new Set(expected.map((u) => u.id)));
    const nameById = new Map(expected.map((u) => [u.id, u.name]));
    for (const n of nodes as any[]) expect(n.name).toBe(nameById.get(n.id));
  });
});

describe('bad page arguments', () => {
  const LISTS = [
    { name: 'events', query: `query ($first: Int, $after: String) { events(first: $first, after: $after) { totalCount } }`, path: ['events'] },
    { name: 'registrations', query: `query ($first: Int, $after: String) { event(id: "${EVENT_0}") { registrations(first: $first, after: $after) { totalCount } } }`, path: ['event', 'registrations'] },
    { name: 'users', query: `query ($first: Int, $after: String) { users(first: $first, after: $after) { totalCount } }`, path: ['users'] },
  ];
  const garbage = ['garbage!', Buffer.from('{"not":"a cursor"}').toString('base64url'), Buffer.from('["x","not-an-id"]').toString('base64url')];

  it.each(LISTS)('$name: first above 100 or below 0 is BAD_USER_INPUT at first', async ({ query, path }) => {
    for (const first of [101, 1000, -1]) {
      const res = await t.adminRaw(query, { first });
      expect(res.body.errors, `first: ${first}`).toHaveLength(1);
      expectSpecError(res.body.errors![0], 'BAD_USER_INPUT', 'first');
      expect(res.body.errors![0]!.path).toEqual(path);
    }
    const ok = await t.adminRaw(query, { first: 100 });
    expect(ok.body.errors).toBeUndefined();
  });

  it.each(LISTS)('$name: a malformed after cursor is BAD_USER_INPUT at after', async ({ query, path }) => {
    for (const after of garbage) {
      const res = await t.adminRaw(query, { first: 5, after });
      expect(res.body.errors, `after: ${after}`).toHaveLength(1);
      expectSpecError(res.body.errors![0], 'BAD_USER_INPUT', 'after');
      expect(res.body.errors![0]!.path).toEqual(path);
    }
  });
});

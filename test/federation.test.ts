/**
 * One operation through the gateway reaching all four subgraphs, checked value by value against
 * the demo seed (subgraphs/kit/demo.ts), and correlation ids end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, demoEventPrice, demoRegistration, demoUser } from '../subgraphs/kit/demo.js';
import { demoId } from '../subgraphs/kit/ids.js';
import { demoUserIndexById, expectSpecError, readDoc, startE2E, type E2E } from './harness/e2e.js';

/** Payment status of a demo registration, as the payments seed derives it from the registration's. */
const SEEDED_PAYMENT_STATUS = { CONFIRMED: 'SUCCEEDED', PENDING: 'REQUIRES_PAYMENT', CANCELLED: 'REFUNDED' } as const;

const registrationIndexById = new Map(Array.from({ length: DEMO.registrations }, (_, r) => [demoRegistration(r).id, r]));
const userIndexById = demoUserIndexById();
const hex = (id: unknown) => String(id);

let t: E2E;
beforeAll(async () => {
  t = await startE2E();
});
afterAll(() => t?.stop());

const SPAN = /* GraphQL */ `
  query Span($event: ID!, $job: ID!) {
    event(id: $event) {
      id
      title
      startsAt
      registrations(first: 100) {
        totalCount
        edges {
          node {
            id
            status
            ticketCode
            attendee { id name email }
            payment { status amount { amount currency } }
            checkIn { checkedInAt }
          }
        }
      }
      connectors { id name kind status }
      syncJobs(first: 10) { totalCount edges { node { id status processed total errors } } }
    }
    syncJob(id: $job) { id status processed total errors connector { id name event { id title } } }
  }
`;

describe('a query spanning all four subgraphs', () => {
  it('answers events → registrations → attendee (people) → payment (payments) and connectors and sync jobs (integrations) exactly as seeded', async () => {
    const event0 = demoId('event', 0).toHexString();
    const failedJob = demoId('syncjob', 2);
    const data = await t.admin(SPAN, { event: event0, job: failedJob.toHexString() });
    const ev = data.event;
    expect(ev.id).toBe(event0);

    // events: the registrations of event 0 are the demo registrations with eventIndex 0.
    const expectedTotal = Array.from({ length: DEMO.registrations }, (_, r) => demoRegistration(r)).filter((r) => r.eventIndex === 0).length;
    expect(ev.registrations.totalCount).toBe(expectedTotal);
    const nodes = ev.registrations.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(100);
    const price = demoEventPrice(0)!;
    const startsAt = Date.parse(ev.startsAt);
    for (const node of nodes) {
      const r = registrationIndexById.get(node.id);
      expect(r, `registration ${node.id} is a demo registration`).toBeDefined();
      const demo = demoRegistration(r!);
      expect(demo.eventIndex).toBe(0);
      expect(node.status).toBe(demo.status);
      expect(node.ticketCode).toMatch(/^TCK-[A-Z2-7]{16}$/);
      // people
      const user = demoUser(demo.userIndex);
      expect(node.attendee).toEqual({ id: user.id, name: user.name, email: user.email });
      // payments
      expect(node.payment).toEqual({ status: SEEDED_PAYMENT_STATUS[demo.status], amount: { amount: price.amount, currency: price.currency } });
      // events: seeded check-ins happen (r mod 120) minutes after the event starts
      if (demo.checkedIn) expect(Date.parse(node.checkIn.checkedInAt)).toBe(startsAt + (r! % 120) * 60_000);
      else expect(node.checkIn).toBeNull();
    }
    // The sample covers every status and both checked-in and not, so the checks above mean something.
    expect(new Set(nodes.map((n: any) => n.status))).toEqual(new Set(['CONFIRMED', 'PENDING', 'CANCELLED']));
    expect(nodes.some((n: any) => n.checkIn) && nodes.some((n: any) => !n.checkIn)).toBe(true);

    // integrations: Event.connectors and Event.syncJobs are what its database holds for event 0.
    const integrations = t.stack.subgraphs.integrations.conn.db!;
    const connectors = await integrations.collection('connectors').find({ eventId: demoId('event', 0) }).sort({ _id: 1 }).toArray();
    expect(connectors.length).toBeGreaterThan(0);
    expect(ev.connectors).toEqual(connectors.map((c) => ({ id: hex(c._id), name: c.name, kind: c.kind, status: c.status })));
    const jobs = await integrations.collection('sync_jobs').find({ eventId: demoId('event', 0) }).sort({ _id: 1 }).toArray();
    expect(ev.syncJobs.totalCount).toBe(jobs.length);
    expect(ev.syncJobs.edges.map((e: any) => e.node)).toEqual(jobs.map((j) => ({ id: hex(j._id), status: j.status, processed: j.processed, total: j.total, errors: j.errorMessages })));

    // syncJob(id) → connector (integrations) → event (back in events)
    const job = await readDoc(t, 'integrations', 'sync_jobs', failedJob);
    const connector = await readDoc(t, 'integrations', 'connectors', job!.connectorId);
    expect(data.syncJob).toEqual({
      id: failedJob.toHexString(),
      status: job!.status,
      processed: job!.processed,
      total: job!.total,
      errors: job!.errorMessages,
      connector: { id: hex(connector!._id), name: connector!.name, event: { id: event0, title: ev.title } },
    });
    expect(data.syncJob.errors.length).toBeGreaterThan(0);
  });

  it('answers a user (people) with their registrations (events), each with its event, payment (payments) and the event connectors (integrations)', async () => {
    const demo0 = demoRegistration(0);
    const user = demoUser(demo0.userIndex);
    const expected = Array.from({ length: DEMO.registrations }, (_, r) => r).filter((r) => demoRegistration(r).userIndex === demo0.userIndex);
    const data = await t.admin(
      /* GraphQL */ `
        query ($id: ID!) {
          user(id: $id) {
            name
            email
            registrations(first: 100) {
              totalCount
              edges { node { id status event { id title } payment { status amount { amount currency } } balanceDue { amount currency } } }
            }
          }
        }
      `,
      { id: user.id },
    );
    expect(data.user.name).toBe(user.name);
    expect(data.user.email).toBe(user.email);
    expect(data.user.registrations.totalCount).toBe(expected.length);
    const byId = new Map(data.user.registrations.edges.map((e: any) => [e.node.id, e.node]));
    expect(new Set(byId.keys())).toEqual(new Set(expected.map((r) => demoRegistration(r).id)));
    for (const r of expected) {
      const demo = demoRegistration(r);
      const node: any = byId.get(demo.id);
      expect(node.status).toBe(demo.status);
      expect(node.event.id).toBe(demoId('event', demo.eventIndex).toHexString());
      const price = demoEventPrice(demo.eventIndex);
      if (!price) {
        expect(node.payment).toBeNull();
        expect(node.balanceDue).toBeNull();
        continue;
      }
      const status = SEEDED_PAYMENT_STATUS[demo.status];
      expect(node.payment).toEqual({ status, amount: price });
      expect(node.balanceDue).toEqual({ amount: status === 'REQUIRES_PAYMENT' ? price.amount : 0, currency: price.currency });
    }
  });

  it("answers an event's sessions with their speakers from people", async () => {
    const eventId = demoId('event', 1);
    const data = await t.admin(`query ($id: ID!) { event(id: $id) { sessions { id title speakers { id name } } } }`, { id: eventId.toHexString() });
    const stored = await t.stack.subgraphs.events.conn.db!.collection('sessions').find({ eventId }).toArray();
    expect(data.event.sessions.length).toBe(stored.length);
    expect(stored.length).toBeGreaterThan(0);
    const storedById = new Map(stored.map((s) => [hex(s._id), s]));
    for (const s of data.event.sessions) {
      const doc = storedById.get(s.id)!;
      expect(s.title).toBe(doc.title);
      const expectedSpeakers = (doc.speakerIds as unknown[]).map((id) => demoUser(userIndexById.get(hex(id))!)).map((u) => ({ id: u.id, name: u.name }));
      expect(s.speakers).toEqual(expectedSpeakers);
      expect(s.speakers.length).toBeGreaterThan(0);
    }
  });
});

describe('correlation ids', () => {
  const EVENT_TITLE = `query ($id: ID!) { event(id: $id) { title } }`;

  it("echoes the client's X-Correlation-ID on a successful response", async () => {
    const id = `e2e-${crypto.randomUUID()}`;
    const res = await t.adminRaw(EVENT_TITLE, { id: demoId('event', 0).toHexString() }, { 'x-correlation-id': id });
    expect(res.body.errors).toBeUndefined();
    expect(res.headers.get('x-correlation-id')).toBe(id);
  });

  it("puts the client's id into errors raised by a subgraph and into the response header", async () => {
    const id = `e2e-${crypto.randomUUID()}`;
    const res = await t.adminRaw(`mutation { publishEvent(id: "not-an-id") { id } }`, {}, { 'x-correlation-id': id });
    expect(res.headers.get('x-correlation-id')).toBe(id);
    expectSpecError(res.body.errors?.[0], 'BAD_USER_INPUT', 'id');
    expect(res.body.errors![0]!.extensions!.correlationId).toBe(id);
  });

  it("puts the client's id into errors raised by the gateway itself", async () => {
    const id = `e2e-${crypto.randomUUID()}`;
    const res = await t.adminRaw(`{ event(id: "x") { noSuchField } }`, {}, { 'x-correlation-id': id });
    expect(res.headers.get('x-correlation-id')).toBe(id);
    expectSpecError(res.body.errors?.[0], 'GRAPHQL_VALIDATION_FAILED');
    expect(res.body.errors![0]!.extensions!.correlationId).toBe(id);
    const anon = await t.gql(`{ me { name } }`, {}, { headers: { 'x-correlation-id': id } });
    expect(anon.headers.get('x-correlation-id')).toBe(id);
    expectSpecError(anon.body.errors?.[0], 'UNAUTHENTICATED');
    expect(anon.body.errors![0]!.extensions!.correlationId).toBe(id);
  });

  it('generates an id when the client sends none (or an unusable one) and uses it in errors', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const ids = new Set<string>();
    const variants: Array<Record<string, string>> = [{}, { 'x-correlation-id': 'has spaces and ;' }, { 'x-correlation-id': 'x'.repeat(300) }];
    for (const headers of variants) {
      const res = await t.adminRaw(`mutation { publishEvent(id: "not-an-id") { id } }`, {}, headers);
      const generated = res.headers.get('x-correlation-id')!;
      expect(generated).toMatch(uuid);
      expect(res.body.errors![0]!.extensions!.correlationId).toBe(generated);
      ids.add(generated);
    }
    expect(ids.size).toBe(3);
  });
});

/**
 * The contract's subscriptions end to end: the whole product in-process (localdb, four subgraphs,
 * gateway with its security and subscriptions extensions, as `npm start` builds it), a real graphql-ws client on the gateway's `/graphql`, and
 * mutations over HTTP. Each payload carries fields from three subgraphs.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../subgraphs/kit/live-feed.js';
import { outboxModels } from '../../subgraphs/kit/outbox.js';
import { DEMO_USERS, startTestStack, type TestStack } from '../../test/harness/stack.js';
import { eventually } from '../../test/harness/subscription-fixtures.js';

const ENV = { NODE_ENV: 'test', LOG_LEVEL: 'silent', RATE_LIMIT_USER: '100000/100000/100' };

let t: TestStack;
let adminToken: string;
const clients: Client[] = [];

/** The cursor at the head of a topic: subscribing `after` it receives exactly what comes next. */
async function headCursor(conn: Connection, topic: string): Promise<string> {
  const counter = await outboxModels(conn).Counter.findById(topic).lean();
  return encodeCursor(topic, counter?.seq ?? 0);
}

interface Stream<T> {
  events: T[];
  errors: unknown[];
}

function subscribe<T>(query: string, variables: Record<string, unknown>, token: string): Stream<T> {
  const client = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(client);
  const stream: Stream<T> = { events: [], errors: [] };
  client.subscribe<T>({ query, variables }, { next: (v) => void stream.events.push(v.data as T), error: (e) => void stream.errors.push(e), complete: () => undefined });
  return stream;
}

async function mutate(query: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await t.gql(query, variables, { token: adminToken });
  expect(res.body.errors).toBeUndefined();
  return res.body.data as Record<string, any>;
}

beforeAll(async () => {
  t = await startTestStack({ env: ENV });
  adminToken = await t.token({ sub: DEMO_USERS.admin, scopes: ['admin'], roles: ['admin'] });
  // The product's own gateway process serves subscriptions on its /graphql port.
  expect(t.stack.gateway.httpServer.listenerCount('upgrade')).toBeGreaterThan(0);
});

afterAll(async () => {
  for (const c of clients) await c.dispose();
  await t?.stop();
});

describe('contract subscriptions through the gateway', () => {
  it('checkInCreated: a checkIn mutation reaches the subscriber with fields from events, people and payments', async () => {
    const data = await mutate(
      `{ events(first: 1) { edges { node { id registrations(first: 20) { edges { node { id ticketCode attendee { name } payment { status } checkIn { id } } } } } } } }`,
      {},
    );
    const event = data.events.edges[0].node;
    const reg = event.registrations.edges.map((e: any) => e.node).find((r: any) => !r.checkIn && r.payment);
    expect(reg).toBeDefined();
    const after = await headCursor(t.stack.subgraphs.events.conn, `checkins:${event.id}`);
    type E = { checkInCreated: { cursor: string; checkIn: { id: string; registration: { id: string; ticketCode: string; attendee: { name: string }; payment: { status: string } } } } };
    const stream = subscribe<E>(
      `subscription ($eventId: ID!, $after: String) {
        checkInCreated(eventId: $eventId, after: $after) {
          cursor
          checkIn { id registration { id ticketCode attendee { name } payment { status } } }
        }
      }`,
      { eventId: event.id, after },
      adminToken,
    );
    const { checkIn } = await mutate(`mutation ($r: ID) { checkIn(registrationId: $r) { id } }`, { r: reg.id });
    await eventually(() => stream.events.length === 1 || stream.errors.length > 0, 15_000, 'check-in event');
    expect(stream.errors).toEqual([]);
    const ev = stream.events[0]!.checkInCreated;
    expect(ev.checkIn).toEqual({ id: checkIn.id, registration: { id: reg.id, ticketCode: reg.ticketCode, attendee: { name: reg.attendee.name }, payment: { status: reg.payment.status } } });
    expect(ev.cursor).toEqual(expect.any(String));
  });

  it('paymentStatusChanged: a payment state change reaches the subscriber with the registration and attendee', async () => {
    const data = await mutate(`{ events(first: 1) { edges { node { title registrations(first: 50) { edges { node { id ticketCode attendee { name } payment { id status } } } } } } } }`, {});
    const event = data.events.edges[0].node;
    const reg = event.registrations.edges.map((e: any) => e.node).find((r: any) => r.payment?.status === 'REQUIRES_PAYMENT');
    expect(reg).toBeDefined();
    const after = await headCursor(t.stack.subgraphs.payments.conn, `payments:${reg.id}`);
    type E = { paymentStatusChanged: { cursor: string; payment: { id: string; status: string; registration: { ticketCode: string; event: { title: string }; attendee: { name: string } } } } };
    const stream = subscribe<E>(
      `subscription ($r: ID!, $after: String) {
        paymentStatusChanged(registrationId: $r, after: $after) {
          cursor
          payment { id status registration { ticketCode event { title } attendee { name } } }
        }
      }`,
      { r: reg.id, after },
      adminToken,
    );
    await mutate(`mutation ($id: ID!) { markPaymentProcessing(id: $id) { status } }`, { id: reg.payment.id });
    await mutate(`mutation ($id: ID!) { markPaymentSucceeded(id: $id, providerRef: "pi_test") { status } }`, { id: reg.payment.id });
    await eventually(() => stream.events.length === 2 || stream.errors.length > 0, 15_000, 'payment events');
    expect(stream.errors).toEqual([]);
    expect(stream.events.map((e) => e.paymentStatusChanged.payment.status)).toEqual(['PROCESSING', 'SUCCEEDED']);
    expect(stream.events[1]!.paymentStatusChanged.payment.registration).toEqual({ ticketCode: reg.ticketCode, event: { title: event.title }, attendee: { name: reg.attendee.name } });
  });

  it('syncProgress: progress reports reach the subscriber with the connector, its event and organizer', async () => {
    const data = await mutate(`{ syncJobs(first: 20) { edges { node { id status processed total connector { event { title organizer { name } } } } } } }`, {});
    const job = data.syncJobs.edges.map((e: any) => e.node).find((j: any) => j.status === 'RUNNING' && j.connector?.event);
    expect(job).toBeDefined();
    type E = { syncProgress: { cursor: string; job: { id: string; status: string; processed: number; total: number | null; connector: { event: { title: string; organizer: { name: string } } } } } };
    const stream = subscribe<E>(
      `subscription ($j: ID!, $after: String) {
        syncProgress(jobId: $j, after: $after) {
          cursor
          job { id status processed total connector { event { title organizer { name } } } }
        }
      }`,
      { j: job.id, after: await headCursor(t.stack.subgraphs.integrations.conn, `sync:${job.id}`) },
      adminToken,
    );
    const half = Math.floor((job.processed + job.total) / 2);
    await mutate(`mutation ($j: ID!, $p: Int!, $t: Int) { reportSyncProgress(jobId: $j, processed: $p, total: $t) { status } }`, { j: job.id, p: half, t: job.total });
    await mutate(`mutation ($j: ID!, $p: Int!, $t: Int) { reportSyncProgress(jobId: $j, processed: $p, total: $t) { status } }`, { j: job.id, p: job.total, t: job.total });
    await eventually(() => stream.events.length === 2 || stream.errors.length > 0, 15_000, 'progress events');
    expect(stream.errors).toEqual([]);
    expect(stream.events.map((e) => [e.syncProgress.job.status, e.syncProgress.job.processed])).toEqual([
      ['RUNNING', half],
      ['SUCCEEDED', job.total],
    ]);
    expect(stream.events[1]!.syncProgress.job.connector.event).toEqual(job.connector.event);
  });

  it('refuses a subscription the caller may not make', async () => {
    const data = await mutate(`{ events(first: 1) { edges { node { id } } } }`, {});
    const stream = subscribe<unknown>(
      `subscription ($e: ID!) { checkInCreated(eventId: $e) { cursor } }`,
      { e: data.events.edges[0].node.id },
      await t.token({ sub: DEMO_USERS.attendee, scopes: ['events:read'], roles: ['attendee'] }),
    );
    await eventually(() => stream.errors.length > 0, 15_000, 'refusal');
    const error = (stream.errors[0] as { extensions: { code: string } }[])[0]!;
    expect(['FORBIDDEN', 'UNAUTHENTICATED']).toContain(error.extensions.code);
  });
});

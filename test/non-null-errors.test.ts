/**
 * A subgraph's null in a non-null position: the null goes up to the nearest nullable parent, as
 * GraphQL requires, and the response carries an error at the path of the field that was null, in
 * the spec's error shape and masked outside development — over HTTP and in subscription events.
 * The data is a registration whose attendee does not exist in people (written straight into the
 * events database): `Registration.attendee: User!` resolves to a User reference whose `name: String!`
 * comes back null.
 */
import { ObjectId } from 'mongodb';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoRegistration } from '../subgraphs/kit/demo.js';
import { encodeCursor } from '../subgraphs/kit/live-feed.js';
import { outboxModels } from '../subgraphs/kit/outbox.js';
import { expectSpecError, readDoc, startE2E, type E2E } from './harness/e2e.js';
import type { GraphQLResponse } from './harness/stack.js';

let t: E2E;
let eventId: string;
let keptId: string;
let orphanId: string;
const clients: Client[] = [];

/** An event of its own with two registrations: one of a demo attendee, one of a user people does not know. */
beforeAll(async () => {
  t = await startE2E();
  const db = t.stack.subgraphs.events.conn.db!;
  const template = (await readDoc(t, 'events', 'registrations', new ObjectId(demoRegistration(0).id)))!;
  const event = (await readDoc(t, 'events', 'events', template.eventId))!;
  const newEvent = new ObjectId();
  await db.collection('events').insertOne({ ...event, _id: newEvent });
  const kept = new ObjectId('000000000000000000000001');
  const orphan = new ObjectId('000000000000000000000002');
  const missingUser = new ObjectId();
  const registration = (id: ObjectId, attendeeId: unknown, ticketCode: string) => ({
    ...template,
    _id: id,
    eventId: newEvent,
    attendeeId,
    ticketCode,
    status: 'CONFIRMED',
    checkedInAt: null,
    activeKey: `${newEvent.toHexString()}:${String(attendeeId)}`,
  });
  await db.collection('registrations').insertMany([registration(kept, template.attendeeId, 'TCK-NONNULLKEPT00001'), registration(orphan, missingUser, 'TCK-NONNULLORPHAN001')]);
  eventId = newEvent.toHexString();
  keptId = kept.toHexString();
  orphanId = orphan.toHexString();
});
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await t?.stop();
});

/** Asserts a masked error at `path` that names nothing of the gateway's internals. */
function expectMaskedAt(res: GraphQLResponse, path: Array<string | number>): void {
  const err = res.body.errors?.find((e) => JSON.stringify(e.path) === JSON.stringify(path));
  expect(err, `no error at ${JSON.stringify(path)}: ${JSON.stringify(res.body)}`).toBeDefined();
  expectSpecError(err, 'INTERNAL_SERVER_ERROR');
  expect(err!.message).toBe('Unexpected error');
  expect(err!.extensions!.details).toContain(res.headers.get('x-correlation-id'));
}

function expectNoInternals(body: unknown): void {
  const text = JSON.stringify(body);
  expect(text).not.toContain('valueCompletion');
  expect(text).not.toContain('INVALID_GRAPHQL');
  expect(text).not.toContain('Cannot return null');
}

describe('a null in a non-null position over HTTP', () => {
  it('answers the bubbled null with an error at the field that was null', async () => {
    const res = await t.adminRaw(`query ($id: ID!) { registration(id: $id) { id status attendee { id name } } }`, { id: orphanId });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ registration: null });
    expect(res.body.errors).toHaveLength(1);
    expectMaskedAt(res, ['registration', 'attendee', 'name']);
    expectNoInternals(res.body);
    expect(res.body).not.toHaveProperty('extensions');
  });

  it('gives the list position in the path when the null goes up through a list', async () => {
    const res = await t.adminRaw(`query ($id: ID!) { event(id: $id) { id registrations(first: 10) { edges { node { id attendee { name } } } } } }`, { id: eventId });
    expect(res.body.data).toEqual({ event: null });
    expect(res.body.errors).toHaveLength(1);
    expectMaskedAt(res, ['event', 'registrations', 'edges', 1, 'node', 'attendee', 'name']);
    expectNoInternals(res.body);
  });

  it('keeps the error when another field of the same operation failed in a subgraph', async () => {
    const res = await t.adminRaw(`query ($id: ID!) { a: registration(id: $id) { attendee { name } } b: event(id: "not-an-id") { id } c: registration(id: "${keptId}") { attendee { name } } }`, { id: orphanId });
    expect(res.body.data).toMatchObject({ a: null, b: null, c: { attendee: { name: expect.any(String) } } });
    expect(res.body.errors).toHaveLength(2);
    expectSpecError(res.body.errors!.find((e) => e.path?.[0] === 'b'), 'BAD_USER_INPUT', 'id');
    expectMaskedAt(res, ['a', 'attendee', 'name']);
    expectNoInternals(res.body);
  });

  it('adds nothing to an error without a path, which may explain any null (a subgraph refused the variables)', async () => {
    const input = { title: 'Bad date', startsAt: 'yesterday', endsAt: '2031-03-12T18:00:00.000Z' };
    const res = await t.adminRaw(`mutation ($input: CreateEventInput!) { createEvent(input: $input) { id } }`, { input });
    expect(res.body.data).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    expectSpecError(res.body.errors![0], 'BAD_USER_INPUT', 'input.startsAt');
  });

  it('adds nothing when the selection avoids the missing data', async () => {
    const res = await t.adminRaw(`query ($id: ID!) { registration(id: $id) { id attendee { id } } }`, { id: orphanId });
    expect(res.body).toEqual({ data: { registration: { id: orphanId, attendee: { id: expect.any(String) } } } });
  });
});

describe('a null in a non-null position in a subscription event', () => {
  it('sends the event with data null and the masked error at the path', async () => {
    const counter = await outboxModels(t.stack.subgraphs.events.conn).Counter.findById(`checkins:${eventId}`).lean();
    const after = encodeCursor(`checkins:${eventId}`, counter?.seq ?? 0);
    const payloads: Array<{ data?: unknown; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }> }> = [];
    const failures: unknown[] = [];
    const client = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${t.adminToken}` } });
    clients.push(client);
    const subscribed = new Promise<void>((resolve) => {
      client.on('connected', () => resolve());
    });
    client.subscribe(
      { query: `subscription ($e: ID!, $after: String) { checkInCreated(eventId: $e, after: $after) { cursor checkIn { id registration { id attendee { name } } } } }`, variables: { e: eventId, after } },
      { next: (p) => void payloads.push(p as (typeof payloads)[number]), error: (e) => void failures.push(e), complete: () => undefined },
    );
    await subscribed;
    const checkIn = await t.adminRaw(`mutation ($r: ID) { checkIn(registrationId: $r) { id } }`, { r: orphanId });
    expect(checkIn.body.errors, JSON.stringify(checkIn.body.errors)).toBeUndefined();
    for (let waited = 0; payloads.length === 0 && failures.length === 0 && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(failures).toEqual([]);
    expect(payloads).toHaveLength(1);
    const payload = payloads[0]!;
    expect(payload.data).toBeNull();
    expect(payload.errors).toHaveLength(1);
    expect(payload.errors![0]!.path).toEqual(['checkInCreated', 'checkIn', 'registration', 'attendee', 'name']);
    expectSpecError(payload.errors![0], 'INTERNAL_SERVER_ERROR');
    expectNoInternals(payload);
  });
});

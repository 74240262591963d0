/**
 * Object rules of the events and payments subgraphs through the whole product (gateway, four
 * subgraphs, localdb): an organizer's registration of someone else is an invitation that reveals
 * nothing until accepted; organizers and check-in staff act on their own events only (mutations,
 * lists and the check-in subscription); writes that reference a person or a registration that does
 * not exist (or is cancelled, erased, someone else's) are refused with a clear error and write
 * nothing; amounts are bounded; a refund losing a race says what happened.
 */
import { createClient, type Client } from 'graphql-ws';
import { Types } from 'mongoose';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLE_SCOPES } from '../gateway/shield/scopes.js';
import { eventually } from './harness/subscription-fixtures.js';
import { demoOrganizer, demoRegistration, demoUser } from '../subgraphs/kit/demo.js';
import { demoId } from '../subgraphs/kit/ids.js';
import { encodeCursor } from '../subgraphs/kit/live-feed.js';
import { outboxModels } from '../subgraphs/kit/outbox.js';
import { collectionCounts, expectSpecError, startE2E, type E2E } from './harness/e2e.js';
import type { GraphQLResponse } from './harness/stack.js';

const EVENT = (i: number) => demoId('event', i).toHexString();
const USER = (i: number) => demoUser(i).id;
const REG = (r: number) => demoId('registration', r).toHexString();

let t: E2E;
let organizer0: string;
let organizer1: string;
const clients: Client[] = [];

/** A user token with the default scopes of `role`. */
const tokenOf = (i: number, role: 'attendee' | 'organizer' | 'staff') => t.token({ sub: USER(i), roles: [role], scopes: [...ROLE_SCOPES[role]!] });

beforeAll(async () => {
  t = await startE2E();
  organizer0 = await tokenOf(demoOrganizer(0), 'organizer');
  organizer1 = await tokenOf(demoOrganizer(1), 'organizer');
});
afterAll(async () => {
  for (const c of clients) await c.dispose();
  await t?.stop();
});

/** Sends as `token` and answers `data`, failing on any error. */
async function ok(token: string, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const res = await t.gql(query, variables, { token });
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  return res.body.data as Record<string, any>;
}

/** The one error of a response, with its path. */
function onlyError(res: GraphQLResponse): NonNullable<GraphQLResponse['body']['errors']>[number] {
  expect(res.body.errors, JSON.stringify(res.body)).toHaveLength(1);
  return res.body.errors![0]!;
}

const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { id status waitlistPosition invitation { state invitedBy { id } } } }`;
const EMAIL = `query ($id: ID!) { user(id: $id) { email } }`;
const COUNTS = `query ($id: ID!) { event(id: $id) { registeredCount waitlistCount } }`;
const CHECK_IN = `mutation ($r: ID) { checkIn(registrationId: $r) { id registration { id } } }`;

/** The email of user `i` as `token` sees it: the address, or the error code at `user.email`. */
async function emailAs(i: number, token: string): Promise<string> {
  const res = await t.gql(EMAIL, { id: USER(i) }, { token });
  if (!res.body.errors) return res.body.data.user.email;
  expect(res.body.errors[0]!.path).toEqual(['user', 'email']);
  return res.body.errors[0]!.extensions!.code;
}

/** Registrations stored for the attendee at the event, read from the events database. */
const storedRegistrations = (eventId: string, userId: string) =>
  t.stack.subgraphs.events.conn.db!.collection('registrations').countDocuments({ eventId: new Types.ObjectId(eventId), attendeeId: new Types.ObjectId(userId) });

/** The cursor at the head of an event's check-in topic: subscribing `after` it receives exactly what comes next. */
async function checkInsHead(eventId: string): Promise<string> {
  const counter = await outboxModels(t.stack.subgraphs.events.conn).Counter.findById(`checkins:${eventId}`).lean();
  return encodeCursor(`checkins:${eventId}`, counter?.seq ?? 0);
}

/** Subscribes to checkInCreated of an event with a real graphql-ws client on the gateway. */
function watchCheckIns(eventId: string, token: string, after: string | null = null) {
  const client = createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
  clients.push(client);
  const stream = { events: [] as any[], errors: [] as any[], completed: false };
  client.subscribe(
    { query: `subscription ($e: ID!, $after: String) { checkInCreated(eventId: $e, after: $after) { checkIn { registration { id ticketCode attendee { name } } } } }`, variables: { e: eventId, after } },
    { next: (v) => void (v.errors ? stream.errors.push(...v.errors) : stream.events.push(v.data)), error: (e) => void stream.errors.push(...(Array.isArray(e) ? e : [e])), complete: () => void (stream.completed = true) },
  );
  return stream;
}

describe('registering someone else', () => {
  it("an organizer's registration of another user is an invitation: no email, no spot, no confirmation until the user accepts", async () => {
    const invitee = 460;
    const before = (await ok(organizer0, COUNTS, { id: EVENT(0) })).event;
    const reg = (await ok(organizer0, REGISTER, { input: { eventId: EVENT(0), attendeeId: USER(invitee) } })).register;
    expect(reg).toMatchObject({ status: 'PENDING', waitlistPosition: null, invitation: { state: 'PENDING', invitedBy: { id: USER(demoOrganizer(0)) } } });
    expect(await emailAs(invitee, organizer0)).toBe('FORBIDDEN');
    expect((await ok(organizer0, COUNTS, { id: EVENT(0) })).event).toEqual(before);
    expectSpecError(onlyError(await t.gql(`mutation ($id: ID!) { confirmRegistration(id: $id) { id } }`, { id: reg.id }, { token: organizer0 })), 'INVALID_STATE_TRANSITION', 'id');
    expectSpecError(onlyError(await t.gql(CHECK_IN, { r: reg.id }, { token: organizer0 })), 'INVALID_STATE_TRANSITION', 'registrationId');
    const payment = await t.adminRaw(`mutation ($input: CreatePaymentInput!) { createPayment(input: $input) { id } }`, { input: { registrationId: reg.id, amount: { amount: 4900, currency: 'EUR' } } });
    expectSpecError(onlyError(payment), 'INVALID_STATE_TRANSITION', 'input.registrationId');

    // The invitee finds it among their registrations and accepts: now it counts.
    const me = await tokenOf(invitee, 'attendee');
    const mine = (await ok(me, `{ me { registrations(first: 5) { edges { node { id invitation { state } } } } } }`)).me.registrations.edges.map((e: any) => e.node);
    expect(mine).toEqual([{ id: reg.id, invitation: { state: 'PENDING' } }]);
    expectSpecError(onlyError(await t.gql(`mutation ($id: ID!) { acceptInvitation(registrationId: $id) { id } }`, { id: reg.id }, { token: organizer0 })), 'FORBIDDEN');
    const accepted = (await ok(me, `mutation ($id: ID!) { acceptInvitation(registrationId: $id) { status invitation { state } } }`, { id: reg.id })).acceptInvitation;
    expect(accepted).toEqual({ status: 'PENDING', invitation: { state: 'ACCEPTED' } });
    expect(await emailAs(invitee, organizer0)).toBe(demoUser(invitee).email);
    expect((await ok(organizer0, COUNTS, { id: EVENT(0) })).event).toEqual({ ...before, registeredCount: before.registeredCount + 1 });
    expect((await ok(organizer0, `mutation ($id: ID!) { confirmRegistration(id: $id) { status } }`, { id: reg.id })).confirmRegistration.status).toBe('CONFIRMED');
  });

  it('a declined invitation reveals nothing; in a batch every registration is an invitation too', async () => {
    const reg = (await ok(organizer0, REGISTER, { input: { eventId: EVENT(0), attendeeId: USER(461) } })).register;
    const declined = (await ok(await tokenOf(461, 'attendee'), `mutation ($id: ID!) { declineInvitation(registrationId: $id) { status invitation { state } } }`, { id: reg.id })).declineInvitation;
    expect(declined).toEqual({ status: 'CANCELLED', invitation: { state: 'DECLINED' } });
    expect(await emailAs(461, organizer0)).toBe('FORBIDDEN');

    const batch = (await ok(organizer0, `mutation ($e: ID!, $ids: [ID!]!) { registerBatch(eventId: $e, attendeeIds: $ids) { registration { invitation { state } } error { code } } }`, { e: EVENT(0), ids: [USER(462), USER(463)] })).registerBatch;
    expect(batch).toEqual([
      { registration: { invitation: { state: 'PENDING' } }, error: null },
      { registration: { invitation: { state: 'PENDING' } }, error: null },
    ]);
    for (const i of [462, 463]) expect(await emailAs(i, organizer0)).toBe('FORBIDDEN');
  });

  it("an organizer cannot place anyone into another organizer's event, one by one or in a batch", async () => {
    const res = await t.gql(REGISTER, { input: { eventId: EVENT(1), attendeeId: USER(464) } }, { token: organizer0 });
    expectSpecError(onlyError(res), 'FORBIDDEN', 'input.attendeeId');
    const batch = (await ok(organizer0, `mutation ($e: ID!, $ids: [ID!]!) { registerBatch(eventId: $e, attendeeIds: $ids) { registration { id } error { code target } } }`, { e: EVENT(1), ids: [USER(464)] })).registerBatch;
    expect(batch).toEqual([{ registration: null, error: { code: 'FORBIDDEN', target: 'attendeeIds.0' } }]);
    expect(await storedRegistrations(EVENT(1), USER(464))).toBe(0);
    expect(await emailAs(464, organizer1)).toBe('FORBIDDEN');
  });
});

describe("check-ins reach the organizer's and the assigned staff's events only", () => {
  /** Demo registrations of event 0 and event 1, confirmed and not checked in. */
  const AT_EVENT0 = [306, 312, 315].map((r) => ({ r, ...demoRegistration(r) }));
  const AT_EVENT1 = { r: 313, ...demoRegistration(313) };
  /** A pending registration of event 0. */
  const PENDING_AT_EVENT0 = { r: 318, ...demoRegistration(318) };
  const STAFF = 470;

  it('the fixtures are what the tests assume', () => {
    expect(AT_EVENT0.map((x) => [x.eventIndex, x.status, x.checkedIn])).toEqual(AT_EVENT0.map(() => [0, 'CONFIRMED', false]));
    expect([AT_EVENT1.eventIndex, AT_EVENT1.status, AT_EVENT1.checkedIn]).toEqual([1, 'CONFIRMED', false]);
    expect([PENDING_AT_EVENT0.eventIndex, PENDING_AT_EVENT0.status]).toEqual([0, 'PENDING']);
  });

  it("another event's organizer can neither check in, nor watch check-ins, nor act on registrations there", async () => {
    const checkIns = () => t.stack.subgraphs.events.conn.db!.collection('checkins').countDocuments({});
    const before = await checkIns();
    expectSpecError(onlyError(await t.gql(CHECK_IN, { r: REG(AT_EVENT0[0]!.r) }, { token: organizer1 })), 'FORBIDDEN', 'registrationId');
    const bulk = (await ok(organizer1, `mutation ($items: [CheckInItem!]!) { bulkCheckIn(items: $items) { checkIn { id } error { code target } } }`, { items: [{ registrationId: REG(AT_EVENT0[0]!.r) }, { registrationId: REG(AT_EVENT1.r) }] })).bulkCheckIn;
    expect(bulk[0]).toEqual({ checkIn: null, error: { code: 'FORBIDDEN', target: 'items.0.registrationId' } });
    expect(bulk[1].checkIn).not.toBeNull(); // their own event
    expect(await checkIns()).toBe(before + 1);

    const stream = watchCheckIns(EVENT(0), organizer1);
    await eventually(() => stream.errors.length > 0 || stream.completed, 15_000, 'refusal');
    expect(stream.errors[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(stream.events).toEqual([]);

    for (const m of ['confirmRegistration(id: $id) { id }', 'cancelRegistration(id: $id) { id }']) {
      expectSpecError(onlyError(await t.gql(`mutation ($id: ID!) { ${m} }`, { id: REG(PENDING_AT_EVENT0.r) }, { token: organizer1 })), 'RESOURCE_NOT_FOUND', 'id');
    }
    const list = await t.gql(`query ($id: ID!) { event(id: $id) { registrations(first: 1) { totalCount } } }`, { id: EVENT(0) }, { token: organizer1 });
    expect(onlyError(list).extensions?.code).toBe('FORBIDDEN');
  });

  it('check-in staff check in and watch at their event only, see nothing else, and stop when removed', async () => {
    const staff = await tokenOf(STAFF, 'staff');
    const STAFF_LIST = `query ($id: ID!) { event(id: $id) { checkInStaff { id } } }`;
    const assigned = (await ok(organizer0, `mutation ($e: ID!, $u: ID!) { assignCheckInStaff(eventId: $e, userId: $u) { checkInStaff { id } } }`, { e: EVENT(0), u: USER(STAFF) })).assignCheckInStaff;
    expect(assigned.checkInStaff).toContainEqual({ id: USER(STAFF) });
    for (const token of [organizer1, staff]) expect(onlyError(await t.gql(STAFF_LIST, { id: EVENT(0) }, { token })).extensions?.code).toBe('FORBIDDEN');
    expectSpecError(onlyError(await t.gql(`mutation ($e: ID!, $u: ID!) { assignCheckInStaff(eventId: $e, userId: $u) { id } }`, { e: EVENT(0), u: USER(471) }, { token: organizer1 })), 'FORBIDDEN');

    const stream = watchCheckIns(EVENT(0), staff, await checkInsHead(EVENT(0)));
    const elsewhere = watchCheckIns(EVENT(1), staff);
    await eventually(() => elsewhere.errors.length > 0, 15_000, 'refusal at event 1');
    expect(elsewhere.errors[0]?.extensions?.code).toBe('FORBIDDEN');
    const first = AT_EVENT0[1]!;
    const checkedIn = (await ok(staff, CHECK_IN, { r: REG(first.r) })).checkIn;
    expect(checkedIn.registration.id).toBe(REG(first.r));
    await eventually(() => stream.events.length > 0 || stream.errors.length > 0, 15_000, 'check-in event');
    expect(stream.errors).toEqual([]);
    expect(stream.events[0].checkInCreated.checkIn.registration).toMatchObject({ id: REG(first.r), attendee: { name: demoUser(first.userIndex).name } });

    expectSpecError(onlyError(await t.gql(CHECK_IN, { r: REG(AT_EVENT1.r) }, { token: staff })), 'FORBIDDEN', 'registrationId');
    expect(onlyError(await t.gql(`query ($id: ID!) { event(id: $id) { registrations(first: 1) { totalCount } } }`, { id: EVENT(0) }, { token: staff })).extensions?.code).toBe('FORBIDDEN');
    expect((await ok(staff, `query ($id: ID!) { registration(id: $id) { id } }`, { id: REG(AT_EVENT0[2]!.r) })).registration).toBeNull();
    expectSpecError(onlyError(await t.gql(REGISTER, { input: { eventId: EVENT(0), attendeeId: USER(472) } }, { token: staff })), 'FORBIDDEN', 'input.attendeeId');

    const removed = (await ok(organizer0, `mutation ($e: ID!, $u: ID!) { removeCheckInStaff(eventId: $e, userId: $u) { checkInStaff { id } } }`, { e: EVENT(0), u: USER(STAFF) })).removeCheckInStaff;
    expect(removed.checkInStaff).not.toContainEqual({ id: USER(STAFF) });
    expectSpecError(onlyError(await t.gql(CHECK_IN, { r: REG(AT_EVENT0[2]!.r) }, { token: staff })), 'FORBIDDEN', 'registrationId');
    // A check-in by the organizer after the removal does not reach the removed staff member.
    await ok(organizer0, CHECK_IN, { r: REG(AT_EVENT0[2]!.r) });
    const seen = stream.events.length;
    await eventually(() => stream.completed || stream.events.length > seen, 15_000, 'end of the removed staff member’s stream');
    expect(stream.events).toHaveLength(seen);
  });
});

describe("an organizer's API key", () => {
  it('acts as the organizer: checks in at their events only, and registers others by invitation only', async () => {
    const created = await ok(organizer0, `mutation ($input: CreateApiClientInput!) { createApiClient(input: $input) { apiKey } }`, { input: { name: 'Door scanner', scopes: ['events:read', 'registrations:write', 'checkins:write'] } });
    const key = { 'x-api-key': created.createApiClient.apiKey as string };
    const asKey = (query: string, variables: Record<string, unknown>) => t.gql(query, variables, { headers: key });
    const [own, foreign] = [{ r: 321, ...demoRegistration(321) }, { r: 316, ...demoRegistration(316) }];
    expect([own.eventIndex, own.status, own.checkedIn, foreign.eventIndex, foreign.status]).toEqual([0, 'CONFIRMED', false, 1, 'CONFIRMED']);

    expect((await asKey(CHECK_IN, { r: REG(own.r) })).body.data?.checkIn.registration.id).toBe(REG(own.r));
    expectSpecError(onlyError(await asKey(CHECK_IN, { r: REG(foreign.r) })), 'FORBIDDEN', 'registrationId');
    const invited = await asKey(REGISTER, { input: { eventId: EVENT(0), attendeeId: USER(473) } });
    expect(invited.body.data?.register.invitation).toEqual({ state: 'PENDING', invitedBy: { id: USER(demoOrganizer(0)) } });
    expectSpecError(onlyError(await asKey(REGISTER, { input: { eventId: EVENT(1), attendeeId: USER(474) } })), 'FORBIDDEN', 'input.attendeeId');
    expect(await storedRegistrations(EVENT(1), USER(474))).toBe(0);
  });
});

describe('writes for people and registrations that do not exist', () => {
  it('registering someone who does not exist, or was erased, is refused and writes nothing', async () => {
    const ghost = new Types.ObjectId().toHexString();
    const before = await collectionCounts(t);
    const res = await t.adminRaw(REGISTER, { input: { eventId: EVENT(2), attendeeId: ghost } });
    expectSpecError(onlyError(res), 'RESOURCE_NOT_FOUND', 'input.attendeeId');
    expect(res.body.data ?? null).toBeNull();
    const batch = await t.admin(`mutation ($e: ID!, $ids: [ID!]!) { registerBatch(eventId: $e, attendeeIds: $ids) { registration { id } error { code target } } }`, { e: EVENT(2), ids: [ghost] });
    expect(batch.registerBatch).toEqual([{ registration: null, error: { code: 'RESOURCE_NOT_FOUND', target: 'attendeeIds.0' } }]);
    expect(await collectionCounts(t)).toEqual(before);

    await t.admin(`mutation ($id: ID!) { eraseUser(userId: $id) { id } }`, { id: USER(465) });
    const erased = await t.adminRaw(REGISTER, { input: { eventId: EVENT(2), attendeeId: USER(465) } });
    expectSpecError(onlyError(erased), 'INVALID_STATE_TRANSITION', 'input.attendeeId');
    expect(await storedRegistrations(EVENT(2), USER(465))).toBe(0);
  });

  it('a token whose subject is no user registers nothing and gets an error', async () => {
    const ghost = new Types.ObjectId().toHexString();
    const token = await t.token({ sub: ghost, roles: ['attendee'], scopes: [...ROLE_SCOPES.attendee!] });
    const res = await t.gql(REGISTER, { input: { eventId: EVENT(2) } }, { token });
    // Refused by the gateway (unknown subject) or, behind any router, by the events subgraph.
    expect(['UNAUTHENTICATED', 'RESOURCE_NOT_FOUND']).toContain(onlyError(res).extensions?.code);
    expect(res.body.data ?? null).toBeNull();
    expect(await storedRegistrations(EVENT(2), ghost)).toBe(0);
  });

  it('createPayment for a missing, cancelled or someone else’s registration is refused and writes nothing', async () => {
    const CREATE = `mutation ($input: CreatePaymentInput!) { createPayment(input: $input) { id attendee { id } } }`;
    const money = { amount: 2500, currency: 'EUR' };
    const cancelled = demoRegistration(9);
    expect([cancelled.eventIndex, cancelled.status]).toEqual([0, 'CANCELLED']);
    const fresh = (await t.admin(REGISTER, { input: { eventId: EVENT(2), attendeeId: USER(466) } })).register;
    const payments = () => t.stack.subgraphs.payments.conn.db!.collection('payments').countDocuments({});
    const before = await payments();
    const cases: Array<[Record<string, unknown>, 'RESOURCE_NOT_FOUND' | 'INVALID_STATE_TRANSITION' | 'BAD_USER_INPUT', string]> = [
      [{ registrationId: new Types.ObjectId().toHexString(), amount: money }, 'RESOURCE_NOT_FOUND', 'input.registrationId'],
      [{ registrationId: REG(9), amount: money }, 'INVALID_STATE_TRANSITION', 'input.registrationId'],
      [{ registrationId: fresh.id, amount: money, attendeeId: USER(467) }, 'BAD_USER_INPUT', 'input.attendeeId'],
    ];
    for (const [input, code, target] of cases) {
      const res = await t.adminRaw(CREATE, { input });
      expectSpecError(onlyError(res), code, target);
      expect(res.body.data ?? null).toBeNull();
    }
    expect(await payments()).toBe(before);
    // The payments list stays whole (no orphan nulls a page).
    const page = await t.admin(`{ payments(first: 100) { edges { node { id registration { id } } } } }`);
    expect(page.payments.edges.every((e: any) => e.node.registration.id)).toBe(true);
    // Without attendeeId the payment is the registration's attendee's.
    expect((await t.admin(CREATE, { input: { registrationId: fresh.id, amount: money } })).createPayment.attendee).toEqual({ id: USER(466) });
  });
});

describe('amounts and refunds', () => {
  const CREATE = `mutation ($input: CreatePaymentInput!) { createPayment(input: $input) { id amount { amount } } }`;

  it('an amount above 99,999,999 minor units is BAD_USER_INPUT at the field; 99,999,999 is accepted', async () => {
    const reg = (await t.admin(REGISTER, { input: { eventId: EVENT(2), attendeeId: USER(468) } })).register;
    for (const amount of [100_000_000, 2_147_483_647]) {
      expectSpecError(onlyError(await t.adminRaw(CREATE, { input: { registrationId: reg.id, amount: { amount, currency: 'EUR' } } })), 'BAD_USER_INPUT', 'input.amount.amount');
    }
    expect((await t.admin(CREATE, { input: { registrationId: reg.id, amount: { amount: 99_999_999, currency: 'EUR' } } })).createPayment.amount).toEqual({ amount: 99_999_999 });
  });

  it('concurrent refunds: the winners refund, the losers answer CONFLICT with what happened and nothing else changes', async () => {
    const reg = (await t.admin(REGISTER, { input: { eventId: EVENT(2), attendeeId: USER(469) } })).register;
    const { id } = (await t.admin(CREATE, { input: { registrationId: reg.id, amount: { amount: 2500, currency: 'EUR' } } })).createPayment;
    await t.admin(`mutation ($id: ID!) { markPaymentProcessing(id: $id) { id } }`, { id });
    await t.admin(`mutation ($id: ID!) { markPaymentSucceeded(id: $id) { id } }`, { id });
    const REFUND = `mutation ($id: ID!) { refundPayment(id: $id, amount: 100, reason: "Goodwill") { refundedAmount { amount } } }`;
    const results = await Promise.all(Array.from({ length: 12 }, () => t.adminRaw(REFUND, { id })));
    const won = results.filter((r) => !r.body.errors);
    const lost = results.filter((r) => r.body.errors);
    expect(won.length + lost.length).toBe(12);
    expect(lost.length, 'concurrent refunds of one payment produce losers').toBeGreaterThan(0);
    for (const r of lost) {
      const err = onlyError(r);
      expectSpecError(err, 'CONFLICT', 'id');
      expect(err.extensions?.details).toMatch(new RegExp(`payment '${id}'.*nothing was written.*retry`, 's'));
      expect(err.extensions?.retryable).toBe(true);
    }
    const after = await t.admin(`query ($id: ID!) { payment(id: $id) { status refundedAmount { amount } refunds { amount { amount } } } }`, { id });
    expect(after.payment.refundedAmount.amount).toBe(100 * won.length);
    expect(after.payment.refunds).toHaveLength(won.length);
  });
});

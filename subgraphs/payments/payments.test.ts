import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsSubgraph } from '../events/index.js';
import { seedEvents } from '../events/seed.js';
import { DEV_INTERNAL_SECRET } from '../../platform/config.js';
import { DEMO, demoEventPrice, demoRegistration } from '../kit/demo.js';
import { demoId } from '../kit/ids.js';
import { outboxModels } from '../kit/outbox.js';
import { createPeers } from '../kit/peers.js';
import { codes, internalPrincipal, startTestSubgraph, userPrincipal, type TestSubgraph } from '../kit/testing.js';
import { createPaymentsSubgraph } from './index.js';
import { paymentsModels } from './models.js';
import { seedPayments } from './seed.js';

const hex = (kind: string, i: number) => demoId(kind, i).toHexString();
const ops = userPrincipal(hex('user', 1), { scopes: ['payments:read', 'payments:write', 'payments:refund'] });
const writerOnly = userPrincipal(hex('user', 2), { scopes: ['payments:write'] });
const stranger = userPrincipal(hex('user', 300));
const attendeeOf = (r: number) => userPrincipal(hex('user', demoRegistration(r).userIndex));

const PAYMENT_FIELDS = `id status amount { amount currency } refundedAmount { amount } failureReason providerRef invoice { number amount { amount } lineItems { quantity amount { amount } } } refunds { amount { amount } reason status }`;
const CREATE = `mutation($input: CreatePaymentInput!) { createPayment(input: $input) { ${PAYMENT_FIELDS} } }`;
const step = (name: string, extra = '') => `mutation($id: ID!${extra ? ', ' + extra.split('|')[0] : ''}) { ${name}(id: $id${extra ? ', ' + extra.split('|')[1] : ''}) { ${PAYMENT_FIELDS} } }`;
const PROCESSING = step('markPaymentProcessing');
const SUCCEEDED = step('markPaymentSucceeded', '$ref: String|providerRef: $ref');
const FAILED = step('markPaymentFailed', '$reason: String!|reason: $reason');
const REFUND = `mutation($id: ID!, $amount: Int, $reason: String!) { refundPayment(id: $id, amount: $amount, reason: $reason) { ${PAYMENT_FIELDS} } }`;

/**
 * Demo registrations of the free event 2 (no seeded payment): r % 3 === 2; r % 10 === 9 is
 * cancelled, r % 10 === 8 pending, the rest confirmed.
 */
const FREE = { first: 5, second: 11, third: 14, fourth: 17, cancelled: 29 } as const;
const attendeeIdOf = (r: number) => hex('user', demoRegistration(r).userIndex);

let t: TestSubgraph;
let events: TestSubgraph;
beforeAll(async () => {
  // New payments are checked at the events subgraph: the real one, with the demo registrations.
  events = await startTestSubgraph('events', createEventsSubgraph, { seed: seedEvents });
  const peers = createPeers({ self: 'payments', internalSecret: DEV_INTERNAL_SECRET, urls: { events: events.url } });
  t = await startTestSubgraph('payments', createPaymentsSubgraph, { seed: seedPayments, settings: { peers } });
});
afterAll(async () => {
  await t?.stop();
  await events?.stop();
});

const outboxFor = (registrationId: string) => outboxModels(t.conn).Outbox.find({ topic: `payments:${registrationId}` }).sort({ seq: 1 }).lean();

describe('seed', () => {
  it('creates a payment per paid demo registration with invoices and refunds, once', async () => {
    const expected = { total: 0, SUCCEEDED: 0, REQUIRES_PAYMENT: 0, REFUNDED: 0 };
    for (let r = 0; r < DEMO.registrations; r++) {
      const reg = demoRegistration(r);
      if (!demoEventPrice(reg.eventIndex)) continue;
      expected.total++;
      expected[reg.status === 'CONFIRMED' ? 'SUCCEEDED' : reg.status === 'PENDING' ? 'REQUIRES_PAYMENT' : 'REFUNDED']++;
    }
    const m = paymentsModels(t.conn);
    expect(await m.Payment.countDocuments()).toBe(expected.total);
    for (const s of ['SUCCEEDED', 'REQUIRES_PAYMENT', 'REFUNDED'] as const) expect(await m.Payment.countDocuments({ status: s })).toBe(expected[s]);
    expect(await m.Invoice.countDocuments()).toBe(expected.SUCCEEDED + expected.REFUNDED);
    expect(await m.Refund.countDocuments()).toBe(expected.REFUNDED);
    expect(await seedPayments(t.conn)).toEqual({ seeded: false });
    const p0 = await m.Payment.findById(demoId('payment', 0)).lean();
    expect(p0).toMatchObject({ status: 'SUCCEEDED', amount: 4900, currency: 'EUR' });
    expect(p0!.attendeeId!.toHexString()).toBe(hex('user', demoRegistration(0).userIndex));
  });
});

describe('createPayment', () => {
  const reg = hex('registration', FREE.first);
  it('records a payment awaiting money and its outbox event', async () => {
    const r = await t.call(CREATE, { input: { registrationId: reg, amount: { amount: 2500, currency: 'EUR' } } }, ops);
    expect(r.errors).toBeUndefined();
    expect(r.data!.createPayment).toMatchObject({ status: 'REQUIRES_PAYMENT', amount: { amount: 2500, currency: 'EUR' }, invoice: null, refunds: [] });
    // The attendee is the registration's (not the caller's).
    expect((await paymentsModels(t.conn).Payment.findById(r.data!.createPayment.id).lean())!.attendeeId!.toHexString()).toBe(attendeeIdOf(FREE.first));
    const events = await outboxFor(reg);
    expect(events.map((e) => e.type)).toEqual(['payment.updated']);
    expect(events[0]!.payload).toMatchObject({ id: r.data!.createPayment.id, registrationId: reg, status: 'REQUIRES_PAYMENT', amount: 2500, currency: 'EUR' });
  });
  it('refuses a second active payment for the registration with CONFLICT', async () => {
    const r = await t.call(CREATE, { input: { registrationId: reg, amount: { amount: 100, currency: 'EUR' } } }, ops);
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', target: 'input.registrationId' });
    expect(await outboxFor(reg)).toHaveLength(1);
  });
  it('validates amount, currency and ids with field paths', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ registrationId: hex('registration', FREE.second), amount: { amount: 100, currency: 'eur' } }, 'input.amount.currency'],
      [{ registrationId: hex('registration', FREE.second), amount: { amount: 100, currency: 'XYZ' } }, 'input.amount.currency'],
      [{ registrationId: hex('registration', FREE.second), amount: { amount: 0, currency: 'EUR' } }, 'input.amount.amount'],
      [{ registrationId: hex('registration', FREE.second), amount: { amount: 100_000_000, currency: 'EUR' } }, 'input.amount.amount'],
      [{ registrationId: hex('registration', FREE.second), amount: { amount: 2_147_483_647, currency: 'EUR' } }, 'input.amount.amount'],
      [{ registrationId: hex('registration', FREE.second), amount: { amount: 100, currency: 'EUR' }, attendeeId: hex('user', 2) }, 'input.attendeeId'],
      [{ registrationId: 'not-an-id', amount: { amount: 100, currency: 'EUR' } }, 'input.registrationId'],
    ];
    for (const [input, target] of cases) {
      const r = await t.call(CREATE, { input }, ops);
      expect(r.errors![0]!.extensions, target).toMatchObject({ code: 'BAD_USER_INPUT', target });
    }
    expect(await paymentsModels(t.conn).Payment.countDocuments({ registrationId: demoId('registration', FREE.second) })).toBe(0);
  });
  it('accepts the largest amount, 99,999,999 minor units', async () => {
    const r = await t.call(CREATE, { input: { registrationId: hex('registration', FREE.second), amount: { amount: 99_999_999, currency: 'EUR' } } }, ops);
    expect(r.data?.createPayment.amount).toEqual({ amount: 99_999_999, currency: 'EUR' });
  });
  it('refuses missing and cancelled registrations, writing nothing', async () => {
    const before = await paymentsModels(t.conn).Payment.countDocuments();
    const missing = await t.call(CREATE, { input: { registrationId: hex('registration', 900_000), amount: { amount: 100, currency: 'EUR' } } }, ops);
    expect(missing.errors![0]!.extensions).toMatchObject({ code: 'RESOURCE_NOT_FOUND', target: 'input.registrationId' });
    const cancelled = await t.call(CREATE, { input: { registrationId: hex('registration', FREE.cancelled), amount: { amount: 100, currency: 'EUR' } } }, ops);
    expect(cancelled.errors![0]!.extensions).toMatchObject({ code: 'INVALID_STATE_TRANSITION', target: 'input.registrationId' });
    expect(await paymentsModels(t.conn).Payment.countDocuments()).toBe(before);
    expect(await outboxModels(t.conn).Outbox.countDocuments({ topic: `payments:${hex('registration', FREE.cancelled)}` })).toBe(0);
  });
  it('needs payments:write', async () => {
    expect(codes(await t.call(CREATE, { input: { registrationId: hex('registration', FREE.fourth), amount: { amount: 100, currency: 'EUR' } } }, stranger))).toEqual(['FORBIDDEN']);
  });
});

describe('status machine over the API', () => {
  const reg = hex('registration', FREE.third);
  let id = '';
  it('walks REQUIRES_PAYMENT → PROCESSING → FAILED → PROCESSING → SUCCEEDED (invoice) → PARTIALLY_REFUNDED → REFUNDED', async () => {
    const created = await t.call(CREATE, { input: { registrationId: reg, amount: { amount: 10000, currency: 'USD' }, attendeeId: attendeeIdOf(FREE.third) } }, ops);
    id = created.data!.createPayment.id;
    const forbidden = await t.call(SUCCEEDED, { id }, ops);
    expect(forbidden.errors![0]!.extensions).toMatchObject({ code: 'INVALID_STATE_TRANSITION', status: 409 });
    expect((await t.call(PROCESSING, { id }, ops)).data!.markPaymentProcessing.status).toBe('PROCESSING');
    const failed = await t.call(FAILED, { id, reason: 'card declined' }, ops);
    expect(failed.data!.markPaymentFailed).toMatchObject({ status: 'FAILED', failureReason: 'card declined' });
    expect((await t.call(PROCESSING, { id }, ops)).data!.markPaymentProcessing).toMatchObject({ status: 'PROCESSING', failureReason: null });
    const paid = await t.call(SUCCEEDED, { id, ref: 'pi_123' }, ops);
    expect(paid.data!.markPaymentSucceeded).toMatchObject({ status: 'SUCCEEDED', providerRef: 'pi_123', invoice: { amount: { amount: 10000 }, lineItems: [{ quantity: 1, amount: { amount: 10000 } }] } });
    expect(paid.data!.markPaymentSucceeded.invoice.number).toMatch(new RegExp(`^INV-${new Date().getUTCFullYear()}-\\d{6}$`));
    expect(codes(await t.call(FAILED, { id, reason: 'late' }, ops))).toEqual(['INVALID_STATE_TRANSITION']);
    const partial = await t.call(REFUND, { id, amount: 3000, reason: 'one day only' }, ops);
    expect(partial.data!.refundPayment).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 3000 }, refunds: [{ amount: { amount: 3000 }, reason: 'one day only', status: 'SUCCEEDED' }] });
    const second = await t.call(REFUND, { id, amount: 2000, reason: 'goodwill' }, ops);
    expect(second.data!.refundPayment).toMatchObject({ status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 5000 } });
    const rest = await t.call(REFUND, { id, reason: 'cancelled' }, ops);
    expect(rest.data!.refundPayment).toMatchObject({ status: 'REFUNDED', refundedAmount: { amount: 10000 } });
    expect(rest.data!.refundPayment.refunds.map((x: any) => x.amount.amount)).toEqual([3000, 2000, 5000]);
    expect(codes(await t.call(PROCESSING, { id }, ops))).toEqual(['INVALID_STATE_TRANSITION']);
  });
  it('wrote one outbox event per status change, typed and with the payment as payload', async () => {
    const events = await outboxFor(reg);
    expect(events.map((e) => [e.type, e.payload.status])).toEqual([
      ['payment.updated', 'REQUIRES_PAYMENT'],
      ['payment.updated', 'PROCESSING'],
      ['payment.failed', 'FAILED'],
      ['payment.updated', 'PROCESSING'],
      ['payment.completed', 'SUCCEEDED'],
      ['payment.refunded', 'PARTIALLY_REFUNDED'],
      ['payment.refunded', 'PARTIALLY_REFUNDED'],
      ['payment.refunded', 'REFUNDED'],
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events[2]!.payload).toMatchObject({ id, registrationId: reg, failureReason: 'card declined', amount: 10000, currency: 'USD' });
    expect(String(events[7]!.payload.updatedAt)).toMatch(/Z$/);
  });
  it('a fully refunded payment frees the registration for a new payment', async () => {
    const again = await t.call(CREATE, { input: { registrationId: reg, amount: { amount: 500, currency: 'USD' } } }, ops);
    expect(again.errors).toBeUndefined();
  });
});

describe('refund bounds', () => {
  const r = 0; // seeded SUCCEEDED, 4900 EUR
  const id = hex('payment', r);
  it('refuses more than was paid, with BAD_USER_INPUT at amount, and writes nothing', async () => {
    const before = await outboxModels(t.conn).Outbox.countDocuments();
    const over = await t.call(REFUND, { id, amount: 4901, reason: 'too much' }, ops);
    expect(over.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', target: 'amount' });
    expect((await t.call(REFUND, { id, amount: 0, reason: 'zero' }, ops)).errors![0]!.extensions.target).toBe('amount');
    expect((await t.call(REFUND, { id, amount: 10, reason: '   ' }, ops)).errors![0]!.extensions.target).toBe('reason');
    expect(await outboxModels(t.conn).Outbox.countDocuments()).toBe(before);
    const m = paymentsModels(t.conn);
    expect(await m.Payment.findById(id).lean()).toMatchObject({ status: 'SUCCEEDED', refundedAmount: 0 });
    expect(await m.Refund.countDocuments({ paymentId: demoId('payment', r) })).toBe(0);
  });
  it('refunds need payments:refund and a refundable status', async () => {
    expect(codes(await t.call(REFUND, { id, amount: 100, reason: 'x' }, writerOnly))).toEqual(['FORBIDDEN']);
    expect(codes(await t.call(REFUND, { id: hex('payment', 18), reason: 'pending' }, ops))).toEqual(['INVALID_STATE_TRANSITION']);
    expect(codes(await t.call(REFUND, { id: hex('registration', 1), reason: 'missing' }, ops))).toEqual(['RESOURCE_NOT_FOUND']);
  });
});

describe('reading payments', () => {
  const Q = `query($id: ID!) { payment(id: $id) { id status attendee { id } registration { id } } }`;
  it('the attendee and payments:read holders see a payment; others get FORBIDDEN', async () => {
    const ok = await t.call(Q, { id: hex('payment', 3) }, attendeeOf(3));
    expect(ok.data!.payment).toEqual({ id: hex('payment', 3), status: 'SUCCEEDED', attendee: { id: hex('user', demoRegistration(3).userIndex) }, registration: { id: hex('registration', 3) } });
    expect((await t.call(Q, { id: hex('payment', 3) }, ops)).data!.payment.id).toBe(hex('payment', 3));
    expect(codes(await t.call(Q, { id: hex('payment', 3) }, stranger))).toEqual(['FORBIDDEN']);
  });
  it('lists with filters and pages without gaps or duplicates', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r: any = await t.call(`query($after: String) { payments(first: 100, after: $after, status: SUCCEEDED) { edges { node { id status } } pageInfo { hasNextPage endCursor } totalCount } }`, { after }, ops);
      seen.push(...r.data.payments.edges.map((e: any) => e.node.id));
      expect(r.data.payments.edges.every((e: any) => e.node.status === 'SUCCEEDED')).toBe(true);
      if (!r.data.payments.pageInfo.hasNextPage) break;
      after = r.data.payments.pageInfo.endCursor;
    }
    const total = await paymentsModels(t.conn).Payment.countDocuments({ status: 'SUCCEEDED' });
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    const byReg = await t.call(`query($r: ID) { payments(registrationId: $r) { totalCount } }`, { r: hex('registration', FREE.third) }, ops);
    expect(byReg.data!.payments.totalCount).toBe(2);
    expect(codes(await t.call(`{ payments { totalCount } }`, {}, stranger))).toEqual(['FORBIDDEN']);
  });
});

describe('entities', () => {
  it('resolves 50 Payment representations with one database command', async () => {
    const reps = Array.from({ length: 50 }, (_, i) => ({ __typename: 'Payment', id: hex('payment', i * 3) }));
    t.commands.length = 0;
    const r = await t.call(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Payment { id status } } }`, { r: reps }, internalPrincipal());
    expect(r.errors).toBeUndefined();
    expect(r.data!._entities.map((p: any) => p.id)).toEqual(reps.map((x) => x.id));
    expect(t.commands.filter((c) => c.collection === 'payments')).toHaveLength(1);
  });
  it('resolves 50 Registration representations with payment, invoice and refunds in one command per level', async () => {
    const regs = Array.from({ length: 50 }, (_, i) => i * 3 + 1);
    const reps = regs.map((r) => ({ __typename: 'Registration', id: hex('registration', r) }));
    t.commands.length = 0;
    const r = await t.call(`query($r: [_Any!]!) { _entities(representations: $r) { ... on Registration { id balanceDue { amount currency } payment { id status invoice { number } refunds { amount { amount } } } } } }`, { r: reps }, internalPrincipal());
    expect(r.errors).toBeUndefined();
    expect(r.data!._entities[0]).toMatchObject({ id: hex('registration', 1), balanceDue: { amount: 0, currency: 'USD' }, payment: { id: hex('payment', 1), status: 'SUCCEEDED' } });
    const pending = regs.indexOf(regs.find((x) => demoRegistration(x).status === 'PENDING')!);
    expect(r.data!._entities[pending].balanceDue).toEqual({ amount: 9900, currency: 'USD' });
    const perCollection = t.commands.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.collection!]: (acc[c.collection!] ?? 0) + 1 }), {});
    expect(perCollection).toEqual({ payments: 1, invoices: 1, refunds: 1 });
  });
  it('Registration.payment follows the payment read rule', async () => {
    const q = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Registration { payment { id } } } }`;
    const reps = [{ __typename: 'Registration', id: hex('registration', 4) }];
    expect((await t.call(q, { r: reps }, attendeeOf(4))).data!._entities[0].payment.id).toBe(hex('payment', 4));
    const denied = await t.call(q, { r: reps }, stranger);
    expect(codes(denied)).toEqual(['FORBIDDEN']);
    expect(denied.errors![0]!.path).toEqual(['_entities', 0, 'payment']);
  });
});

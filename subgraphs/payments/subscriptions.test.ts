import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventsSubgraph } from '../events/index.js';
import { seedEvents } from '../events/seed.js';
import { DEV_INTERNAL_SECRET } from '../../platform/config.js';
import { demoRegistration } from '../kit/demo.js';
import { demoId } from '../kit/ids.js';
import { createPeers } from '../kit/peers.js';
import { ANONYMOUS } from '../../platform/principal.js';
import { codes, startTestSubgraph, userPrincipal, type TestSubgraph } from '../kit/testing.js';
import { createPaymentsSubgraph } from './index.js';

/** Demo registration 17: confirmed, at the free event 2 (no seeded payment). */
const R = 17;
const ops = userPrincipal(demoId('user', 1).toHexString(), { scopes: ['payments:read', 'payments:write'] });
const attendee = userPrincipal(demoId('user', demoRegistration(R).userIndex).toHexString());
const reg = demoId('registration', R).toHexString();
const SUB = `subscription($r: ID!, $after: String) { paymentStatusChanged(registrationId: $r, after: $after) { cursor payment { id status amount { amount currency } invoice { number } registration { id } } } }`;

let t: TestSubgraph;
let events: TestSubgraph;
beforeAll(async () => {
  events = await startTestSubgraph('events', createEventsSubgraph, { seed: seedEvents });
  const peers = createPeers({ self: 'payments', internalSecret: DEV_INTERNAL_SECRET, urls: { events: events.url } });
  t = await startTestSubgraph('payments-live', createPaymentsSubgraph, { liveFeed: true, settings: { peers } });
});
afterAll(async () => {
  await t?.stop();
  await events?.stop();
});

describe('paymentStatusChanged', () => {
  let firstCursor = '';
  it('streams each status change with current related data (invoice on success)', async () => {
    const sub = await t.subscribe(SUB, { r: reg }, attendee, 3);
    await new Promise((r) => setTimeout(r, 100));
    const created = await t.call(`mutation($r: ID!, $a: ID) { createPayment(input: { registrationId: $r, attendeeId: $a, amount: { amount: 1500, currency: "EUR" } }) { id } }`, { r: reg, a: attendee.sub }, ops);
    const id = created.data!.createPayment.id;
    await t.call(`mutation($id: ID!) { markPaymentProcessing(id: $id) { id } }`, { id }, ops);
    await t.call(`mutation($id: ID!) { markPaymentSucceeded(id: $id) { id } }`, { id }, ops);
    const events = (await sub.results).map((r) => r.data!.paymentStatusChanged);
    await sub.close();
    expect(events.map((e) => e.payment.status)).toEqual(['REQUIRES_PAYMENT', 'PROCESSING', 'SUCCEEDED']);
    expect(events.every((e) => e.payment.id === id && e.payment.registration.id === reg)).toBe(true);
    expect(events[0].payment.invoice).toBeNull();
    expect(events[2].payment.invoice.number).toMatch(/^INV-\d{4}-\d{6}$/);
    firstCursor = events[0].cursor;
  });
  it('resumes after a cursor with the later events only', async () => {
    const sub = await t.subscribe(SUB, { r: reg, after: firstCursor }, attendee, 2);
    const events = (await sub.results).map((r) => r.data!.paymentStatusChanged.payment.status);
    await sub.close();
    expect(events).toEqual(['PROCESSING', 'SUCCEEDED']);
  });
  it('refuses anonymous subscribers and invalid ids', async () => {
    const anon = await t.subscribe(SUB, { r: reg }, ANONYMOUS);
    expect(codes((await anon.results)[0]!)).toEqual(['UNAUTHENTICATED']);
    await anon.close();
    const bad = await t.subscribe(SUB, { r: 'nope' }, attendee);
    expect((await bad.results)[0]!.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', target: 'registrationId' });
    await bad.close();
  });
});

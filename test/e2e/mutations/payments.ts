/** Mutation table rows of the payments subgraph. */
import { expect } from 'vitest';
import { demoEventPrice, demoRegistration } from '../../../subgraphs/kit/demo.js';
import { demoId } from '../../../subgraphs/kit/ids.js';
import { advancePayment, newPayment, newRegistration, type MutationCase } from './fixtures.js';

const PAYMENT_FIELDS = 'id status amount { amount currency } refundedAmount { amount currency } failureReason providerRef';

/** A seeded SUCCEEDED payment: demo registration 0 is CONFIRMED at a paid event. */
const PAID_R = 0;
const PAID_PAYMENT = demoId('payment', PAID_R).toHexString();

/** One row per mutation the payments subgraph contributes to the composed API. */
export const PAYMENT_MUTATIONS: MutationCase[] = [
  {
    field: 'createPayment',
    async happy(t) {
      const reg = await newRegistration(t);
      const d = await t.admin(`mutation ($input: CreatePaymentInput!) { createPayment(input: $input) { ${PAYMENT_FIELDS} registration { id } } }`, {
        input: { registrationId: reg.id, amount: { amount: 1999, currency: 'USD' } },
      });
      expect(d.createPayment).toMatchObject({ status: 'REQUIRES_PAYMENT', amount: { amount: 1999, currency: 'USD' }, refundedAmount: { amount: 0, currency: 'USD' }, registration: { id: reg.id } });
      // The registration (events) now shows the payment (payments) through the gateway.
      const seen = await t.admin(`query ($id: ID!) { registration(id: $id) { payment { id } balanceDue { amount currency } } }`, { id: reg.id });
      expect(seen.registration).toEqual({ payment: { id: d.createPayment.id }, balanceDue: { amount: 1999, currency: 'USD' } });
    },
    invalid: async (t) => {
      const reg = await newRegistration(t);
      return {
        query: `mutation ($input: CreatePaymentInput!) { createPayment(input: $input) { id } }`,
        variables: { input: { registrationId: reg.id, amount: { amount: 1999, currency: 'eur' } } },
        target: 'input.amount.currency',
      };
    },
  },
  {
    field: 'markPaymentProcessing',
    async happy(t) {
      const p = await newPayment(t);
      const d = await t.admin(`mutation ($id: ID!) { markPaymentProcessing(id: $id) { id status } }`, { id: p.id });
      expect(d.markPaymentProcessing).toEqual({ id: p.id, status: 'PROCESSING' });
    },
    invalid: () => ({ query: `mutation { markPaymentProcessing(id: "pay_123") { id } }`, target: 'id' }),
  },
  {
    field: 'markPaymentSucceeded',
    async happy(t) {
      const p = await newPayment(t);
      await advancePayment(t, p.id, 'PROCESSING');
      const d = await t.admin(`mutation ($id: ID!) { markPaymentSucceeded(id: $id, providerRef: "pi_e2e_1") { status providerRef invoice { number amount { amount currency } } } }`, { id: p.id });
      expect(d.markPaymentSucceeded).toMatchObject({ status: 'SUCCEEDED', providerRef: 'pi_e2e_1', invoice: { amount: { amount: 2500, currency: 'EUR' } } });
      expect(d.markPaymentSucceeded.invoice.number).toMatch(/^INV-\d{4}-\d{6}$/);
    },
    invalid: async (t) => {
      const p = await newPayment(t);
      await advancePayment(t, p.id, 'PROCESSING');
      return {
        query: `mutation ($id: ID!) { markPaymentSucceeded(id: $id, providerRef: "  ") { id } }`,
        variables: { id: p.id },
        target: 'providerRef',
        subject: { subgraph: 'payments', collection: 'payments', id: p.id },
      };
    },
  },
  {
    field: 'markPaymentFailed',
    async happy(t) {
      const p = await newPayment(t);
      await advancePayment(t, p.id, 'PROCESSING');
      const d = await t.admin(`mutation ($id: ID!) { markPaymentFailed(id: $id, reason: "Card declined") { status failureReason } }`, { id: p.id });
      expect(d.markPaymentFailed).toEqual({ status: 'FAILED', failureReason: 'Card declined' });
    },
    invalid: async (t) => {
      const p = await newPayment(t);
      await advancePayment(t, p.id, 'PROCESSING');
      return {
        query: `mutation ($id: ID!) { markPaymentFailed(id: $id, reason: "") { id } }`,
        variables: { id: p.id },
        target: 'reason',
        subject: { subgraph: 'payments', collection: 'payments', id: p.id },
      };
    },
  },
  {
    field: 'refundPayment',
    async happy(t) {
      const p = await newPayment(t);
      await advancePayment(t, p.id, 'SUCCEEDED');
      const q = `mutation ($id: ID!, $amount: Int) { refundPayment(id: $id, amount: $amount, reason: "Goodwill") { status refundedAmount { amount } refunds { amount { amount } reason status } } }`;
      const partial = await t.admin(q, { id: p.id, amount: 1000 });
      expect(partial.refundPayment).toEqual({ status: 'PARTIALLY_REFUNDED', refundedAmount: { amount: 1000 }, refunds: [{ amount: { amount: 1000 }, reason: 'Goodwill', status: 'SUCCEEDED' }] });
      const rest = await t.admin(q, { id: p.id });
      expect(rest.refundPayment.status).toBe('REFUNDED');
      expect(rest.refundPayment.refundedAmount).toEqual({ amount: 2500 });
    },
    // More than the seeded payment's amount; refused inside the write, so no refund is recorded.
    invalid: () => {
      const price = demoEventPrice(demoRegistration(PAID_R).eventIndex)!;
      return {
        query: `mutation ($id: ID!, $amount: Int) { refundPayment(id: $id, amount: $amount, reason: "Too much") { id } }`,
        variables: { id: PAID_PAYMENT, amount: price.amount + 1 },
        target: 'amount',
        subject: { subgraph: 'payments', collection: 'payments', id: PAID_PAYMENT },
      };
    },
  },
];

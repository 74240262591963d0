/**
 * Demo payments (the `payments` part of `DEMO_DATASETS`; first start only, never in production): for each of the first 1200 demo registrations of a paid event,
 * payment `demoId('payment', r)`: CONFIRMED → SUCCEEDED with an invoice, PENDING →
 * REQUIRES_PAYMENT, CANCELLED → REFUNDED (invoice and a full refund).
 */
import type { Connection } from 'mongoose';
import { DEMO, demoEventPrice, demoRegistration, fullDemoPlan, type DemoSeedPlan } from '../kit/demo.js';
import { demoId } from '../kit/ids.js';
import { invoiceNumber, lineItemsFor } from './invoices.js';
import { paymentsModels, type PaymentDoc, type PaymentStatus } from './models.js';

const STATUS: Record<'CONFIRMED' | 'PENDING' | 'CANCELLED', PaymentStatus> = { CONFIRMED: 'SUCCEEDED', PENDING: 'REQUIRES_PAYMENT', CANCELLED: 'REFUNDED' };

/** Seeds demo payments, invoices and refunds when the plan asks for them and there are no payments yet. */
export async function seedPayments(conn: Connection, plan: DemoSeedPlan = fullDemoPlan()): Promise<{ seeded: boolean }> {
  const m = paymentsModels(conn);
  if (!plan.datasets.has('payments') || (await m.Payment.estimatedDocumentCount()) > 0) return { seeded: false };
  const now = new Date();
  const year = now.getUTCFullYear();
  const payments: PaymentDoc[] = [];
  const invoices: Array<Record<string, unknown>> = [];
  const refunds: Array<Record<string, unknown>> = [];
  for (let r = 0; r < DEMO.registrations; r++) {
    const reg = demoRegistration(r);
    const price = demoEventPrice(reg.eventIndex);
    if (!price) continue;
    const status = STATUS[reg.status];
    const paid = status !== 'REQUIRES_PAYMENT';
    const p: PaymentDoc = {
      _id: demoId('payment', r),
      registrationId: demoId('registration', r),
      attendeeId: demoId('user', reg.userIndex),
      amount: price.amount,
      currency: price.currency,
      status,
      refundedAmount: status === 'REFUNDED' ? price.amount : 0,
      provider: 'MANUAL',
      providerRef: paid ? `manual-${r}` : null,
      failureReason: null,
      active: status !== 'REFUNDED',
      createdAt: now,
      updatedAt: now,
    };
    payments.push(p);
    if (paid) invoices.push({ _id: demoId('invoice', r), paymentId: p._id, number: invoiceNumber(year, invoices.length + 1), amount: p.amount, currency: p.currency, issuedAt: now, lineItems: lineItemsFor(p) });
    if (status === 'REFUNDED') refunds.push({ _id: demoId('refund', r), paymentId: p._id, amount: p.amount, currency: p.currency, reason: 'Registration cancelled', status: 'SUCCEEDED', createdAt: now });
  }
  await m.Payment.insertMany(payments);
  await m.Invoice.insertMany(invoices);
  await m.Refund.insertMany(refunds);
  await m.InvoiceCounter.updateOne({ _id: `INV-${year}` }, { $max: { seq: invoices.length } }, { upsert: true });
  return { seeded: true };
}

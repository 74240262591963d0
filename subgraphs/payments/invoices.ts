/** Invoices: numbered sequentially per year (INV-2027-000123), issued when a payment succeeds. */
import type { ClientSession } from 'mongoose';
import { onlyCreated } from '../kit/db.js';
import type { InvoiceDoc, PaymentDoc, PaymentsModels } from './models.js';

/** Formats an invoice number. */
export function invoiceNumber(year: number, seq: number): string {
  return `INV-${year}-${String(seq).padStart(6, '0')}`;
}

/** The single line item of a registration payment. */
export function lineItemsFor(p: PaymentDoc): InvoiceDoc['lineItems'] {
  return [{ description: `Event registration ${p.registrationId.toHexString()}`, quantity: 1, unitAmount: p.amount, amount: p.amount }];
}

/** Issues the invoice of a succeeded payment inside the caller's transaction (numbers never repeat). */
export async function issueInvoice(m: PaymentsModels, p: PaymentDoc, session: ClientSession, now = new Date()): Promise<InvoiceDoc> {
  const year = now.getUTCFullYear();
  const counter = await m.InvoiceCounter.findOneAndUpdate({ _id: `INV-${year}` }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after', session }).lean().exec();
  if (!counter) throw new Error(`the upsert of invoice counter INV-${year} answered no document`);
  const invoice = onlyCreated(await m.Invoice.create([{ paymentId: p._id, number: invoiceNumber(year, counter.seq), amount: p.amount, currency: p.currency, issuedAt: now, lineItems: lineItemsFor(p) }], { session }));
  return invoice.toObject();
}

/** Per-request DataLoaders of the payments subgraph: one query per batch, results in key order. */
import type DataLoader from 'dataloader';
import type { SubgraphContext } from '../kit/context.js';
import { byIdLoader, groupLoader, reducedGroupLoader } from '../kit/loaders.js';
import type { InvoiceDoc, PaymentDoc, PaymentsModels, RefundDoc } from './models.js';

/** The DataLoaders of one payments request. */
export interface PaymentsLoaders {
  payment: DataLoader<string, PaymentDoc | null>;
  /** The registration's current payment: the active one, else the latest. */
  paymentByRegistration: DataLoader<string, PaymentDoc | null>;
  refundsByPayment: DataLoader<string, RefundDoc[]>;
  invoiceByPayment: DataLoader<string, InvoiceDoc | null>;
}

/** The per-request context of the payments resolvers: the common context plus its loaders. */
export type PaymentsContext = SubgraphContext<PaymentsLoaders>;

/** Picks the current payment among a registration's payments (newest first). */
function currentPayment(payments: PaymentDoc[]): PaymentDoc | null {
  return payments.find((p) => p.active) ?? payments[0] ?? null;
}

/** Builds a fresh set of loaders (call once per request). */
export function createPaymentsLoaders(m: PaymentsModels): PaymentsLoaders {
  return {
    payment: byIdLoader((ids) => m.Payment.find({ _id: { $in: ids } }).lean<PaymentDoc[]>().exec()),
    paymentByRegistration: reducedGroupLoader((ids) => m.Payment.find({ registrationId: { $in: ids } }).sort({ createdAt: -1, _id: -1 }).lean<PaymentDoc[]>().exec(), (p) => p.registrationId, currentPayment),
    refundsByPayment: groupLoader((ids) => m.Refund.find({ paymentId: { $in: ids } }).sort({ createdAt: 1, _id: 1 }).lean<RefundDoc[]>().exec(), (r) => r.paymentId),
    invoiceByPayment: reducedGroupLoader((ids) => m.Invoice.find({ paymentId: { $in: ids } }).lean<InvoiceDoc[]>().exec(), (i) => i.paymentId, (list) => list[0] ?? null),
  };
}

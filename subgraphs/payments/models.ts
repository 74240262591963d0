/** Payments data on the subgraph's own connection: payments, refunds, invoices, invoice counters. */
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { modelOn } from '../kit/subgraph.js';

/** Every state of a payment (transitions in state-machine.ts). */
export const PAYMENT_STATUSES = ['REQUIRES_PAYMENT', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'REFUNDED', 'PARTIALLY_REFUNDED'] as const;
/** A payment's state (transitions in state-machine.ts). */
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
const PROVIDERS = ['MANUAL', 'STRIPE'] as const;
/** Who moves the money: recorded by hand, or Stripe. */
export type Provider = (typeof PROVIDERS)[number];

/** A payment as stored (lean document). */
export interface PaymentDoc {
  _id: Types.ObjectId;
  registrationId: Types.ObjectId;
  attendeeId: Types.ObjectId | null;
  /** Minor units. */
  amount: number;
  currency: string;
  status: PaymentStatus;
  refundedAmount: number;
  provider: Provider;
  providerRef: string | null;
  failureReason: string | null;
  /** True until fully refunded: at most one active payment per registration (unique partial index). */
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A refund as stored (lean document). */
export interface RefundDoc {
  _id: Types.ObjectId;
  paymentId: Types.ObjectId;
  amount: number;
  currency: string;
  reason: string;
  status: 'PENDING' | 'SUCCEEDED' | 'FAILED';
  createdAt: Date;
}

/** One line of an invoice; amounts in minor units of the invoice's currency. */
export interface LineItem {
  description: string;
  quantity: number;
  unitAmount: number;
  amount: number;
}

/** An invoice as stored (lean document). */
export interface InvoiceDoc {
  _id: Types.ObjectId;
  paymentId: Types.ObjectId;
  number: string;
  amount: number;
  currency: string;
  issuedAt: Date;
  lineItems: LineItem[];
}

interface CounterDoc {
  _id: string;
  seq: number;
}

/** The payments models on one connection. */
export interface PaymentsModels {
  Payment: Model<PaymentDoc>;
  Refund: Model<RefundDoc>;
  Invoice: Model<InvoiceDoc>;
  InvoiceCounter: Model<CounterDoc>;
}

const currency = { type: String, required: true, match: [/^[A-Z]{3}$/, 'must be an ISO-4217 code (three upper-case letters)'] as [RegExp, string] };
const minor = { type: Number, required: true, min: 0, validate: { validator: Number.isInteger, message: 'must be a whole number of minor units' } };

function paymentSchema(): Schema<PaymentDoc> {
  const s = new Schema<PaymentDoc>(
    {
      registrationId: { type: Schema.Types.ObjectId, required: true },
      attendeeId: { type: Schema.Types.ObjectId, default: null },
      amount: minor,
      currency,
      status: { type: String, enum: PAYMENT_STATUSES, required: true },
      refundedAmount: { ...minor, default: 0 },
      provider: { type: String, enum: PROVIDERS, default: 'MANUAL' },
      providerRef: { type: String, default: null, maxlength: 200 },
      failureReason: { type: String, default: null, maxlength: 500 },
      active: { type: Boolean, required: true, default: true },
    },
    { collection: 'payments', timestamps: true, versionKey: false },
  );
  s.index({ registrationId: 1 }, { unique: true, partialFilterExpression: { active: true }, name: 'one_active_payment_per_registration' });
  s.index({ registrationId: 1, createdAt: -1 });
  s.index({ status: 1, _id: 1 });
  s.index({ attendeeId: 1 });
  return s;
}

function refundSchema(): Schema<RefundDoc> {
  const s = new Schema<RefundDoc>(
    {
      paymentId: { type: Schema.Types.ObjectId, required: true },
      amount: minor,
      currency,
      reason: { type: String, required: true, maxlength: 500 },
      status: { type: String, enum: ['PENDING', 'SUCCEEDED', 'FAILED'], required: true },
    },
    { collection: 'refunds', timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
  );
  s.index({ paymentId: 1, createdAt: 1 });
  return s;
}

function invoiceSchema(): Schema<InvoiceDoc> {
  const s = new Schema<InvoiceDoc>(
    {
      paymentId: { type: Schema.Types.ObjectId, required: true },
      number: { type: String, required: true },
      amount: minor,
      currency,
      issuedAt: { type: Date, required: true },
      lineItems: [{ description: String, quantity: Number, unitAmount: Number, amount: Number, _id: false }],
    },
    { collection: 'invoices', versionKey: false },
  );
  s.index({ paymentId: 1 }, { unique: true });
  s.index({ number: 1 }, { unique: true });
  return s;
}

/** Registers the payments models on `conn` (once per connection). */
export function paymentsModels(conn: Connection): PaymentsModels {
  return {
    Payment: modelOn(conn, 'Payment', paymentSchema),
    Refund: modelOn(conn, 'Refund', refundSchema),
    Invoice: modelOn(conn, 'Invoice', invoiceSchema),
    InvoiceCounter: modelOn(conn, 'InvoiceCounter', () => new Schema<CounterDoc>({ _id: String, seq: Number }, { collection: 'invoice_counters', versionKey: false })),
  };
}

/**
 * Domain events of the payments subgraph, written to the outbox in the same transaction as each
 * status change. Topic `payments:<registrationId>`; the payload is the payment as JSON, from which
 * subscription resolvers rebuild the payment without a database read.
 */
import { Types } from 'mongoose';
import type { DomainEvent } from '../kit/outbox.js';
import type { PaymentDoc, PaymentStatus, Provider } from './models.js';

/** Event type for a payment that reached `status`. */
function paymentEventType(status: PaymentStatus): string {
  switch (status) {
    case 'SUCCEEDED':
      return 'payment.completed';
    case 'FAILED':
      return 'payment.failed';
    case 'REFUNDED':
    case 'PARTIALLY_REFUNDED':
      return 'payment.refunded';
    default:
      return 'payment.updated';
  }
}

/** The topic of a registration's payment events. */
export const paymentTopic = (registrationId: string): string => `payments:${registrationId}`;

/** The payment as JSON (ids as hex, dates as ISO strings). */
function paymentJson(p: PaymentDoc): Record<string, unknown> {
  return {
    id: p._id.toHexString(),
    registrationId: p.registrationId.toHexString(),
    attendeeId: p.attendeeId ? p.attendeeId.toHexString() : null,
    status: p.status,
    amount: p.amount,
    currency: p.currency,
    refundedAmount: p.refundedAmount,
    provider: p.provider,
    providerRef: p.providerRef,
    failureReason: p.failureReason,
    createdAt: new Date(p.createdAt).toISOString(),
    updatedAt: new Date(p.updatedAt).toISOString(),
  };
}

/** Rebuilds a payment document from an event payload. */
export function paymentFromJson(j: Record<string, unknown>): PaymentDoc {
  const oid = (v: unknown) => new Types.ObjectId(String(v));
  return {
    _id: oid(j.id),
    registrationId: oid(j.registrationId),
    attendeeId: j.attendeeId ? oid(j.attendeeId) : null,
    status: j.status as PaymentStatus,
    amount: Number(j.amount),
    currency: String(j.currency),
    refundedAmount: Number(j.refundedAmount ?? 0),
    provider: (j.provider as Provider) ?? 'MANUAL',
    providerRef: (j.providerRef as string | null) ?? null,
    failureReason: (j.failureReason as string | null) ?? null,
    active: j.status !== 'REFUNDED',
    createdAt: new Date(String(j.createdAt ?? j.updatedAt)),
    updatedAt: new Date(String(j.updatedAt)),
  };
}

/** The outbox event for a payment's new state. */
export function paymentChanged(p: PaymentDoc): DomainEvent {
  return { topic: paymentTopic(p.registrationId.toHexString()), type: paymentEventType(p.status), payload: paymentJson(p) };
}

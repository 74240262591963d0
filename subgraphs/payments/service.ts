/**
 * Payment rules: creation (one active payment per registration), the status machine, invoices on
 * success, refund bounds, and who may read a payment. Every status change and its outbox event are
 * written in one transaction.
 */
import type { ClientSession, Connection, Types } from 'mongoose';
import { appError, badInput, notFound } from '../kit/errors.js';
import { isInternal, requireAllowed, requireScope } from '../kit/authz.js';
import { maybeObjectId, toObjectId } from '../kit/ids.js';
import { mapDbError, requireEnum, requireInt, requireString } from '../kit/input.js';
import { inTransaction, recordEvents } from '../kit/outbox.js';
import { paginate, type Connection as Page, type PageArgs } from '../kit/pagination.js';
import { hasScope, type Principal } from '../kit/principal.js';
import { paymentChanged } from './events.js';
import { issueInvoice } from './invoices.js';
import { PAYMENT_STATUSES, type PaymentDoc, type PaymentStatus, type PaymentsModels } from './models.js';
import { assertTransition } from './statemachine.js';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
/** Largest amount accepted, in minor units. */
export const MAX_AMOUNT = 100_000_000_00;

/** May read the payment: its attendee, payments:read holders, admins, internal callers. */
export function canReadPayment(p: Principal, payment: Pick<PaymentDoc, 'attendeeId'>): boolean {
  return isInternal(p) || hasScope(p, 'payments:read') || (p.kind === 'user' && !!p.sub && payment.attendeeId?.toHexString() === p.sub);
}

/** FORBIDDEN unless the caller may read the payment. */
export function assertCanRead(p: Principal, payment: PaymentDoc): PaymentDoc {
  requireAllowed(p, canReadPayment(p, payment), 'Only the attendee, payments:read holders and admins may read this payment');
  return payment;
}

/** Validates a Money input: positive whole minor units, a known upper-case ISO-4217 code. */
export function parseMoney(value: unknown, target: string): { amount: number; currency: string } {
  const v = (value ?? {}) as Record<string, unknown>;
  const amount = requireInt(v.amount, `${target}.amount`, { min: 1, max: MAX_AMOUNT });
  const currency = requireString(v.currency, `${target}.currency`, { max: 3 });
  if (!/^[A-Z]{3}$/.test(currency) || !CURRENCIES.has(currency)) throw badInput(`${target}.currency`, 'must be an ISO-4217 currency code in upper case, e.g. EUR');
  return { amount, currency };
}

/** The payments service over its models. */
export function createPaymentsService(m: PaymentsModels, conn: Connection) {
  /**
   * Applies a change to one payment in a transaction: `plan` sees the current payment and answers the
   * next status and fields (or throws); the transition is checked, the write is conditional on the
   * state that was read, and the outbox event is recorded with it.
   */
  async function change(
    id: unknown,
    plan: (current: PaymentDoc) => { to: PaymentStatus; set?: Partial<PaymentDoc> },
    extra?: (p: PaymentDoc, session: ClientSession) => Promise<void>,
  ): Promise<PaymentDoc> {
    const _id = toObjectId(id, 'id');
    return inTransaction(conn, async (session) => {
      const current = await m.Payment.findById(_id).session(session).lean<PaymentDoc>().exec();
      if (!current) throw notFound('Payment', String(id));
      const { to, set = {} } = plan(current);
      assertTransition(current.status, to);
      const updated = await m.Payment.findOneAndUpdate(
        { _id, status: current.status, refundedAmount: current.refundedAmount },
        { $set: { ...set, status: to, active: to !== 'REFUNDED' } },
        { returnDocument: 'after', session, runValidators: true },
      )
        .lean<PaymentDoc>()
        .exec();
      if (!updated) throw appError('CONFLICT', 'The payment changed concurrently; retry', { target: 'id' });
      await extra?.(updated, session);
      await recordEvents(conn, session, [paymentChanged(updated)]);
      return updated;
    });
  }

  return {
    async get(p: Principal, payment: PaymentDoc | null): Promise<PaymentDoc | null> {
      return payment ? assertCanRead(p, payment) : null;
    },

    async list(p: Principal, args: PageArgs & { status?: unknown; registrationId?: unknown }): Promise<Page<PaymentDoc>> {
      requireScope(p, 'payments:read');
      const filter: Record<string, unknown> = {};
      if (args.status !== undefined && args.status !== null) filter.status = requireEnum(args.status, 'status', PAYMENT_STATUSES);
      if (args.registrationId !== undefined && args.registrationId !== null) filter.registrationId = toObjectId(args.registrationId, 'registrationId');
      return paginate(m.Payment, { filter, page: args });
    },

    async create(p: Principal, input: Record<string, unknown>): Promise<PaymentDoc> {
      requireScope(p, 'payments:write');
      const registrationId = toObjectId(input.registrationId, 'input.registrationId');
      const money = parseMoney(input.amount, 'input.amount');
      const attendeeId: Types.ObjectId | null =
        input.attendeeId !== undefined && input.attendeeId !== null ? toObjectId(input.attendeeId, 'input.attendeeId') : p.kind === 'user' ? maybeObjectId(p.sub) : null;
      const conflict = () => appError('CONFLICT', 'The registration already has an active payment', { target: 'input.registrationId' });
      try {
        return await inTransaction(conn, async (session) => {
          if (await m.Payment.exists({ registrationId, active: true }).session(session)) throw conflict();
          const [doc] = await m.Payment.create([{ registrationId, attendeeId, amount: money.amount, currency: money.currency, status: 'REQUIRES_PAYMENT', active: true }], { session });
          const created = doc.toObject() as PaymentDoc;
          await recordEvents(conn, session, [paymentChanged(created)]);
          return created;
        });
      } catch (err) {
        const mapped = mapDbError(err, { conflicts: { registrationId: 'input.registrationId' } });
        throw (mapped as { extensions?: { code?: string } }).extensions?.code === 'CONFLICT' ? conflict() : mapped;
      }
    },

    markProcessing(p: Principal, id: unknown): Promise<PaymentDoc> {
      requireScope(p, 'payments:write');
      return change(id, () => ({ to: 'PROCESSING', set: { failureReason: null } }));
    },

    markSucceeded(p: Principal, id: unknown, providerRef: unknown): Promise<PaymentDoc> {
      requireScope(p, 'payments:write');
      const ref = providerRef === undefined || providerRef === null ? undefined : requireString(providerRef, 'providerRef', { max: 200 });
      return change(id, () => ({ to: 'SUCCEEDED', set: ref ? { providerRef: ref, failureReason: null } : { failureReason: null } }), async (paid, session) => {
        await issueInvoice(m, paid, session);
      });
    },

    markFailed(p: Principal, id: unknown, reason: unknown): Promise<PaymentDoc> {
      requireScope(p, 'payments:write');
      const failureReason = requireString(reason, 'reason', { max: 500 });
      return change(id, () => ({ to: 'FAILED', set: { failureReason } }));
    },

    refund(p: Principal, id: unknown, amount: unknown, reason: unknown): Promise<PaymentDoc> {
      requireScope(p, 'payments:refund');
      const why = requireString(reason, 'reason', { max: 500 });
      const requested = amount === undefined || amount === null ? null : requireInt(amount, 'amount', { min: 1, max: MAX_AMOUNT });
      let refunded = 0;
      return change(
        id,
        (c) => {
          if (c.status !== 'SUCCEEDED' && c.status !== 'PARTIALLY_REFUNDED') assertTransition(c.status, 'REFUNDED');
          const remaining = c.amount - c.refundedAmount;
          refunded = requested ?? remaining;
          if (refunded > remaining) throw badInput('amount', `at most ${remaining} (${c.currency} minor units) can still be refunded`);
          return { to: refunded === remaining ? 'REFUNDED' : 'PARTIALLY_REFUNDED', set: { refundedAmount: c.refundedAmount + refunded } };
        },
        async (after, session) => {
          await m.Refund.create([{ paymentId: after._id, amount: refunded, currency: after.currency, reason: why, status: 'SUCCEEDED' }], { session });
        },
      );
    },
  };
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;

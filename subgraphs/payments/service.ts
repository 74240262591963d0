/**
 * Payment rules: creation (for an existing, not cancelled registration, checked at the events
 * subgraph first; one active payment per registration), the status machine, invoices on success,
 * refund bounds. Who may do what is in access.ts. Every status change and its outbox event are
 * written in one transaction.
 */
import { Types, type ClientSession, type Connection } from 'mongoose';
import { appError, badInput, notFound } from '../../platform/errors.js';
import { onlyCreated } from '../kit/db.js';
import { toObjectId } from '../kit/ids.js';
import { mapDbError, requireEnum, requireInt, requireString } from '../kit/input.js';
import { inTransaction, recordEvents } from '../kit/outbox.js';
import { paginate, type Connection as Page, type PageArgs } from '../kit/pagination.js';
import type { PeerCallOptions, Peers } from '../kit/peers.js';
import type { Principal } from '../../platform/principal.js';
import { requireChangePayment, requirePaymentListScope, requirePaymentScope, requireReadPayment } from './access.js';
import { paymentChanged } from './events.js';
import { issueInvoice } from './invoices.js';
import { PAYMENT_STATUSES, type PaymentDoc, type PaymentStatus, type PaymentsModels } from './models.js';
import { assertTransition } from './state-machine.js';

const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));
/**
 * Largest amount accepted, in minor units (99,999,999: just under a million in a two-decimal
 * currency). Payments, refunds and invoice totals stay far inside GraphQL's 32-bit Int.
 */
const MAX_AMOUNT = 99_999_999;

/** A registration as the events subgraph describes it to payments. */
type RegistrationFacts = {
  id: string;
  status: string;
  attendee: { id: string } | null;
  invitation: { state: string } | null;
};

/** Validates a Money input: positive whole minor units up to MAX_AMOUNT, a known upper-case ISO-4217 code. */
function parseMoney(value: unknown, target: string): { amount: number; currency: string } {
  const v = (value ?? {}) as Record<string, unknown>;
  const amount = requireInt(v.amount, `${target}.amount`, { min: 1, max: MAX_AMOUNT });
  const currency = requireString(v.currency, `${target}.currency`, { max: 3 });
  if (!/^[A-Z]{3}$/.test(currency) || !CURRENCIES.has(currency)) throw badInput(`${target}.currency`, 'must be an ISO-4217 currency code in upper case, e.g. EUR');
  return { amount, currency };
}

/**
 * Checks the registration a new payment is for at the events subgraph: it exists, is not cancelled,
 * is not an invitation its attendee has not accepted, and (when given) `attendeeId` is its attendee.
 * Answers the attendee.
 */
async function payableAttendee(peers: Peers, registrationId: Types.ObjectId, attendeeId: Types.ObjectId | null, call: PeerCallOptions): Promise<Types.ObjectId> {
  const id = registrationId.toHexString();
  const [reg] = await peers.entities<RegistrationFacts>('events', 'Registration', [id], 'id status attendee { id } invitation { state }', call);
  if (!reg) throw notFound('Registration', id, 'input.registrationId');
  if (reg.status === 'CANCELLED') throw appError('INVALID_STATE_TRANSITION', 'A cancelled registration cannot be paid', { details: `Registration '${id}' is cancelled`, target: 'input.registrationId' });
  if (reg.invitation?.state === 'PENDING') throw appError('INVALID_STATE_TRANSITION', 'The registration cannot be paid yet', { details: `Registration '${id}' is an invitation its attendee has not accepted`, target: 'input.registrationId' });
  const attendee = reg.attendee?.id;
  if (!attendee || !/^[0-9a-f]{24}$/i.test(attendee)) throw appError('SERVICE_UNAVAILABLE', undefined, { details: 'the events service described the registration without its attendee' });
  if (attendeeId && attendeeId.toHexString() !== attendee.toLowerCase()) throw badInput('input.attendeeId', `is not the attendee of registration '${id}'`);
  return new Types.ObjectId(attendee);
}

/** What the payments service works with. */
export interface PaymentsServiceOptions {
  models: PaymentsModels;
  /** The payments database, for transactions and the outbox. */
  conn: Connection;
  /** Reaches the events subgraph for the registrations payments are for. */
  peers: Peers;
}

/** The payments service over its models. */
export function createPaymentsService({ models: m, conn, peers }: PaymentsServiceOptions) {
  /**
   * Applies a change to one payment in a transaction: `plan` sees the current payment and answers the
   * next status and fields (or throws); the transition is checked, the write is conditional on the
   * state that was read, and the outbox event is recorded with it.
   */
  async function change(
    p: Principal,
    scope: string,
    action: string,
    id: unknown,
    plan: (current: PaymentDoc) => { to: PaymentStatus; set?: Partial<PaymentDoc> },
    extra?: (p: PaymentDoc, session: ClientSession) => Promise<void>,
  ): Promise<PaymentDoc> {
    const _id = toObjectId(id, 'id');
    return inTransaction(conn, async (session) => {
      const current = await m.Payment.findById(_id).session(session).lean<PaymentDoc>().exec();
      if (!current) throw notFound('Payment', String(id));
      requireChangePayment(p, current.attendeeId, scope);
      const { to, set = {} } = plan(current);
      assertTransition(current.status, to);
      const updated = await m.Payment.findOneAndUpdate(
        { _id, status: current.status, refundedAmount: current.refundedAmount },
        { $set: { ...set, status: to, active: to !== 'REFUNDED' } },
        { returnDocument: 'after', session, runValidators: true },
      )
        .lean<PaymentDoc>()
        .exec();
      if (!updated) {
        const refunded = `${current.refundedAmount} of ${current.amount} ${current.currency} minor units refunded`;
        throw appError('CONFLICT', 'The payment changed concurrently; retry', {
          target: 'id',
          details: `Another request changed payment '${_id.toHexString()}' while this ${action} was applied (it was ${current.status} with ${refunded} when read); nothing was written. Read the payment again and retry if the ${action} is still wanted.`,
          extra: { retryable: true },
        });
      }
      await extra?.(updated, session);
      await recordEvents(conn, session, [paymentChanged(updated)]);
      return updated;
    });
  }

  return {
    get(p: Principal, payment: PaymentDoc | null): Promise<PaymentDoc | null> {
      return Promise.resolve(payment ? requireReadPayment(p, payment) : null);
    },

    async list(p: Principal, args: PageArgs & { status?: unknown; registrationId?: unknown }): Promise<Page<PaymentDoc>> {
      requirePaymentScope(p, 'payments:read');
      const reach = requirePaymentListScope(p);
      const filter: Record<string, unknown> = reach.attendeeId ? { attendeeId: new Types.ObjectId(reach.attendeeId) } : {};
      if (args.status !== undefined && args.status !== null) filter.status = requireEnum(args.status, 'status', PAYMENT_STATUSES);
      if (args.registrationId !== undefined && args.registrationId !== null) filter.registrationId = toObjectId(args.registrationId, 'registrationId');
      return paginate(m.Payment, { filter, page: args });
    },

    /**
     * Records a payment awaiting money for a registration the events subgraph knows, is not
     * cancelled and whose attendee is `attendeeId` (default: the registration's attendee).
     */
    async create(p: Principal, input: Record<string, unknown>, call: PeerCallOptions = {}): Promise<PaymentDoc> {
      requirePaymentScope(p, 'payments:write');
      const registrationId = toObjectId(input.registrationId, 'input.registrationId');
      const money = parseMoney(input.amount, 'input.amount');
      const given = input.attendeeId !== undefined && input.attendeeId !== null ? toObjectId(input.attendeeId, 'input.attendeeId') : null;
      const attendeeId = await payableAttendee(peers, registrationId, given, call);
      requireChangePayment(p, attendeeId, 'payments:write');
      const conflict = () => appError('CONFLICT', 'The registration already has an active payment', { target: 'input.registrationId' });
      try {
        return await inTransaction(conn, async (session) => {
          if (await m.Payment.exists({ registrationId, active: true }).session(session)) throw conflict();
          const doc = onlyCreated(await m.Payment.create([{ registrationId, attendeeId, amount: money.amount, currency: money.currency, status: 'REQUIRES_PAYMENT', active: true }], { session }));
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
      requirePaymentScope(p, 'payments:write');
      return change(p, 'payments:write', 'status change', id, () => ({ to: 'PROCESSING', set: { failureReason: null } }));
    },

    markSucceeded(p: Principal, id: unknown, providerRef: unknown): Promise<PaymentDoc> {
      requirePaymentScope(p, 'payments:write');
      const ref = providerRef === undefined || providerRef === null ? undefined : requireString(providerRef, 'providerRef', { max: 200 });
      return change(p, 'payments:write', 'status change', id, () => ({ to: 'SUCCEEDED', set: ref ? { providerRef: ref, failureReason: null } : { failureReason: null } }), async (paid, session) => {
        await issueInvoice(m, paid, session);
      });
    },

    markFailed(p: Principal, id: unknown, reason: unknown): Promise<PaymentDoc> {
      requirePaymentScope(p, 'payments:write');
      const failureReason = requireString(reason, 'reason', { max: 500 });
      return change(p, 'payments:write', 'status change', id, () => ({ to: 'FAILED', set: { failureReason } }));
    },

    refund(p: Principal, id: unknown, amount: unknown, reason: unknown): Promise<PaymentDoc> {
      requirePaymentScope(p, 'payments:refund');
      const why = requireString(reason, 'reason', { max: 500 });
      const requested = amount === undefined || amount === null ? null : requireInt(amount, 'amount', { min: 1, max: MAX_AMOUNT });
      let refunded = 0;
      return change(
        p,
        'payments:refund',
        'refund',
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

/** Payments: lookups, lists, creation, status changes, refunds. */
export type PaymentsService = ReturnType<typeof createPaymentsService>;

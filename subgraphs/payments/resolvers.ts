/** Payments resolvers: thin mappings onto the service and per-request loaders. */
import { requireAuthenticated } from '../kit/authz.js';
import { toObjectId } from '../kit/ids.js';
import { clearLoaders } from '../kit/loaders.js';
import type { LiveFeed } from '../kit/live.js';
import type { PageArgs } from '../kit/pagination.js';
import { scalarResolvers } from '../kit/scalars.js';
import { mapIterator } from '../kit/streams.js';
import { paymentFromJson, paymentTopic } from './events.js';
import type { PaymentsContext } from './loaders.js';
import type { InvoiceDoc, LineItem, PaymentDoc, RefundDoc } from './models.js';
import { canReadPayment, requireReadPayment } from './access.js';
import type { PaymentsService } from './service.js';

/** Field arguments as GraphQL hands them over (validated by the service); typed where the schema's non-null types are relied on. */
type Args = Record<string, unknown>;
const id = (doc: { _id: { toHexString(): string } }): string => doc._id.toHexString();
const money = (amount: number, currency: string) => ({ amount, currency });

async function visiblePaymentOf(registrationId: string, ctx: PaymentsContext): Promise<PaymentDoc | null> {
  const payment = await ctx.loaders.paymentByRegistration.load(registrationId);
  return payment ? requireReadPayment(ctx.principal, payment) : null;
}

/** The service and the live feed the payments resolvers map onto. */
export interface PaymentsResolversOptions {
  service: PaymentsService;
  /** Replay-then-live feeds of the subgraph's outbox (payment status changes). */
  live: LiveFeed;
}

/** The resolver map of the payments subgraph. */
export function createPaymentsResolvers({ service: svc, live }: PaymentsResolversOptions) {
  return {
    ...scalarResolvers,
    Query: {
      payment: async (_: unknown, a: { id: string }, ctx: PaymentsContext) => svc.get(ctx.principal, await ctx.loaders.payment.load(a.id)),
      payments: (_: unknown, a: PageArgs & Args, ctx: PaymentsContext) => svc.list(ctx.principal, a),
    },
    Mutation: {
      createPayment: (_: unknown, a: { input: Record<string, unknown> }, ctx: PaymentsContext) => svc.create(ctx.principal, a.input, { correlationId: ctx.correlationId }),
      markPaymentProcessing: (_: unknown, a: Args, ctx: PaymentsContext) => svc.markProcessing(ctx.principal, a.id),
      markPaymentSucceeded: (_: unknown, a: Args, ctx: PaymentsContext) => svc.markSucceeded(ctx.principal, a.id, a.providerRef),
      markPaymentFailed: (_: unknown, a: Args, ctx: PaymentsContext) => svc.markFailed(ctx.principal, a.id, a.reason),
      refundPayment: (_: unknown, a: Args, ctx: PaymentsContext) => svc.refund(ctx.principal, a.id, a.amount, a.reason),
    },
    Subscription: {
      paymentStatusChanged: {
        subscribe: (_: unknown, a: { registrationId: string; after?: string | null }, ctx: PaymentsContext) => {
          requireAuthenticated(ctx.principal);
          const registrationId = toObjectId(a.registrationId, 'registrationId').toHexString();
          return mapIterator(live.subscribe(paymentTopic(registrationId), a.after), (rec) => {
            clearLoaders(ctx.loaders);
            const payment = paymentFromJson(rec.payload);
            return canReadPayment(ctx.principal, payment) ? { paymentStatusChanged: { cursor: rec.cursor, payment } } : undefined;
          });
        },
      },
    },
    Payment: {
      __resolveReference: async (ref: { id: string }, ctx: PaymentsContext) => svc.get(ctx.principal, await ctx.loaders.payment.load(ref.id)),
      id,
      registration: (p: PaymentDoc) => ({ __typename: 'Registration', id: p.registrationId.toHexString() }),
      attendee: (p: PaymentDoc) => (p.attendeeId ? { __typename: 'User', id: p.attendeeId.toHexString() } : null),
      amount: (p: PaymentDoc) => money(p.amount, p.currency),
      refundedAmount: (p: PaymentDoc) => money(p.refundedAmount ?? 0, p.currency),
      refunds: (p: PaymentDoc, _: Args, ctx: PaymentsContext) => ctx.loaders.refundsByPayment.load(id(p)),
      invoice: (p: PaymentDoc, _: Args, ctx: PaymentsContext) => ctx.loaders.invoiceByPayment.load(id(p)),
    },
    Refund: {
      id,
      amount: (r: RefundDoc) => money(r.amount, r.currency),
    },
    Invoice: {
      id,
      amount: (i: InvoiceDoc) => money(i.amount, i.currency),
      payment: (i: InvoiceDoc, _: Args, ctx: PaymentsContext) => ctx.loaders.payment.load(i.paymentId.toHexString()),
      lineItems: (i: InvoiceDoc) => i.lineItems.map((l: LineItem) => ({ ...l, unitAmount: money(l.unitAmount, i.currency), amount: money(l.amount, i.currency) })),
    },
    Registration: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      payment: (r: { id: string }, _: Args, ctx: PaymentsContext) => visiblePaymentOf(r.id, ctx),
      balanceDue: async (r: { id: string }, _: Args, ctx: PaymentsContext) => {
        const p = await visiblePaymentOf(r.id, ctx);
        if (!p) return null;
        const owed = p.status === 'REQUIRES_PAYMENT' || p.status === 'PROCESSING' || p.status === 'FAILED';
        return money(owed ? p.amount : 0, p.currency);
      },
    },
  };
}

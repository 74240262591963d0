/**
 * Webhook subscriptions: event types from the platform's webhook catalogue, outbound URL rules,
 * retry policy bounds, and a signing secret shown once. Deliveries are listed per subscription.
 */
import { randomBytes } from 'node:crypto';
import { badInput, notFound } from '../../platform/errors.js';
import { toObjectId } from '../kit/ids.js';
import { requireInt, requireOutboundUrl, withDbErrors } from '../kit/input.js';
import { paginate, type Connection as Page, type PageArgs } from '../kit/pagination.js';
import type { Principal } from '../../platform/principal.js';
import { requireReadIntegrations, requireWriteIntegrations } from './access.js';
import type { IntegrationsModels, WebhookDeliveryDoc, WebhookSubscriptionDoc } from './models.js';

/** The webhook event catalogue (domain spec §6.1). */
const WEBHOOK_EVENTS = [
  'event.created',
  'event.updated',
  'event.published',
  'event.cancelled',
  'registration.created',
  'registration.confirmed',
  'registration.cancelled',
  'payment.completed',
  'payment.failed',
  'payment.refunded',
  'checkin.completed',
  'session.created',
  'session.updated',
  'session.cancelled',
] as const;

const DEFAULT_RETRY_POLICY: Readonly<{ maxAttempts: number; backoffSeconds: number }> = { maxAttempts: 5, backoffSeconds: 30 };

/** A subscription as returned by the creating mutation: with its secret, once. */
export type RevealedSubscription = WebhookSubscriptionDoc & { revealedSecret?: string };

function eventList(value: unknown, target: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw badInput(target, 'at least one event type is required');
  value.forEach((e, i) => {
    if (typeof e !== 'string' || !(WEBHOOK_EVENTS as readonly string[]).includes(e)) {
      throw badInput(`${target}.${i}`, `unknown event type '${String(e).slice(0, 64)}'; one of ${WEBHOOK_EVENTS.join(', ')}`);
    }
  });
  return [...new Set(value as string[])];
}

function retryPolicy(value: unknown, target: string): { maxAttempts: number; backoffSeconds: number } {
  const v = (value ?? {}) as Record<string, unknown>;
  return { maxAttempts: requireInt(v.maxAttempts, `${target}.maxAttempts`, { min: 1, max: 20 }), backoffSeconds: requireInt(v.backoffSeconds, `${target}.backoffSeconds`, { min: 1, max: 86400 }) };
}

/** A new signing secret. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** What the webhook subscription service works with. */
export interface WebhookServiceOptions {
  models: IntegrationsModels;
}

/** The webhook subscription service. */
export function createWebhookService({ models: m }: WebhookServiceOptions) {
  async function existing(id: unknown, target = 'id'): Promise<WebhookSubscriptionDoc> {
    const sub = await m.WebhookSubscription.findById(toObjectId(id, target)).lean<WebhookSubscriptionDoc>().exec();
    if (!sub) throw notFound('WebhookSubscription', String(id), target);
    return sub;
  }

  return {
    get(p: Principal, sub: WebhookSubscriptionDoc | null): Promise<WebhookSubscriptionDoc | null> {
      requireReadIntegrations(p);
      return Promise.resolve(sub);
    },

    list(p: Principal, page: PageArgs): Promise<Page<WebhookSubscriptionDoc>> {
      requireReadIntegrations(p);
      return paginate(m.WebhookSubscription, { page });
    },

    deliveries(p: Principal, args: PageArgs & { subscriptionId: unknown }): Promise<Page<WebhookDeliveryDoc>> {
      requireReadIntegrations(p);
      return paginate(m.WebhookDelivery, { filter: { subscriptionId: toObjectId(args.subscriptionId, 'subscriptionId') }, page: args, direction: -1 });
    },

    async create(p: Principal, input: Record<string, unknown>): Promise<RevealedSubscription> {
      requireWriteIntegrations(p);
      const url = requireOutboundUrl(input.url, 'input.url');
      const events = eventList(input.events, 'input.events');
      const policy = input.retryPolicy === undefined || input.retryPolicy === null ? DEFAULT_RETRY_POLICY : retryPolicy(input.retryPolicy, 'input.retryPolicy');
      const secret = newWebhookSecret();
      const doc = await withDbErrors(() => m.WebhookSubscription.create({ url, events, active: true, secret, retryPolicy: policy }));
      return { ...(doc.toObject() as WebhookSubscriptionDoc), revealedSecret: secret };
    },

    async update(p: Principal, id: unknown, input: Record<string, unknown>): Promise<WebhookSubscriptionDoc> {
      requireWriteIntegrations(p);
      const sub = await existing(id);
      const set: Record<string, unknown> = {};
      if (input.url !== undefined && input.url !== null) set.url = requireOutboundUrl(input.url, 'input.url');
      if (input.events !== undefined && input.events !== null) set.events = eventList(input.events, 'input.events');
      if (input.active !== undefined && input.active !== null) {
        if (typeof input.active !== 'boolean') throw badInput('input.active', 'must be a boolean');
        set.active = input.active;
      }
      if (input.retryPolicy !== undefined && input.retryPolicy !== null) set.retryPolicy = retryPolicy(input.retryPolicy, 'input.retryPolicy');
      if (Object.keys(set).length === 0) return sub;
      const updated = await withDbErrors(() => m.WebhookSubscription.findByIdAndUpdate(sub._id, { $set: set }, { returnDocument: 'after', runValidators: true }).lean<WebhookSubscriptionDoc>().exec());
      if (!updated) throw notFound('WebhookSubscription', String(id));
      return updated;
    },

    async remove(p: Principal, id: unknown): Promise<string> {
      requireWriteIntegrations(p);
      const sub = await existing(id);
      await m.WebhookSubscription.deleteOne({ _id: sub._id }).exec();
      return sub._id.toHexString();
    },
  };
}

/** Webhook subscriptions and their deliveries. */
export type WebhookService = ReturnType<typeof createWebhookService>;

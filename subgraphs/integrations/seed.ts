/**
 * Demo integrations (the `integrations` part of `DEMO_DATASETS`; first start only, never in
 * production): a Google Calendar connector for demo event 0 and an
 * outbound webhook connector; three sync jobs (SUCCEEDED 1200/1200, RUNNING 450/1200, FAILED with
 * two errors); one webhook subscription with a few deliveries.
 */
import type { Connection } from 'mongoose';
import { fullDemoPlan, type DemoSeedPlan } from '../kit/demo.js';
import { demoId } from '../kit/ids.js';
import { integrationsModels } from './models.js';
import { newWebhookSecret } from './webhooks.js';

/** Seeds the demo integrations data when the plan asks for it and there are no connectors yet. */
export async function seedIntegrations(conn: Connection, plan: DemoSeedPlan = fullDemoPlan()): Promise<{ seeded: boolean }> {
  const m = integrationsModels(conn);
  if (!plan.datasets.has('integrations') || (await m.Connector.estimatedDocumentCount()) > 0) return { seeded: false };
  const now = Date.now();
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000);
  const event0 = demoId('event', 0);
  const calendar = demoId('connector', 0);
  await m.Connector.insertMany([
    {
      _id: calendar,
      kind: 'GOOGLE_CALENDAR',
      name: 'Conference calendar',
      status: 'ACTIVE',
      config: { calendarId: 'demo-conference@group.calendar.example', refreshToken: 'demo-refresh-token' },
      mapping: null,
      eventId: event0,
      lastSyncAt: at(60),
      createdAt: at(600),
      updatedAt: at(60),
    },
    {
      _id: demoId('connector', 1),
      kind: 'WEBHOOK',
      name: 'Partner CRM webhook',
      status: 'ACTIVE',
      config: { url: 'https://crm.example.com/hooks/eventgraph', secret: 'demo-webhook-secret' },
      mapping: null,
      eventId: null,
      createdAt: at(600),
      updatedAt: at(600),
    },
  ]);
  const job = (j: number, fields: Record<string, unknown>) => ({ _id: demoId('syncjob', j), connectorId: calendar, eventId: event0, errorMessages: [], checkpoint: null, finishedAt: null, ...fields });
  await m.SyncJob.insertMany([
    job(0, { kind: 'FULL', status: 'SUCCEEDED', active: false, processed: 1200, total: 1200, startedAt: at(120), finishedAt: at(60), createdAt: at(121), updatedAt: at(60) }),
    job(1, { kind: 'INCREMENTAL', status: 'RUNNING', active: true, processed: 450, total: 1200, checkpoint: 'page-9', startedAt: at(5), createdAt: at(6), updatedAt: at(1) }),
    job(2, {
      kind: 'FULL',
      status: 'FAILED',
      active: false,
      processed: 300,
      total: 1200,
      errorMessages: ['Calendar API returned 403: insufficient permissions for calendar', 'Sync aborted after 3 consecutive failures'],
      startedAt: at(300),
      finishedAt: at(290),
      createdAt: at(301),
      updatedAt: at(290),
    }),
  ]);
  const sub = demoId('webhooksub', 0);
  await m.WebhookSubscription.create({
    _id: sub,
    url: 'https://crm.example.com/hooks/eventgraph',
    events: ['registration.created', 'registration.confirmed', 'payment.completed', 'checkin.completed'],
    active: true,
    secret: newWebhookSecret(),
    retryPolicy: { maxAttempts: 5, backoffSeconds: 30 },
  });
  const delivery = (k: number, fields: Record<string, unknown>) => ({ _id: demoId('webhookdelivery', k), subscriptionId: sub, payload: { id: `whk_demo_${k}` }, responseStatus: null, lastError: null, nextAttemptAt: null, createdAt: at(50 - k * 10), ...fields });
  await m.WebhookDelivery.insertMany([
    delivery(0, { event: 'registration.created', status: 'SUCCEEDED', attempts: 1, responseStatus: 200 }),
    delivery(1, { event: 'registration.confirmed', status: 'SUCCEEDED', attempts: 1, responseStatus: 204 }),
    delivery(2, { event: 'payment.completed', status: 'RETRYING', attempts: 2, responseStatus: 503, lastError: 'HTTP 503 Service Unavailable', nextAttemptAt: new Date(now + 60_000) }),
    delivery(3, { event: 'checkin.completed', status: 'FAILED', attempts: 5, responseStatus: 500, lastError: 'HTTP 500 Internal Server Error' }),
  ]);
  return { seeded: true };
}

/** Integrations data on the subgraph's own connection: connectors, sync jobs, webhook subscriptions and deliveries. */
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { modelOn } from '../kit/subgraph.js';

/** What a connector talks to. */
export const CONNECTOR_KINDS = ['GOOGLE_CALENDAR', 'WEBHOOK', 'REST'] as const;
/** What a connector talks to: Google Calendar, an outbound webhook, or a REST API with a data mapping. */
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];
const CONNECTOR_STATUSES = ['ACTIVE', 'PAUSED', 'ERROR'] as const;
/** A connector's state: ACTIVE ⇄ PAUSED; ERROR is left by pausing or resuming it. */
export type ConnectorStatus = (typeof CONNECTOR_STATUSES)[number];
/** Every state of a sync job. */
export const SYNC_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
/** A sync job's lifecycle: QUEUED → RUNNING → SUCCEEDED, FAILED or CANCELLED. */
export type SyncStatus = (typeof SYNC_STATUSES)[number];
/** Every kind of sync job. */
export const SYNC_KINDS = ['FULL', 'INCREMENTAL'] as const;
/** A full sync or an incremental one (from the checkpoint). */
export type SyncKind = (typeof SYNC_KINDS)[number];
const DELIVERY_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED', 'RETRYING'] as const;
/** The state of one webhook delivery. */
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A connector as stored (lean document); `config` may hold secrets and is redacted on the way out. */
export interface ConnectorDoc {
  _id: Types.ObjectId;
  kind: ConnectorKind;
  name: string;
  status: ConnectorStatus;
  config: Record<string, unknown>;
  mapping: Record<string, unknown> | null;
  eventId: Types.ObjectId | null;
  sessionId: Types.ObjectId | null;
  lastSyncAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A sync job as stored (lean document). */
export interface SyncJobDoc {
  _id: Types.ObjectId;
  connectorId: Types.ObjectId;
  /** The connector's event at the time the job started (for Event.syncJobs). */
  eventId: Types.ObjectId | null;
  kind: SyncKind;
  status: SyncStatus;
  /** True while QUEUED or RUNNING: one such job per connector (unique partial index). */
  active: boolean;
  processed: number;
  total: number | null;
  errorMessages: string[];
  checkpoint: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A webhook subscription as stored (lean document). */
export interface WebhookSubscriptionDoc {
  _id: Types.ObjectId;
  url: string;
  events: string[];
  active: boolean;
  /** Signing secret (HMAC); returned only by the creating mutation. */
  secret: string;
  retryPolicy: { maxAttempts: number; backoffSeconds: number };
  createdAt: Date;
  updatedAt: Date;
}

/** One delivery of an event to a webhook subscription, as stored. */
export interface WebhookDeliveryDoc {
  _id: Types.ObjectId;
  subscriptionId: Types.ObjectId;
  event: string;
  payload: Record<string, unknown>;
  status: DeliveryStatus;
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  nextAttemptAt: Date | null;
  createdAt: Date;
}

/** The integrations models on one connection. */
export interface IntegrationsModels {
  Connector: Model<ConnectorDoc>;
  SyncJob: Model<SyncJobDoc>;
  WebhookSubscription: Model<WebhookSubscriptionDoc>;
  WebhookDelivery: Model<WebhookDeliveryDoc>;
}

const count = { type: Number, required: true, min: 0, default: 0 };

function connectorSchema(): Schema<ConnectorDoc> {
  const s = new Schema<ConnectorDoc>(
    {
      kind: { type: String, enum: CONNECTOR_KINDS, required: true },
      name: { type: String, required: true, trim: true, minlength: 1, maxlength: 200 },
      status: { type: String, enum: CONNECTOR_STATUSES, required: true, default: 'ACTIVE' },
      config: { type: Schema.Types.Mixed, required: true },
      mapping: { type: Schema.Types.Mixed, default: null },
      eventId: { type: Schema.Types.ObjectId, default: null },
      sessionId: { type: Schema.Types.ObjectId, default: null },
      lastSyncAt: { type: Date, default: null },
    },
    { collection: 'connectors', timestamps: true, versionKey: false, minimize: false },
  );
  s.index({ eventId: 1 });
  s.index({ kind: 1, _id: 1 });
  return s;
}

function syncJobSchema(): Schema<SyncJobDoc> {
  const s = new Schema<SyncJobDoc>(
    {
      connectorId: { type: Schema.Types.ObjectId, required: true },
      eventId: { type: Schema.Types.ObjectId, default: null },
      kind: { type: String, enum: SYNC_KINDS, required: true },
      status: { type: String, enum: SYNC_STATUSES, required: true },
      active: { type: Boolean, required: true },
      processed: count,
      total: { type: Number, min: 0, default: null },
      errorMessages: { type: [String], default: [] },
      checkpoint: { type: String, default: null, maxlength: 2000 },
      startedAt: { type: Date, default: null },
      finishedAt: { type: Date, default: null },
    },
    { collection: 'sync_jobs', timestamps: true, versionKey: false },
  );
  s.index({ connectorId: 1 }, { unique: true, partialFilterExpression: { active: true }, name: 'one_active_job_per_connector' });
  s.index({ connectorId: 1, _id: 1 });
  s.index({ eventId: 1, _id: 1 });
  s.index({ status: 1, _id: 1 });
  return s;
}

function webhookSubscriptionSchema(): Schema<WebhookSubscriptionDoc> {
  return new Schema<WebhookSubscriptionDoc>(
    {
      url: { type: String, required: true, maxlength: 2048 },
      events: { type: [String], required: true },
      active: { type: Boolean, required: true, default: true },
      secret: { type: String, required: true },
      retryPolicy: {
        maxAttempts: { type: Number, required: true, min: 1, max: 20 },
        backoffSeconds: { type: Number, required: true, min: 1, max: 86400 },
      },
    },
    { collection: 'webhook_subscriptions', timestamps: true, versionKey: false },
  );
}

function webhookDeliverySchema(): Schema<WebhookDeliveryDoc> {
  const s = new Schema<WebhookDeliveryDoc>(
    {
      subscriptionId: { type: Schema.Types.ObjectId, required: true },
      event: { type: String, required: true },
      payload: { type: Schema.Types.Mixed, default: {} },
      status: { type: String, enum: DELIVERY_STATUSES, required: true },
      attempts: count,
      responseStatus: { type: Number, default: null },
      lastError: { type: String, default: null },
      nextAttemptAt: { type: Date, default: null },
    },
    { collection: 'webhook_deliveries', timestamps: { createdAt: true, updatedAt: false }, versionKey: false, minimize: false },
  );
  s.index({ subscriptionId: 1, _id: 1 });
  s.index({ status: 1, nextAttemptAt: 1 });
  return s;
}

/** Registers the integrations models on `conn` (once per connection). */
export function integrationsModels(conn: Connection): IntegrationsModels {
  return {
    Connector: modelOn(conn, 'Connector', connectorSchema),
    SyncJob: modelOn(conn, 'SyncJob', syncJobSchema),
    WebhookSubscription: modelOn(conn, 'WebhookSubscription', webhookSubscriptionSchema),
    WebhookDelivery: modelOn(conn, 'WebhookDelivery', webhookDeliverySchema),
  };
}

/** Per-request DataLoaders of the integrations subgraph: one query per batch, results in key order. */
import type DataLoader from 'dataloader';
import type { SubgraphContext } from '../kit/context.js';
import { byIdLoader, groupLoader } from '../kit/loaders.js';
import { connectionLoader, type ConnectionLoader } from '../kit/pagination.js';
import type { ConnectorDoc, IntegrationsModels, SyncJobDoc, WebhookSubscriptionDoc } from './models.js';

/** The DataLoaders of one integrations request. */
export interface IntegrationsLoaders {
  connector: DataLoader<string, ConnectorDoc | null>;
  connectorsByEvent: DataLoader<string, ConnectorDoc[]>;
  syncJob: DataLoader<string, SyncJobDoc | null>;
  /** Event.syncJobs pages, batched across events. */
  syncJobsByEvent: ConnectionLoader<SyncJobDoc>;
  webhookSubscription: DataLoader<string, WebhookSubscriptionDoc | null>;
}

/** The per-request context of the integrations resolvers: the common context plus its loaders. */
export type IntegrationsContext = SubgraphContext<IntegrationsLoaders>;

/** Builds a fresh set of loaders (call once per request). */
export function createIntegrationsLoaders(m: IntegrationsModels): IntegrationsLoaders {
  return {
    connector: byIdLoader((ids) => m.Connector.find({ _id: { $in: ids } }).lean<ConnectorDoc[]>().exec()),
    connectorsByEvent: groupLoader((ids) => m.Connector.find({ eventId: { $in: ids } }).sort({ _id: 1 }).lean<ConnectorDoc[]>().exec(), (c) => c.eventId),
    syncJob: byIdLoader((ids) => m.SyncJob.find({ _id: { $in: ids } }).lean<SyncJobDoc[]>().exec()),
    syncJobsByEvent: connectionLoader(m.SyncJob, { parentField: 'eventId' }),
    webhookSubscription: byIdLoader((ids) => m.WebhookSubscription.find({ _id: { $in: ids } }).lean<WebhookSubscriptionDoc[]>().exec()),
  };
}

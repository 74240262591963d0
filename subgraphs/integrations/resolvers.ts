/** Integrations resolvers: thin mappings onto the services and per-request loaders. */
import { toObjectId } from '../kit/ids.js';
import { clearLoaders } from '../kit/loaders.js';
import type { LiveFeed } from '../kit/live.js';
import type { PageArgs } from '../kit/pagination.js';
import { scalarResolvers } from '../kit/scalars.js';
import { mapIterator } from '../kit/streams.js';
import { requireReadIntegrations } from './access.js';
import { redact } from './connector-config.js';
import { syncJobFromJson, syncTopic } from './events.js';
import type { IntegrationsContext } from './loaders.js';
import type { ConnectorDoc, SyncJobDoc, WebhookDeliveryDoc } from './models.js';
import type { ConnectorService } from './service.js';
import type { SyncJobService } from './sync-jobs.js';
import type { RevealedSubscription, WebhookService } from './webhooks.js';

/** Field arguments as GraphQL hands them over (validated by the services); typed where the schema's non-null types are relied on. */
type Args = Record<string, unknown>;
type InputArgs = Args & { input: Record<string, unknown> };
type Ctx = IntegrationsContext;
const id = (doc: { _id: { toHexString(): string } }): string => doc._id.toHexString();
const stub = (typename: string, oid: { toHexString(): string } | null) => (oid ? { __typename: typename, id: oid.toHexString() } : null);

/** After a job changes, later fields of the same request read it and its event's jobs afresh. */
function changedJob(ctx: Ctx, job: SyncJobDoc): SyncJobDoc {
  ctx.loaders.syncJob.clear(id(job)).prime(id(job), job);
  if (job.eventId) ctx.loaders.syncJobsByEvent.clearParent(job.eventId);
  return job;
}

/** The services and the live feed the integrations resolvers map onto. */
export interface IntegrationsResolversOptions {
  connectors: ConnectorService;
  syncJobs: SyncJobService;
  webhooks: WebhookService;
  /** Replay-then-live feeds of the subgraph's outbox (sync progress). */
  live: LiveFeed;
}

/** The resolver map of the integrations subgraph. */
export function createIntegrationsResolvers({ connectors, syncJobs: jobs, webhooks, live }: IntegrationsResolversOptions) {
  return {
    ...scalarResolvers,
    Query: {
      syncJob: async (_: unknown, a: { id: string }, ctx: Ctx) => jobs.get(ctx.principal, await ctx.loaders.syncJob.load(a.id)),
      syncJobs: (_: unknown, a: PageArgs & Args, ctx: Ctx) => jobs.list(ctx.principal, a),
      connector: async (_: unknown, a: { id: string }, ctx: Ctx) => connectors.get(ctx.principal, await ctx.loaders.connector.load(a.id)),
      connectors: (_: unknown, a: PageArgs & Args, ctx: Ctx) => connectors.list(ctx.principal, a),
      webhookSubscriptions: (_: unknown, a: PageArgs & Args, ctx: Ctx) => webhooks.list(ctx.principal, a),
      webhookDeliveries: (_: unknown, a: PageArgs & { subscriptionId: unknown }, ctx: Ctx) => webhooks.deliveries(ctx.principal, a),
    },
    Mutation: {
      createConnector: (_: unknown, a: InputArgs, ctx: Ctx) => connectors.create(ctx.principal, a.input),
      updateConnector: (_: unknown, a: InputArgs, ctx: Ctx) => connectors.update(ctx.principal, a.id, a.input),
      pauseConnector: (_: unknown, a: Args, ctx: Ctx) => connectors.pause(ctx.principal, a.id),
      resumeConnector: (_: unknown, a: Args, ctx: Ctx) => connectors.resume(ctx.principal, a.id),
      deleteConnector: (_: unknown, a: Args, ctx: Ctx) => connectors.remove(ctx.principal, a.id),
      startSyncJob: async (_: unknown, a: Args, ctx: Ctx) => changedJob(ctx, await jobs.start(ctx.principal, a.connectorId, a.kind)),
      cancelSyncJob: async (_: unknown, a: Args, ctx: Ctx) => changedJob(ctx, await jobs.cancel(ctx.principal, a.id)),
      reportSyncProgress: async (_: unknown, a: Args & { jobId: unknown; processed: unknown }, ctx: Ctx) => changedJob(ctx, await jobs.report(ctx.principal, a)),
      createWebhookSubscription: (_: unknown, a: InputArgs, ctx: Ctx) => webhooks.create(ctx.principal, a.input),
      updateWebhookSubscription: (_: unknown, a: InputArgs, ctx: Ctx) => webhooks.update(ctx.principal, a.id, a.input),
      deleteWebhookSubscription: (_: unknown, a: Args, ctx: Ctx) => webhooks.remove(ctx.principal, a.id),
    },
    Subscription: {
      syncProgress: {
        subscribe: (_: unknown, a: { jobId: string; after?: string | null }, ctx: Ctx) => {
          requireReadIntegrations(ctx.principal);
          const jobId = toObjectId(a.jobId, 'jobId').toHexString();
          return mapIterator(live.subscribe(syncTopic(jobId), a.after), (rec) => {
            clearLoaders(ctx.loaders);
            return { syncProgress: { cursor: rec.cursor, job: syncJobFromJson(rec.payload) } };
          });
        },
      },
    },
    Connector: {
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => connectors.get(ctx.principal, await ctx.loaders.connector.load(ref.id)),
      id,
      config: (c: ConnectorDoc) => redact(c.config),
      event: (c: ConnectorDoc) => stub('Event', c.eventId),
      session: (c: ConnectorDoc) => stub('Session', c.sessionId),
    },
    SyncJob: {
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => jobs.get(ctx.principal, await ctx.loaders.syncJob.load(ref.id)),
      id,
      errors: (j: SyncJobDoc) => j.errorMessages,
      connector: (j: SyncJobDoc, _: Args, ctx: Ctx) => ctx.loaders.connector.load(j.connectorId.toHexString()),
    },
    WebhookSubscription: {
      __resolveReference: async (ref: { id: string }, ctx: Ctx) => webhooks.get(ctx.principal, await ctx.loaders.webhookSubscription.load(ref.id)),
      id,
      secret: (s: RevealedSubscription) => s.revealedSecret ?? null,
    },
    WebhookDelivery: {
      id,
      subscription: (d: WebhookDeliveryDoc, _: Args, ctx: Ctx) => ctx.loaders.webhookSubscription.load(d.subscriptionId.toHexString()),
    },
    Event: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      connectors: (e: { id: string }, _: Args, ctx: Ctx) => {
        requireReadIntegrations(ctx.principal);
        return ctx.loaders.connectorsByEvent.load(e.id);
      },
      syncJobs: (e: { id: string }, a: PageArgs, ctx: Ctx) => jobs.forEvent(ctx.principal, ctx.loaders, e.id, a),
    },
  };
}

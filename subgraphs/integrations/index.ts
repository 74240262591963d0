/**
 * The integrations subgraph: connectors (Google Calendar, outbound webhook, generic REST with a
 * data mapping), sync jobs with live progress, webhook subscriptions and their deliveries, and the
 * `connectors`/`syncJobs` fields of Event.
 */
import type { SubgraphDeps, SubgraphModule } from '../kit/module.js';
import { assembleSubgraph } from '../kit/subgraph.js';
import { createIntegrationsLoaders, type IntegrationsContext } from './loaders.js';
import { integrationsModels } from './models.js';
import { createIntegrationsResolvers } from './resolvers.js';
import { createConnectorService } from './service.js';
import { createSyncJobService } from './sync-jobs.js';
import { createWebhookService } from './webhooks.js';

/** The per-request context of the integrations resolvers. */
export type { IntegrationsContext } from './loaders.js';

/** Builds the integrations subgraph on `deps.conn`; call `init()` once before serving. */
export function createIntegrationsSubgraph(deps: SubgraphDeps): SubgraphModule<IntegrationsContext> {
  const models = integrationsModels(deps.conn);
  const connectors = createConnectorService({ models });
  return assembleSubgraph({
    name: 'integrations',
    schemaUrl: new URL('../../schema/integrations.graphql', import.meta.url),
    resolvers: createIntegrationsResolvers({
      connectors,
      syncJobs: createSyncJobService({ models, conn: deps.conn, connectors }),
      webhooks: createWebhookService({ models }),
      live: deps.live,
    }),
    conn: deps.conn,
    models: { ...models },
    loaders: () => createIntegrationsLoaders(models),
  });
}

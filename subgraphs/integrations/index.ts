/**
 * The integrations subgraph: connectors (Google Calendar, outbound webhook, generic REST with a
 * data mapping), sync jobs with live progress, webhook subscriptions and their deliveries, and the
 * `connectors`/`syncJobs` fields of Event.
 */
import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { gql } from 'graphql-tag';
import type { SubgraphDeps, SubgraphModule } from '../kit/module.js';
import { outboxModels } from '../kit/outbox.js';
import { createIntegrationsLoaders, type IntegrationsContext } from './loaders.js';
import { integrationsModels } from './models.js';
import { integrationsResolvers } from './resolvers.js';
import { createConnectorService } from './service.js';
import { createSyncJobService } from './syncjobs.js';
import { createWebhookService } from './webhooks.js';

/** Builds the integrations subgraph on `deps.conn`. */
export function createIntegrationsSubgraph(deps: SubgraphDeps): SubgraphModule<IntegrationsContext> {
  const typeDefs = gql(readFileSync(new URL('../../schema/integrations.graphql', import.meta.url), 'utf8'));
  const models = integrationsModels(deps.conn);
  const connectors = createConnectorService(models);
  const resolvers = integrationsResolvers(connectors, createSyncJobService(models, deps.conn, connectors), createWebhookService(models), deps.live);
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: resolvers as unknown as GraphQLResolverMap<IntegrationsContext> }]);
  return {
    name: 'integrations',
    typeDefs,
    schema,
    buildContext: (base) => ({ ...base, loaders: createIntegrationsLoaders(models) }),
    async init() {
      const { Outbox, Counter } = outboxModels(deps.conn);
      await Promise.all([...Object.values(models).map((m) => m.init()), Outbox.init(), Counter.init()]);
    },
    async dispose() {
      /* no timers or workers */
    },
  };
}

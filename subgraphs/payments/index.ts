/**
 * The payments subgraph: payments with a status machine, invoices, refunds, the `payment` and
 * `balanceDue` fields of Registration, and live payment status changes.
 */
import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { gql } from 'graphql-tag';
import type { SubgraphDeps, SubgraphModule } from '../kit/module.js';
import { outboxModels } from '../kit/outbox.js';
import { createPaymentsLoaders, type PaymentsContext } from './loaders.js';
import { paymentsModels } from './models.js';
import { paymentsResolvers } from './resolvers.js';
import { createPaymentsService } from './service.js';

/** Builds the payments subgraph on `deps.conn`. */
export function createPaymentsSubgraph(deps: SubgraphDeps): SubgraphModule<PaymentsContext> {
  const typeDefs = gql(readFileSync(new URL('../../schema/payments.graphql', import.meta.url), 'utf8'));
  const models = paymentsModels(deps.conn);
  const resolvers = paymentsResolvers(createPaymentsService(models, deps.conn), deps.live);
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: resolvers as unknown as GraphQLResolverMap<PaymentsContext> }]);
  return {
    name: 'payments',
    typeDefs,
    schema,
    buildContext: (base) => ({ ...base, loaders: createPaymentsLoaders(models) }),
    async init() {
      const { Outbox, Counter } = outboxModels(deps.conn);
      await Promise.all([...Object.values(models).map((m) => m.init()), Outbox.init(), Counter.init()]);
    },
    async dispose() {
      /* no timers or workers */
    },
  };
}

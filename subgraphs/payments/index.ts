/**
 * The payments subgraph: payments with a status machine, invoices, refunds, the `payment` and
 * `balanceDue` fields of Registration, and live payment status changes.
 */
import type { SubgraphDeps, SubgraphModule } from '../kit/module.js';
import { NO_PEERS, peersFrom } from '../kit/peers.js';
import { assembleSubgraph } from '../kit/subgraph.js';
import { createPaymentsLoaders, type PaymentsContext } from './loaders.js';
import { paymentsModels } from './models.js';
import { createPaymentsResolvers } from './resolvers.js';
import { createPaymentsService } from './service.js';

/** The per-request context of the payments resolvers. */
export type { PaymentsContext } from './loaders.js';

/**
 * Builds the payments subgraph on `deps.conn`; call `init()` once before serving. New payments are
 * checked at the events subgraph through `deps.settings.peers` (see kit/peers.ts); without it
 * `createPayment` fails with SERVICE_UNAVAILABLE.
 */
export function createPaymentsSubgraph(deps: SubgraphDeps): SubgraphModule<PaymentsContext> {
  const models = paymentsModels(deps.conn);
  return assembleSubgraph({
    name: 'payments',
    schemaUrl: new URL('../../schema/payments.graphql', import.meta.url),
    resolvers: createPaymentsResolvers({ service: createPaymentsService({ models, conn: deps.conn, peers: peersFrom(deps.settings) ?? NO_PEERS }), live: deps.live }),
    conn: deps.conn,
    models: { ...models },
    loaders: () => createPaymentsLoaders(models),
  });
}

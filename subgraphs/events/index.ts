/**
 * The events subgraph: events (series and sub-events, draft → published → cancelled), sessions
 * with speakers, registrations with ticket codes and a waitlist, idempotent check-ins, and live
 * feeds of their changes, check-in staff per event. It contributes `User.registrations` to the
 * people subgraph's User.
 */
import type { SubgraphDeps, SubgraphModule } from '../kit/module.js';
import { NO_PEERS, peersFrom } from '../kit/peers.js';
import { assembleSubgraph } from '../kit/subgraph.js';
import { createEventsLoaders, type EventsContext } from './loaders.js';
import { eventsModels } from './models.js';
import { createReferences } from './references.js';
import { createEventsResolvers } from './resolvers.js';
import { createEventsService } from './service.js';

/** The per-request context of the events resolvers. */
export type { EventsContext } from './loaders.js';

/**
 * Builds the events subgraph on `deps.conn`; call `init()` once before serving. Writes that
 * reference people ask the people subgraph through `deps.settings.peers` (see kit/peers.ts); without
 * it they fail with SERVICE_UNAVAILABLE.
 */
export function createEventsSubgraph(deps: SubgraphDeps): SubgraphModule<EventsContext> {
  const models = eventsModels(deps.conn);
  const refs = createReferences({ peers: peersFrom(deps.settings) ?? NO_PEERS });
  return assembleSubgraph({
    name: 'events',
    schemaUrl: new URL('../../schema/events.graphql', import.meta.url),
    resolvers: createEventsResolvers({ service: createEventsService({ conn: deps.conn, models, logger: deps.logger, refs }), live: deps.live }),
    conn: deps.conn,
    models: { ...models },
    loaders: () => createEventsLoaders(models),
  });
}

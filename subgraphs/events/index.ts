/**
 * The events subgraph: events (series and sub-events, draft → published → cancelled), sessions
 * with speakers, registrations with ticket codes and a waitlist, idempotent check-ins, and live
 * feeds of their changes. It contributes `User.registrations` to the people subgraph's User.
 */
import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { gql } from 'graphql-tag';
import type { SubgraphDeps, SubgraphModule } from '../kit/module.js';
import { outboxModels } from '../kit/outbox.js';
import { createEventsLoaders, type EventsContext } from './loaders.js';
import { eventsModels } from './models.js';
import { createResolvers } from './resolvers.js';
import { createEventsService } from './service.js';

export type { EventsContext } from './loaders.js';

/** Builds the events subgraph on `deps.conn`; call `init()` once before serving. */
export function createEventsSubgraph(deps: SubgraphDeps): SubgraphModule<EventsContext> {
  const typeDefs = gql(readFileSync(new URL('../../schema/events.graphql', import.meta.url), 'utf8'));
  const models = eventsModels(deps.conn);
  const service = createEventsService({ conn: deps.conn, models, logger: deps.logger });
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: createResolvers(service, deps.live) }]);
  return {
    name: 'events',
    typeDefs,
    schema,
    buildContext: (base) => ({ ...base, loaders: createEventsLoaders(models) }),
    async init() {
      const { Outbox, Counter } = outboxModels(deps.conn);
      await Promise.all([models.Event.init(), models.Session.init(), models.Registration.init(), models.CheckIn.init(), Outbox.init(), Counter.init()]);
    },
    async dispose() {
      /* no timers or workers */
    },
  };
}

/**
 * The people subgraph: users (attendees, organizers, speakers, admins), organizations, consent and
 * preferences, GDPR export and erasure, and partner API clients with credential verification.
 */
import type { SubgraphDeps, SubgraphModule } from '../kit/module.js';
import { assembleSubgraph } from '../kit/subgraph.js';
import { createActorService } from './actors.js';
import { createApiClientService } from './api-clients.js';
import { createPeopleLoaders, type PeopleContext } from './loaders.js';
import { peopleModels } from './models.js';
import { createPeopleResolvers } from './resolvers.js';
import { createPeopleService } from './service.js';

/** The per-request context of the people resolvers. */
export type { PeopleContext } from './loaders.js';

/** Builds the people subgraph on `deps.conn`; call `init()` once before serving. */
export function createPeopleSubgraph(deps: SubgraphDeps): SubgraphModule<PeopleContext> {
  const models = peopleModels(deps.conn);
  const actors = createActorService({ models });
  return assembleSubgraph({
    name: 'people',
    schemaUrl: new URL('../../schema/people.graphql', import.meta.url),
    resolvers: createPeopleResolvers({ people: createPeopleService({ models, conn: deps.conn, actors }), apiClients: createApiClientService({ models, actors }), actors }),
    conn: deps.conn,
    models: { ...models },
    loaders: () => createPeopleLoaders(models),
  });
}

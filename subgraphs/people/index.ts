/**
 * The people subgraph: users (attendees, organizers, speakers, admins), organizations, consent and
 * preferences, GDPR export and erasure, and partner API clients with credential verification.
 */
import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { gql } from 'graphql-tag';
import type { SubgraphDeps, SubgraphModule } from '../kit/module.js';
import { outboxModels } from '../kit/outbox.js';
import { createApiClientService } from './apiclients.js';
import { createPeopleLoaders, type PeopleContext } from './loaders.js';
import { peopleModels } from './models.js';
import { peopleResolvers } from './resolvers.js';
import { createPeopleService } from './service.js';

/** Builds the people subgraph on `deps.conn`. */
export function createPeopleSubgraph(deps: SubgraphDeps): SubgraphModule<PeopleContext> {
  const typeDefs = gql(readFileSync(new URL('../../schema/people.graphql', import.meta.url), 'utf8'));
  const models = peopleModels(deps.conn);
  const resolvers = peopleResolvers(createPeopleService(models, deps.conn), createApiClientService(models));
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: resolvers as unknown as GraphQLResolverMap<PeopleContext> }]);
  return {
    name: 'people',
    typeDefs,
    schema,
    buildContext: (base) => ({ ...base, loaders: createPeopleLoaders(models) }),
    async init() {
      const { Outbox, Counter } = outboxModels(deps.conn);
      await Promise.all([models.User.init(), models.Organization.init(), models.ApiClient.init(), Outbox.init(), Counter.init()]);
    },
    async dispose() {
      /* no timers or workers */
    },
  };
}

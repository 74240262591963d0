/**
 * Assembly of a subgraph module from its parts: SDL file, resolver map, models and a per-request
 * loader factory. `init()` builds the indexes of the models and of the outbox.
 */
import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { gql } from 'graphql-tag';
import type { Connection, Model, Schema } from 'mongoose';
import type { SubgraphContext } from './context.js';
import type { SubgraphModule } from './module.js';
import { outboxModels } from './outbox.js';

/** The model `name` on `conn`, registered from `schema()` the first time. */
export function modelOn<T>(conn: Connection, name: string, schema: () => Schema<T>): Model<T> {
  return (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema());
}

/** The parts a subgraph module is assembled from. */
export interface AssembleOptions<TLoaders> {
  name: string;
  /** The subgraph's SDL file, e.g. `new URL('../../schema/people.graphql', import.meta.url)`. */
  schemaUrl: URL;
  resolvers: object;
  conn: Connection;
  /** Models whose indexes `init()` builds. */
  models: Record<string, { init(): Promise<unknown> }>;
  /** Fresh DataLoaders for one request. */
  loaders: () => TLoaders;
  dispose?: () => Promise<void>;
}

/** Builds the schema and the module around it. */
export function assembleSubgraph<TLoaders>(opts: AssembleOptions<TLoaders>): SubgraphModule<SubgraphContext<TLoaders>> {
  const { name, schemaUrl, resolvers, conn, models, loaders, dispose = async () => {} } = opts;
  const typeDefs = gql(readFileSync(schemaUrl, 'utf8'));
  const schema = buildSubgraphSchema([{ typeDefs, resolvers: resolvers as GraphQLResolverMap<SubgraphContext<TLoaders>> }]);
  return {
    name,
    typeDefs,
    schema,
    buildContext: (base) => ({ ...base, loaders: loaders() }),
    async init() {
      const { Outbox, Counter } = outboxModels(conn);
      await Promise.all([...Object.values(models).map((m) => m.init()), Outbox.init(), Counter.init()]);
    },
    dispose,
  };
}

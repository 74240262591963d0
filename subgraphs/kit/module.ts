/**
 * The shape every subgraph folder exports from its `index.ts`:
 * `create<Name>Subgraph(deps) → SubgraphModule`. Runners (`subgraphs/main.ts`, `scripts/start.ts`,
 * tests) open the connection, build the module and serve it with `startSubgraphServer`.
 */
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Connection } from 'mongoose';
import type { BaseSubgraphContext } from './context.js';
import type { LiveFeed } from './live.js';
import type { Logger } from '../../platform/logger.js';
import type { RouteHandler } from './server.js';

/** What a runner hands to `create<Name>Subgraph`. */
export interface SubgraphDeps {
  /** The subgraph's own database connection. */
  conn: Connection;
  logger: Logger;
  /** Replay-then-live feeds over this subgraph's outbox, for Subscription resolvers. */
  live: LiveFeed;
  /** Settings specific to one subgraph (e.g. Stripe keys for payments), already validated. */
  settings?: Record<string, unknown>;
}

/** A built subgraph, ready to be served by `startSubgraphServer`. */
export interface SubgraphModule<TContext extends BaseSubgraphContext = BaseSubgraphContext> {
  name: string;
  typeDefs: DocumentNode;
  schema: GraphQLSchema;
  buildContext: (base: BaseSubgraphContext) => TContext;
  routes?: RouteHandler[];
  /** Builds indexes; call once at start (idempotent). */
  init(): Promise<void>;
  /** Releases timers and workers the module started. Safe to call twice. */
  dispose(): Promise<void>;
}

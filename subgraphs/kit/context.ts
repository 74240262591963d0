/** What every subgraph resolver receives. `TLoaders` is the subgraph's own per-request DataLoaders. */
import type { Logger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';

/** What the server puts into every request's context: the verified caller, the correlation id, a logger bound to it. */
export interface BaseSubgraphContext {
  principal: Principal;
  correlationId: string;
  logger: Logger;
}

/** A subgraph's request context: the common part plus its own per-request loaders. */
export type SubgraphContext<TLoaders> = BaseSubgraphContext & { loaders: TLoaders };

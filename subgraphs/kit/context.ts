/** What every subgraph resolver receives. `TLoaders` is the subgraph's own per-request DataLoaders. */
import type { Logger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';

export interface BaseSubgraphContext {
  principal: Principal;
  correlationId: string;
  logger: Logger;
}

export type SubgraphContext<TLoaders> = BaseSubgraphContext & { loaders: TLoaders };

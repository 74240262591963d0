/** The four subgraphs by name: their module factories and demo-data seeders. */
import type { Connection } from 'mongoose';
import type { SubgraphName } from '../platform/config.js';
import type { DemoSeedPlan } from './kit/demo.js';
import type { SubgraphDeps, SubgraphModule } from './kit/module.js';
import { createEventsSubgraph } from './events/index.js';
import { seedEvents } from './events/seed.js';
import { createPeopleSubgraph } from './people/index.js';
import { seedPeople } from './people/seed.js';
import { createPaymentsSubgraph } from './payments/index.js';
import { seedPayments } from './payments/seed.js';
import { createIntegrationsSubgraph } from './integrations/index.js';
import { seedIntegrations } from './integrations/seed.js';

/** How a runner builds and seeds one subgraph. */
export interface SubgraphEntry {
  create: (deps: SubgraphDeps) => SubgraphModule;
  /** Seeds the plan's parts that belong to the subgraph (every part when no plan is given). */
  seed: (conn: Connection, plan?: DemoSeedPlan) => Promise<{ seeded: boolean }>;
}

/** The four subgraphs by name. */
export const SUBGRAPHS: Record<SubgraphName, SubgraphEntry> = {
  events: { create: createEventsSubgraph, seed: seedEvents },
  people: { create: createPeopleSubgraph, seed: seedPeople },
  payments: { create: createPaymentsSubgraph, seed: seedPayments },
  integrations: { create: createIntegrationsSubgraph, seed: seedIntegrations },
};

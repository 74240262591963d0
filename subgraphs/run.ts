/**
 * Runs one subgraph: opens its database connection, starts its live feed (outbox relay + bus),
 * builds the module, optionally seeds demo data, and serves it over HTTP and graphql-ws.
 */
import type { Connection } from 'mongoose';
import type { NodeEnv, SubgraphName } from '../platform/config.js';
import { datasetsOf, planDemoSeed, type DemoSeedPlan } from './kit/demo.js';
import { databaseName, openConnection, pingProbe } from './kit/db.js';
import type { Logger } from '../platform/logger.js';
import type { SubgraphModule } from './kit/module.js';
import { startSubgraphServer, type SubgraphServer } from './kit/server.js';
import { createSubgraphLive } from './kit/live-feed.js';
import { SUBGRAPHS } from './registry.js';

/** What a runner needs to serve one subgraph. */
export interface RunSubgraphOptions {
  name: SubgraphName;
  /** MongoDB (or localdb) URI; the subgraph uses its own database on it. */
  mongoUri: string;
  internalSecret: string;
  logger: Logger;
  port?: number;
  host?: string;
  redisUrl?: string;
  /** Prefix of the bus's Redis channels (default `eventgraph:`); deployments sharing one Redis use their own. */
  redisKeyPrefix?: string;
  /**
   * Seed demo data into empty collections: `true` for every part (refused in production), or a
   * plan from `planDemoSeed`.
   */
  seed?: boolean | DemoSeedPlan;
  /** The process's NODE_ENV; production never seeds demo people or credentials. */
  nodeEnv?: NodeEnv;
  exposeErrors?: boolean;
  /** Database name prefix (tests use a unique one per run). */
  dbPrefix?: string;
  settings?: Record<string, unknown>;
  /** Emit the driver's command-monitoring events (tests count database commands with them). */
  monitorCommands?: boolean;
}

/** A served subgraph with what it opened. */
export interface RunningSubgraph {
  name: SubgraphName;
  server: SubgraphServer;
  module: SubgraphModule;
  conn: Connection;
  /** Stops serving, then the live feed, then closes the connection. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts one subgraph and resolves once it listens. */
export async function runSubgraph(opts: RunSubgraphOptions): Promise<RunningSubgraph> {
  const { name, mongoUri, internalSecret, logger, port = 0, host = '127.0.0.1', redisUrl, seed = false, nodeEnv, exposeErrors = false, dbPrefix, settings, monitorCommands = false, redisKeyPrefix } = opts;
  const entry = SUBGRAPHS[name];
  const plan = seed === false ? undefined : seedPlan(seed, nodeEnv === 'production');
  const conn = await openConnection(mongoUri, databaseName(name, dbPrefix), { monitorCommands });
  const liveRuntime = createSubgraphLive({ conn, redisUrl, keyPrefix: redisKeyPrefix, logger });
  const module = entry.create({ conn, logger, live: liveRuntime.live, settings });
  await module.init();
  if (plan) {
    const { seeded } = await entry.seed(conn, plan);
    if (seeded) logger.info({ subgraph: name, datasets: datasetsOf(plan, name) }, 'demo data seeded');
  }
  const server = await startSubgraphServer({
    name,
    schema: module.schema,
    buildContext: module.buildContext,
    logger,
    internalSecret,
    port,
    host,
    ready: pingProbe(conn),
    routes: module.routes,
    exposeErrors,
  });
  let stopping: Promise<void> | undefined;
  return {
    name,
    server,
    module,
    conn,
    stop() {
      stopping ??= (async () => {
        await server.stop();
        await module.dispose();
        await liveRuntime.stop();
        await conn.close();
      })();
      return stopping;
    },
  };
}

/** The plan a `seed` option stands for; in production a plan passes only what `planDemoSeed` allows there. */
function seedPlan(seed: true | DemoSeedPlan, production: boolean): DemoSeedPlan {
  if (seed === true) return planDemoSeed({ production });
  if (production && seed.datasets.size > 0) planDemoSeed({ production, only: [...seed.datasets], organizer: seed.organizerId?.toHexString() });
  return seed;
}

/**
 * The whole product in one process: localdb (or MONGODB_URI), the four subgraphs and the gateway.
 * `npm start` runs it on the default ports with a persisted localdb and demo data; the integration
 * tests run it on ephemeral ports with an in-memory localdb.
 */
import { startLocalDb, type LocalDb } from '../localdb/index.js';
import { SUBGRAPH_NAMES, type SubgraphName } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { createPeers } from '../subgraphs/kit/peers.js';
import { runSubgraph, type RunningSubgraph } from '../subgraphs/run.js';
import { subgraphEnvName, type GatewayConfig } from '../gateway/config.js';
import { createGatewayPlugins } from '../gateway/plugins.js';
import type { AuthConfig } from '../gateway/auth/config.js';
import { createGateway, type GatewayServer } from '../gateway/server.js';

export interface StackOptions {
  gatewayConfig: GatewayConfig;
  /** Security settings; read from the environment when absent. */
  auth?: AuthConfig;
  logger: Logger;
  /** Use this MongoDB instead of starting localdb. */
  mongoUri?: string;
  /** localdb directory; in memory when undefined. */
  localdbPath?: string;
  /** Gateway port (0 = ephemeral). Defaults to the config's. */
  gatewayPort?: number;
  /** Subgraph ports; 0 for each when `ephemeral`. */
  subgraphPorts?: Partial<Record<SubgraphName, number>> | 'ephemeral';
  /** Seed demo data into empty databases (refused when the gateway config's NODE_ENV is production). */
  seed?: boolean;
  /** Database name prefix (tests use a unique one). */
  dbPrefix?: string;
  /** Watch the supergraph file for changes (default true). */
  watchSupergraph?: boolean;
  /** Emit the driver's command-monitoring events on the subgraphs' connections (tests count them). */
  monitorCommands?: boolean;
}

export interface Stack {
  gateway: GatewayServer;
  subgraphs: Record<SubgraphName, RunningSubgraph>;
  mongoUri: string;
  localdb?: LocalDb;
  /** Stops the gateway, then the subgraphs, then localdb. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts every part and resolves once the gateway serves the composed graph. */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const { gatewayConfig, logger, seed = false, dbPrefix, watchSupergraph = true } = opts;
  const started: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of started.reverse()) await stop().catch((err: unknown) => logger.error({ err }, 'stop failed'));
    started.length = 0;
  };
  try {
    const localdb = opts.mongoUri ? undefined : await startLocalDb({ port: 0, dbPath: opts.localdbPath, logger: logger.child({ svc: 'localdb' }) });
    if (localdb) started.push(() => localdb.stop());
    const mongoUri = opts.mongoUri ?? localdb!.uri;

    const subgraphs = {} as Record<SubgraphName, RunningSubgraph>;
    // Subgraphs check references at each other (events → people, payments → events); their URLs
    // are known once each listens, so peers are looked up when a call is made.
    const peerUrls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, () => subgraphs[n]?.server.url])) as Record<SubgraphName, () => string | undefined>;
    await Promise.all(
      SUBGRAPH_NAMES.map(async (name) => {
        const port = opts.subgraphPorts === 'ephemeral' ? 0 : (opts.subgraphPorts?.[name] ?? 0);
        const running = await runSubgraph({
          name,
          mongoUri,
          internalSecret: gatewayConfig.internalSecret,
          logger: logger.child({ svc: name }),
          port,
          host: '127.0.0.1',
          redisUrl: gatewayConfig.redisUrl,
          seed,
          nodeEnv: gatewayConfig.nodeEnv,
          exposeErrors: gatewayConfig.exposeErrors,
          dbPrefix,
          monitorCommands: opts.monitorCommands,
          settings: { peers: createPeers({ self: name, internalSecret: gatewayConfig.internalSecret, urls: peerUrls }) },
        });
        subgraphs[name] = running;
        started.push(() => running.stop());
      }),
    );

    const subgraphUrls: Record<string, string> = { ...gatewayConfig.subgraphUrls };
    for (const name of SUBGRAPH_NAMES) subgraphUrls[subgraphEnvName(name)] = subgraphs[name].server.url;
    // The four subgraphs accept batched requests; SUBGRAPH_BATCHING, when set, decides instead.
    const subgraphBatching = gatewayConfig.subgraphBatching ?? SUBGRAPH_NAMES;
    const config: GatewayConfig = { ...gatewayConfig, subgraphUrls, subgraphBatching };
    const gwLogger = logger.child({ svc: 'gateway' });
    const plugins = await createGatewayPlugins({ config, auth: opts.auth, logger: gwLogger, mongoUri });
    const gateway = await createGateway({ config, logger: gwLogger, extensions: plugins, port: opts.gatewayPort ?? config.port, watch: watchSupergraph });
    started.push(() => gateway.stop());

    return { gateway, subgraphs, mongoUri, localdb, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

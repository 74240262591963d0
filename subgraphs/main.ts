/**
 * `npm run subgraph -- <name>`: runs one subgraph alone, configured from the environment
 * (MONGODB_URI, <NAME>_PORT or PORT, INTERNAL_SECRET, REDIS_URL, LOG_LEVEL, HOST; SUBGRAPH_URL_<NAME>
 * and PEER_TIMEOUT_MS for the checks it makes at other subgraphs).
 * Without MONGODB_URI it starts the embedded localdb on LOCALDB_PATH, seeded with the demo data
 * outside production. Stops on SIGTERM/SIGINT, exiting at the latest after
 * DEFAULT_SHUTDOWN_DEADLINE_MS.
 */
import { ConfigError } from '../platform/config.js';
import { loadSubgraphConfig } from './kit/config.js';
import { createLogger } from '../platform/logger.js';
import { createPeers } from './kit/peers.js';
import { DEFAULT_SHUTDOWN_DEADLINE_MS, runMain, stopOnSignals } from '../platform/process.js';
import { runSubgraph } from './run.js';
import { startLocalDb } from '../localdb/index.js';

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!name) throw new ConfigError('usage: npm run subgraph -- <events|people|payments|integrations>');
  const config = loadSubgraphConfig(name);
  const logger = createLogger(config.name, config.logLevel);
  const localdb = config.mongodbUri ? undefined : await startLocalDb({ port: 0, dbPath: `${config.localdbPath}-${config.name}` });
  const running = await runSubgraph({
    name: config.name,
    mongoUri: config.mongodbUri ?? localdb!.uri,
    internalSecret: config.internalSecret,
    logger,
    port: config.port,
    host: config.host,
    redisUrl: config.redisUrl,
    seed: !config.mongodbUri && config.nodeEnv !== 'production',
    nodeEnv: config.nodeEnv,
    exposeErrors: config.nodeEnv === 'development',
    settings: { peers: createPeers({ self: config.name, internalSecret: config.internalSecret, urls: config.peerUrls, timeoutMs: config.peerTimeoutMs }) },
  });
  logger.info({ url: running.server.url }, `${config.name} subgraph ready`);
  stopOnSignals({
    logger,
    deadlineMs: DEFAULT_SHUTDOWN_DEADLINE_MS,
    stop: async () => {
      await running.stop();
      await localdb?.stop();
      logger.info(`${config.name} subgraph stopped`);
    },
  });
}

runMain(main);

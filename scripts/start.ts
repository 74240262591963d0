/**
 * `npm start [-- --memory]`: the whole product in one process on the embedded default — localdb
 * persisted under LOCALDB_PATH (default `.data/localdb`; in memory with `--memory`), the four
 * subgraphs on 4001-4004, the gateway on PORT (default 4000), demo data seeded on first run outside
 * production (NODE_ENV=production seeds nothing). With MONGODB_URI set, that database is used
 * instead. Stops on SIGTERM/SIGINT: in-flight requests get SHUTDOWN_GRACE_MS, and the process exits
 * at the latest SHUTDOWN_EXIT_MARGIN_MS after that.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_PORTS, SUBGRAPH_NAMES, readPort } from '../platform/config.js';
import { runMain, shutdownDeadlineMs, stopOnSignals } from '../platform/process.js';
import { createLogSink, createLogger } from '../platform/logger.js';
import { loadGatewayConfig } from '../gateway/config.js';
import { startStack } from './stack.js';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const { values } = parseArgs({ options: { memory: { type: 'boolean', default: false } }, strict: true });
  const config = loadGatewayConfig();
  const production = config.nodeEnv === 'production';
  const sink = createLogSink();
  const logger = createLogger('eventgraph', config.logLevel, { sink });
  const subgraphPorts = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, readPort(process.env, `${n.toUpperCase()}_PORT`, DEFAULT_PORTS[n])]));
  const localdbPath = config.mongodbUri || values.memory ? undefined : config.localdbPath;
  const stack = await startStack({
    gatewayConfig: config,
    logger,
    mongoUri: config.mongodbUri,
    localdbPath,
    subgraphPorts,
    seed: !production,
  });
  stopOnSignals({ logger, deadlineMs: shutdownDeadlineMs(config.shutdownGraceMs), stop: () => stack.stop() });
  const lines = [
    '',
    `  eventgraph is up (${Date.now() - startedAt} ms)`,
    `  GraphQL (HTTP)       ${stack.gateway.url}`,
    `  GraphQL (WebSocket)  ${stack.gateway.wsUrl}`,
    `  Health / readiness   ${stack.gateway.url.replace(/\/graphql$/, '')}/health  /ready`,
    ...SUBGRAPH_NAMES.map((n) => `  subgraph ${n.padEnd(13)}${stack.subgraphs[n].server.url}`),
    `  Database             ${config.mongodbUri ? 'MONGODB_URI' : localdbPath ? `localdb at ${stack.mongoUri} (data in ${localdbPath})` : `localdb at ${stack.mongoUri} (in memory)`}`,
    production ? '  Demo data            none (NODE_ENV=production)' : '  Dev token:           npm run token -- --sub <userId> --scopes "events:read checkins:write"',
    '',
  ];
  sink.write(lines.join('\n') + '\n');
}

runMain(main);

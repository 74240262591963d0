/**
 * `npm start`: the whole product in one process on the embedded default — localdb persisted under
 * LOCALDB_PATH (default `.data/localdb`), the four subgraphs on 4001-4004, the gateway on PORT
 * (default 4000), demo data seeded on first run. With MONGODB_URI set, that database is used instead.
 */
import { DEFAULT_PORTS, SUBGRAPH_NAMES, readPort } from '../subgraphs/kit/config.js';
import { runMain, stopOnSignals } from '../subgraphs/kit/process.js';
import { createLogger } from '../subgraphs/kit/logger.js';
import { loadGatewayConfig } from '../gateway/config.js';
import { startStack } from './stack.js';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadGatewayConfig();
  const logger = createLogger('eventgraph', config.logLevel);
  const subgraphPorts = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, readPort(process.env, `${n.toUpperCase()}_PORT`, DEFAULT_PORTS[n])]));
  const stack = await startStack({
    gatewayConfig: config,
    logger,
    mongoUri: config.mongodbUri,
    localdbPath: config.mongodbUri ? undefined : config.localdbPath,
    subgraphPorts,
    seed: true,
  });
  const lines = [
    '',
    `  eventgraph is up (${Date.now() - startedAt} ms)`,
    `  GraphQL (HTTP)       ${stack.gateway.url}`,
    `  GraphQL (WebSocket)  ${stack.gateway.wsUrl}`,
    `  Health / readiness   ${stack.gateway.url.replace(/\/graphql$/, '')}/health  /ready`,
    ...SUBGRAPH_NAMES.map((n) => `  subgraph ${n.padEnd(13)}${stack.subgraphs[n].server.url}`),
    `  Database             ${config.mongodbUri ? 'MONGODB_URI' : `localdb at ${stack.mongoUri} (data in ${config.localdbPath})`}`,
    '  Dev token:           npm run token -- --sub <userId> --scopes "events:read checkins:write"',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  stopOnSignals(logger, () => stack.stop());
}

runMain(main);

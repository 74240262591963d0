/**
 * `npm run gateway [-- --supergraph FILE] [--port N]`: serves a Federation 2 supergraph (default
 * SUPERGRAPH_PATH, i.e. schema/supergraph.graphql), reloads it when the file changes, and stops
 * gracefully on SIGTERM/SIGINT: in-flight requests get SHUTDOWN_GRACE_MS, and the process exits at
 * the latest SHUTDOWN_EXIT_MARGIN_MS after that, whatever is still pending. Subgraph URLs come from
 * the file, overridable with SUBGRAPH_URL_<NAME>.
 */
import { parseArgs } from 'node:util';
import { readPort } from '../platform/config.js';
import { runMain, shutdownDeadlineMs, stopOnSignals } from '../platform/process.js';
import { createLogger } from '../platform/logger.js';
import { loadGatewayConfig } from './config.js';
import { createGatewayPlugins } from './plugins.js';
import { createGateway } from './server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { supergraph: { type: 'string' }, port: { type: 'string' } }, strict: true });
  const config = loadGatewayConfig();
  const port = values.port === undefined ? config.port : readPort({ '--port': values.port }, '--port', config.port);
  const logger = createLogger('gateway', config.logLevel);
  const plugins = await createGatewayPlugins({ config, logger });
  const gw = await createGateway({ config: { ...config, port }, supergraphPath: values.supergraph ?? config.supergraphPath, extensions: plugins, logger });
  stopOnSignals({ logger, deadlineMs: shutdownDeadlineMs(config.shutdownGraceMs), stop: () => gw.stop() });
  logger.info({ url: gw.url, supergraph: values.supergraph ?? config.supergraphPath }, 'gateway ready');
}

runMain(main);

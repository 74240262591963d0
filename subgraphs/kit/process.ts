/** What every entry point (`npm start`, `npm run gateway`, `npm run subgraph`, …) does around its main. */
import { ConfigError } from './config.js';
import type { Logger } from './logger.js';

/**
 * Runs an entry point's main: a configuration error prints one line naming the variable and exits
 * with status 2; any other failure prints the error and exits with status 1.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  });
}

/** Stops gracefully on the first SIGINT or SIGTERM, then exits 0 (1 if stopping failed). */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

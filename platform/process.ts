/**
 * What every entry point (`npm start`, `npm run gateway`, `npm run subgraph`, `npm run seed`) does
 * around its main: configuration errors, stdio that may close under the process, and a graceful
 * stop on SIGTERM/SIGINT with a hard deadline.
 */
import { ConfigError } from './config.js';
import { flushLogger, type Logger } from './logger.js';

/** How long past its grace period a stopping process may take before it exits regardless. */
export const SHUTDOWN_EXIT_MARGIN_MS = 3_000;
/** Deadline of processes without a grace setting of their own (a subgraph run alone): 10 s plus the margin. */
export const DEFAULT_SHUTDOWN_DEADLINE_MS = 10_000 + SHUTDOWN_EXIT_MARGIN_MS;
/** The most a stopping process waits for its last log lines to be written. */
export const LOG_FLUSH_MS = 1_000;

/**
 * When a process exits at the latest after its first SIGTERM/SIGINT: the grace period given to
 * in-flight work plus {@link SHUTDOWN_EXIT_MARGIN_MS} for closing connections and writing logs.
 */
export function shutdownDeadlineMs(graceMs: number): number {
  return graceMs + SHUTDOWN_EXIT_MARGIN_MS;
}

/**
 * Runs an entry point's main: a configuration error prints one line naming the variable and exits
 * with status 2; any other failure prints the error and exits with status 1. Errors of stdout and
 * stderr (a reader that went away: EPIPE) are ignored, so writing output never crashes the process.
 */
export function runMain(main: () => Promise<void>): void {
  ignoreStdioErrors();
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  });
}

/** Keeps a failed write to stdout or stderr from becoming an uncaught exception. */
function ignoreStdioErrors(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
  }
}

export interface StopOnSignalsOptions {
  logger: Logger;
  /** Stops everything the process runs; the process exits 0 when it resolves, 1 when it rejects. */
  stop: () => Promise<void>;
  /**
   * The process exits with status 1 this long after the first signal if stop() has not finished
   * by then, whatever stop() or the log sink are waiting for (see {@link shutdownDeadlineMs}).
   */
  deadlineMs: number;
  /** Signals that start the shutdown (default SIGTERM and SIGINT). Later signals are ignored. */
  signals?: readonly NodeJS.Signals[];
}

/**
 * Stops gracefully on the first SIGTERM or SIGINT, then exits: 0 after a clean stop, 1 if stopping
 * failed or the deadline passed first. The last log lines are flushed for at most
 * {@link LOG_FLUSH_MS} before the exit. Answers a function that removes the signal handlers.
 */
export function stopOnSignals(opts: StopOnSignalsOptions): () => void {
  const { logger, stop, deadlineMs, signals = ['SIGTERM', 'SIGINT'] } = opts;
  let stopping = false;
  let exiting = false;
  const exit = async (code: number, flushMs: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await flushLogger(logger, flushMs);
    process.exit(code);
  };
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.info({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    const startedAt = Date.now();
    logger.info({ signal, deadlineMs }, 'shutting down');
    setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown did not finish before its deadline; exiting');
      void exit(1, Math.min(LOG_FLUSH_MS, 250));
    }, deadlineMs);
    const remaining = (): number => Math.max(0, Math.min(LOG_FLUSH_MS, deadlineMs - (Date.now() - startedAt)));
    Promise.resolve()
      .then(stop)
      .then(
        () => exit(0, remaining()),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          return exit(1, remaining());
        },
      );
  };
  for (const signal of signals) process.on(signal, shutdown);
  return () => {
    for (const signal of signals) process.off(signal, shutdown);
  };
}

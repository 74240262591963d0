/**
 * A process wired like the product's entry points (runMain, the JSON logger on stdout,
 * stopOnSignals), for the lifecycle tests: `--flood` logs megabytes before it is ready (so an
 * unread stdout pipe is full), `--hang` makes its stop never finish, `--deadline MS` sets the
 * shutdown deadline. It tells the test it is ready on stderr ("fixture ready").
 */
import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger } from '../../platform/logger.js';
import { runMain, stopOnSignals } from '../../platform/process.js';

function main(): void {
  const { values } = parseArgs({ options: { flood: { type: 'boolean', default: false }, hang: { type: 'boolean', default: false }, deadline: { type: 'string', default: '2000' } }, strict: true });
  const logger = createLogger('fixture', 'info');
  const keepAlive = setInterval(() => undefined, 1_000);
  if (values.flood) {
    const filler = 'x'.repeat(1_000);
    for (let i = 0; i < 3_000; i++) logger.info({ i, filler }, 'flood');
  }
  stopOnSignals({
    logger,
    deadlineMs: Number(values.deadline),
    stop: async () => {
      if (values.hang) await new Promise<never>(() => undefined);
      clearInterval(keepAlive);
      logger.info('fixture stopped');
    },
  });
  writeSync(2, 'fixture ready\n');
}

// Started as a promise, so a failure reaches runMain's exit handling like the entry points' async mains.
runMain(() => Promise.resolve().then(main));

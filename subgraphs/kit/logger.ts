/** Structured JSON logs (pino). One logger per process part, child loggers per request. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Creates a JSON logger named after the process part (`gateway`, `events`, …). */
export function createLogger(name: string, level: string = 'info'): Logger {
  return pino({ name, level, base: { svc: name }, timestamp: pino.stdTimeFunctions.isoTime });
}

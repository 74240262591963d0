/** Adapts the pino logger to the `Logger` interface Apollo Server and @apollo/gateway log through. */
import type { Logger } from '../platform/logger.js';

/** The logger interface of Apollo Server and @apollo/gateway. */
export interface ApolloLogger {
  debug(message?: unknown): void;
  info(message?: unknown): void;
  warn(message?: unknown): void;
  error(message?: unknown): void;
}

/** Apollo's own log lines, as JSON lines of our logger (`component: apollo`). */
export function createApolloLogger(logger: Logger): ApolloLogger {
  const log = logger.child({ component: 'apollo' });
  const line = (level: 'debug' | 'info' | 'warn' | 'error') => (message?: unknown) => {
    if (message instanceof Error) log[level]({ err: message }, message.message);
    else log[level](String(message));
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

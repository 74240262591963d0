/**
 * Error responses of the gateway: every error leaves in the spec shape (kit `toSpecError`) with the
 * request's correlation id. Registered codes (including those raised by subgraphs) pass through
 * with their message, target and path; anything else — uncoded subgraph errors, refused
 * connections, timeouts, bugs — is masked as "Unexpected error" outside development and logged with
 * detail.
 */
import type { GraphQLFormattedError } from 'graphql';
import { toSpecError } from '../subgraphs/kit/errors.js';
import type { Logger } from '../subgraphs/kit/logger.js';

export interface ErrorScope {
  correlationId?: string;
  logger: Logger;
}

/** Extensions that describe the gateway's internals and never reach a caller outside development. */
const INTERNAL_EXTENSIONS = ['serviceName', 'exception', 'stacktrace'];

function cause(err: unknown): unknown {
  const original = (err as { originalError?: unknown } | null)?.originalError;
  return original ?? err;
}

/** Formats one error for the response (Apollo's `formatError`). */
export function formatGatewayError(formatted: GraphQLFormattedError, original: unknown, scope: ErrorScope, exposeErrors: boolean): GraphQLFormattedError {
  const ext = (formatted.extensions ?? {}) as Record<string, unknown>;
  const serviceName = typeof ext.serviceName === 'string' ? ext.serviceName : undefined;
  const out = toSpecError(formatted, original, {
    correlationId: scope.correlationId,
    exposeUnexpected: exposeErrors,
    onMasked: (err) => scope.logger.error({ err: cause(err), subgraph: serviceName, path: formatted.path, message: formatted.message, code: ext.code }, 'unexpected error'),
  });
  const extensions = { ...(out.extensions ?? {}) } as Record<string, unknown>;
  for (const key of INTERNAL_EXTENSIONS) delete extensions[key];
  if (exposeErrors && serviceName) extensions.serviceName = serviceName;
  return { ...out, extensions };
}

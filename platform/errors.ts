/**
 * The one error-code registry of the product. Expected failures throw `appError(code, …)`;
 * everything else is masked at the edge as INTERNAL_SERVER_ERROR with the correlation id.
 *
 * Every error carries the spec's error shape (§3.7) inside `extensions`:
 * `{ code, message, details, target, status, timestamp, correlationId, documentation }`.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** Registry: code → HTTP-like status and a default message. */
export const ERROR_CODES = {
  BAD_USER_INPUT: { status: 400, message: 'The input is invalid' },
  GRAPHQL_PARSE_FAILED: { status: 400, message: 'The operation could not be parsed' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, message: 'The operation is not valid against the schema' },
  OPERATION_TOO_COMPLEX: { status: 400, message: 'The operation exceeds a limit' },
  PERSISTED_QUERY_NOT_ALLOWED: { status: 400, message: 'The operation is not on the safelist' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this' },
  RESOURCE_NOT_FOUND: { status: 404, message: 'The requested resource could not be found' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'The HTTP method is not allowed here' },
  NOT_ACCEPTABLE: { status: 406, message: 'No acceptable response media type' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state' },
  CAPACITY_REACHED: { status: 409, message: 'The event is at capacity' },
  INVALID_STATE_TRANSITION: { status: 409, message: 'The requested state change is not allowed' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request content type is not supported' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'Unexpected error' },
  BAD_GATEWAY: { status: 502, message: 'An upstream service failed' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is not available' },
  SCHEMA_RELOADED: { status: 503, message: 'The schema changed; resubscribe' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const DOCS_BASE = 'https://docs.eventgraph.dev/errors/';

export interface AppErrorOptions {
  /** Human-readable detail, safe to show to the caller. */
  details?: string;
  /** The input field or argument path the error is about, e.g. `input.capacity`. */
  target?: string;
  /** Extra machine-readable extensions (e.g. per-field validation errors). */
  extra?: Record<string, unknown>;
  /** The GraphQL response path, when raised outside a resolver. */
  path?: ReadonlyArray<string | number>;
  cause?: unknown;
}

/** Spec §3.7 error body as it appears in `extensions`. */
export interface ErrorExtensions {
  /** An `ErrorCode`, or the code an upstream answered with, passed through as it came. */
  code: string;
  message: string;
  details?: string;
  target?: string;
  status: number;
  timestamp: string;
  correlationId?: string;
  documentation: string;
  [key: string]: unknown;
}

/** Builds the spec-shaped extensions for a code. */
export function errorExtensions(code: ErrorCode, message?: string, opts: AppErrorOptions = {}): ErrorExtensions {
  const entry = ERROR_CODES[code];
  return {
    code,
    message: message ?? entry.message,
    ...(opts.details !== undefined ? { details: opts.details } : {}),
    ...(opts.target !== undefined ? { target: opts.target } : {}),
    status: entry.status,
    timestamp: new Date().toISOString(),
    documentation: DOCS_BASE + code,
    ...opts.extra,
  };
}

/** Creates a coded GraphQL error in the spec's shape. */
export function appError(code: ErrorCode, message?: string, opts: AppErrorOptions = {}): GraphQLError {
  const ext = errorExtensions(code, message, opts);
  return new GraphQLError(ext.message, {
    path: opts.path,
    extensions: ext,
    originalError: opts.cause instanceof Error ? opts.cause : undefined,
  });
}

/** True when the error was raised on purpose with a registered code. */
export function isAppError(err: unknown): err is GraphQLError {
  return err instanceof GraphQLError && typeof err.extensions?.code === 'string' && err.extensions.code in ERROR_CODES;
}

/** Convenience: not found with the spec's wording. */
export function notFound(kind: string, id: string, target = 'id'): GraphQLError {
  return appError('RESOURCE_NOT_FOUND', `The requested ${kind.toLowerCase()} could not be found`, {
    details: `${kind} with ID '${id}' does not exist`,
    target,
  });
}

/** Convenience: invalid input at a field path. */
export function badInput(target: string, details: string, message = 'The input is invalid'): GraphQLError {
  return appError('BAD_USER_INPUT', message, { target, details });
}

const KNOWN_GRAPHQL_CODES: Record<string, ErrorCode> = {
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  PERSISTED_QUERY_NOT_FOUND: 'BAD_USER_INPUT',
  PERSISTED_QUERY_NOT_SUPPORTED: 'BAD_USER_INPUT',
  OPERATION_RESOLUTION_FAILURE: 'BAD_USER_INPUT',
  BAD_REQUEST: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
};

export interface FormatOptions {
  correlationId?: string;
  /** When false, errors without a registered code are masked. */
  exposeUnexpected?: boolean;
  /** Called with every masked error so it can be logged with detail. */
  onMasked?: (err: unknown) => void;
}

/**
 * Turns any formatted error into the spec shape: registered codes keep their message, Apollo's
 * own codes are mapped onto the registry, anything else becomes "Unexpected error" (unless
 * `exposeUnexpected`). Never returns a stack trace.
 */
export function toSpecError(formatted: GraphQLFormattedError, original: unknown, opts: FormatOptions = {}): GraphQLFormattedError {
  const ext = (formatted.extensions ?? {}) as Record<string, unknown>;
  const rawCode = typeof ext.code === 'string' ? ext.code : undefined;
  const correlationId = opts.correlationId ?? (typeof ext.correlationId === 'string' ? ext.correlationId : undefined);
  let code: ErrorCode | undefined;
  // Apollo Server stamps INTERNAL_SERVER_ERROR on every error thrown without a code, so that code
  // never counts as raised on purpose: it is masked like any other unexpected error.
  if (rawCode && rawCode in ERROR_CODES && rawCode !== 'INTERNAL_SERVER_ERROR') code = rawCode as ErrorCode;
  else if (rawCode && rawCode in KNOWN_GRAPHQL_CODES) code = KNOWN_GRAPHQL_CODES[rawCode];
  if (!code) {
    opts.onMasked?.(original);
    if (!opts.exposeUnexpected) {
      const e = errorExtensions('INTERNAL_SERVER_ERROR', undefined, {
        details: correlationId ? `Quote correlation id ${correlationId} when reporting this.` : undefined,
      });
      return { message: e.message, locations: formatted.locations, path: formatted.path, extensions: { ...e, correlationId } };
    }
    code = 'INTERNAL_SERVER_ERROR';
  }
  const { stacktrace: _stack, exception: _exc, ...rest } = ext;
  const base = errorExtensions(code, formatted.message);
  return {
    message: formatted.message,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { ...base, ...rest, code, status: ERROR_CODES[code].status, correlationId },
  };
}

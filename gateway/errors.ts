/**
 * Error responses of the gateway: every error leaves in the spec shape (kit `toSpecError`) with the
 * request's correlation id. Registered codes (including those raised by subgraphs) pass through
 * with their message, target and path; anything else — uncoded subgraph errors, refused
 * connections, timeouts, bugs, a subgraph's null in a non-null position — is masked as
 * "Unexpected error" outside development and logged with detail. Callers who may not see the
 * schema get no "Did you mean …?" suggestions.
 */
import { GraphQLError, Kind, type GraphQLFormattedError } from 'graphql';
import { toSpecError, type ErrorCode } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';

/** What formatting an error needs to know of its request. */
export interface ErrorScope {
  correlationId?: string;
  logger: Logger;
  /**
   * False when the caller may not see the schema (introspection is not open to them): messages
   * then leave out graphql-js's suggestions of field, argument, type and enum value names.
   */
  revealSchema?: boolean;
}

/** Extensions that describe the gateway's internals and never reach a caller outside development. */
const INTERNAL_EXTENSIONS = ['serviceName', 'exception', 'stacktrace'];

/** Registry codes for the HTTP statuses Apollo Server answers with on its own (e.g. a GET mutation is 405). */
const CODE_BY_HTTP_STATUS: Readonly<Record<number, ErrorCode>> = { 405: 'METHOD_NOT_ALLOWED', 406: 'NOT_ACCEPTABLE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

/** graphql-js appends suggestions as " Did you mean …?" at the end of a message. */
const SUGGESTION = /\s*Did you mean\b[\s\S]*\?$/;

/** The message without graphql-js's "Did you mean …?" suggestion. */
export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

function cause(err: unknown): unknown {
  const original = (err as { originalError?: unknown } | null)?.originalError;
  return original ?? err;
}

/** The HTTP status Apollo Server attached to one of its own errors (`extensions.http.status`). */
function httpStatusOf(err: unknown): number | undefined {
  const http = (err as { extensions?: { http?: { status?: unknown } } } | null)?.extensions?.http;
  return typeof http?.status === 'number' ? http.status : undefined;
}

/** Formats one error for the response (Apollo's `formatError`). */
export function formatGatewayError(formatted: GraphQLFormattedError, original: unknown, scope: ErrorScope, exposeErrors: boolean): GraphQLFormattedError {
  const ext = (formatted.extensions ?? {}) as Record<string, unknown>;
  const serviceName = typeof ext.serviceName === 'string' ? ext.serviceName : undefined;
  const httpCode = CODE_BY_HTTP_STATUS[httpStatusOf(original) ?? 0];
  let input: GraphQLFormattedError = httpCode ? { ...formatted, extensions: { ...ext, code: httpCode } } : formatted;
  if (scope.revealSchema === false) input = hideSuggestions(input);
  const out = toSpecError(input, original, {
    correlationId: scope.correlationId,
    exposeUnexpected: exposeErrors,
    onMasked: (err) => scope.logger.error({ err: cause(err), subgraph: serviceName, path: formatted.path, message: formatted.message, code: ext.code }, 'unexpected error'),
  });
  const extensions = { ...(out.extensions ?? {}) } as Record<string, unknown>;
  for (const key of INTERNAL_EXTENSIONS) delete extensions[key];
  if (exposeErrors && serviceName) extensions.serviceName = serviceName;
  return { ...out, extensions };
}

function hideSuggestions(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const ext = formatted.extensions;
  return {
    ...formatted,
    message: withoutSuggestions(formatted.message),
    ...(ext && typeof ext.message === 'string' ? { extensions: { ...ext, message: withoutSuggestions(ext.message) } } : {}),
  };
}

/** The codes of GraphQL request errors: the document or its variables are refused before execution. */
const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * True for a GraphQL request error in the sense of GraphQL over HTTP: a document that does not
 * parse or validate, an operation that cannot be chosen, or variables that cannot be coerced
 * (as raised by graphql-js and Apollo Server, before any field runs).
 */
export function isRequestError(err: unknown): boolean {
  if (!(err instanceof GraphQLError)) return false;
  const code = err.extensions?.code;
  if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code)) return true;
  return code === 'BAD_USER_INPUT' && err.nodes?.length === 1 && err.nodes[0]?.kind === Kind.VARIABLE_DEFINITION;
}

type PathKey = ReadonlyArray<string | number>;

/** True when one path is the other or lies inside it. */
function overlaps(a: PathKey, b: PathKey): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * @apollo/gateway reports the nulls it finds in non-null positions of the subgraphs' answers
 * ("Cannot return null for non-nullable field …", and objects of unknown type) only in
 * `extensions.valueCompletion`, next to a `null` that bubbled up. This moves every such entry into
 * `errors`, at its path, so it is formatted (and masked) like any other failure. An entry whose
 * path overlaps an error already reported is left out (that error explains the null), and so is
 * every entry when an error without a path was reported (e.g. a subgraph refused the variables of
 * its fetch): such an error may explain a null anywhere.
 */
export function withCompletionErrors<R extends { errors?: ReadonlyArray<GraphQLError>; extensions?: Record<string, unknown> }>(result: R): R {
  const entries = result.extensions?.valueCompletion;
  if (!Array.isArray(entries)) return result;
  const { valueCompletion: _moved, ...extensions } = result.extensions as Record<string, unknown>;
  const reported = (result.errors ?? []).map((e) => e.path);
  const pathless = reported.some((p) => p === undefined);
  const explained = (error: GraphQLError) => error.path !== undefined && reported.some((p) => overlaps(p as PathKey, error.path as PathKey));
  const added = pathless ? [] : (entries as unknown[]).map((e) => (e instanceof GraphQLError ? e : completionError(e))).filter((e) => !explained(e));
  const errors = [...(result.errors ?? []), ...added];
  const out = { ...result, ...(errors.length ? { errors } : {}) };
  if (Object.keys(extensions).length) out.extensions = extensions;
  else delete out.extensions;
  return out;
}

function completionError(entry: unknown): GraphQLError {
  const e = (entry ?? {}) as { message?: unknown; path?: unknown; extensions?: unknown };
  const path = Array.isArray(e.path) ? e.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number') : undefined;
  const extensions = e.extensions && typeof e.extensions === 'object' ? (e.extensions as Record<string, unknown>) : undefined;
  return new GraphQLError(typeof e.message === 'string' ? e.message : 'A value could not be completed', { path, extensions });
}

/**
 * Errors of the subscription endpoint, in the spec's shape (kit error registry). graphql-ws sends
 * an `error` message for errors returned by `onSubscribe` or thrown by the iterator; both paths
 * carry the already formatted errors inside SubscriptionEnded, and the endpoint's `onError` sends
 * exactly those.
 */
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { errorExtensions, toSpecError, type ErrorCode } from '../../platform/errors.js';

/** Carries the spec-shaped errors a subscription ends with. */
export class SubscriptionEnded extends Error {
  constructor(readonly errors: readonly GraphQLFormattedError[]) {
    super(errors[0]?.message ?? 'Subscription ended');
  }
}

/** Spec-shaped error for a registered code. */
export function codedError(code: ErrorCode, message?: string, details?: string): GraphQLFormattedError {
  const extensions = errorExtensions(code, message, { details });
  return { message: extensions.message, extensions: { ...extensions } };
}

/** Formats an error in the spec shape; an error without a code gets `code` (or is masked when unregistered). */
export function formatError(err: GraphQLError, code: ErrorCode, exposeUnexpected = false): GraphQLFormattedError {
  const json = err.toJSON();
  const ext = (json.extensions ?? {}) as Record<string, unknown>;
  return toSpecError({ ...json, extensions: { ...ext, code: typeof ext.code === 'string' ? ext.code : code } }, err, { exposeUnexpected });
}

/** What `onSubscribe` returns to refuse a subscription with these (formatted) errors. */
export function refusal(errors: readonly GraphQLFormattedError[]): GraphQLError[] {
  return [new GraphQLError(errors[0]?.message ?? 'Refused', { originalError: new SubscriptionEnded(errors) })];
}

/** graphql-ws `onError`: the formatted errors carried by SubscriptionEnded, others formatted here. */
export function toErrorMessage(errors: readonly GraphQLError[], exposeUnexpected: boolean): GraphQLFormattedError[] {
  return errors.flatMap((e) => (e.originalError instanceof SubscriptionEnded ? [...e.originalError.errors] : [formatError(e, 'INTERNAL_SERVER_ERROR', exposeUnexpected)]));
}

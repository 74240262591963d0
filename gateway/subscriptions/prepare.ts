/**
 * From a graphql-ws `subscribe` message to a distinct subscription: parse and validate against the
 * API schema, keep to subscriptions, coerce variables, authorize with the caller's principal, plan
 * over the supergraph, and compute the dedup key.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError, OperationTypeNode, getOperationAST, getVariableValues, print, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { Logger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';
import { withoutSuggestions } from '../errors.js';
import { codedError, formatError } from './errors.js';
import { subscriptionKey } from './key.js';
import type { SchemaState } from './schema.js';
import type { SharedSpec } from './shared.js';

/** What the subscribe-time authorization sees. */
export interface AuthorizeRequest {
  principal: Principal;
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown>;
}

/** A subscription the rules allow, possibly with denied selections removed. */
export interface Authorized {
  /** The document to execute: the one sent, or a copy without the denied selections. */
  document: DocumentNode;
  /** Applied to every event's data: denied selections become null with their errors. */
  complete?: (data: Record<string, unknown> | null | undefined) => Promise<{ data: Record<string, unknown> | null; errors: readonly GraphQLError[] }>;
}

/** The gateway's operation rules: the allowed subscription, or the errors that refuse it. */
export type Authorize = (req: AuthorizeRequest) => Promise<Authorized | readonly GraphQLError[]>;

/**
 * Abuse and rate limits at subscribe time; throws the coded error that refuses the subscription.
 * Resolves with the document of `payload.query` when the admission parsed it (it is not parsed again).
 */
export type Admit = (principal: Principal, payload: SubscribePayload, clientAddress: string) => Promise<DocumentNode | undefined>;

/** The gateway's checks a subscribe message goes through. */
export interface PrepareHooks {
  authorize?: Authorize;
  admit?: Admit;
  /** False when the caller may not see the schema: validation and variable errors then carry no "Did you mean …?". */
  revealsSchema?: (principal: Principal) => boolean;
  logger: Logger;
}

const CORRELATION_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** The distinct subscription for a subscribe message, or the errors that refuse it. */
export async function prepareSubscription(
  state: SchemaState,
  principal: Principal,
  clientAddress: string,
  payload: SubscribePayload,
  { authorize, admit, revealsSchema, logger }: PrepareHooks,
): Promise<SharedSpec | GraphQLFormattedError[]> {
  const hide = revealsSchema ? !revealsSchema(principal) : false;
  const schemaError = (e: GraphQLError, code: Parameters<typeof formatError>[1]) => formatError(hide ? new GraphQLError(withoutSuggestions(e.message), e) : e, code);
  let parsed: DocumentNode | undefined;
  if (admit) {
    try {
      parsed = await admit(principal, payload, clientAddress);
    } catch (err) {
      if (err instanceof GraphQLError) return [formatError(err, 'FORBIDDEN')];
      throw err;
    }
  }
  const checked = state.check(payload.query, parsed);
  if ('errors' in checked) return checked.errors.map((e) => schemaError(e, e.message.startsWith('Syntax Error') ? 'GRAPHQL_PARSE_FAILED' : 'GRAPHQL_VALIDATION_FAILED'));
  const { document, normalised } = checked;
  const operationName = payload.operationName ?? undefined;
  const operation = getOperationAST(document, operationName);
  if (!operation) return [codedError('BAD_USER_INPUT', 'The operation to run could not be determined', 'Pass operationName for a document with several operations')];
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION) return [codedError('BAD_USER_INPUT', 'Only subscriptions are served over WebSocket', 'Send queries and mutations over HTTP')];

  const coerced = getVariableValues(state.apiGraphQLSchema, operation.variableDefinitions ?? [], payload.variables ?? {});
  if (coerced.errors) return coerced.errors.map((e) => schemaError(e, 'BAD_USER_INPUT'));
  const variables = coerced.coerced;

  const authorized = authorize ? await authorize({ principal, document, operationName, variables }) : { document };
  // A refusal is a list of errors; Array.isArray does not narrow a readonly list, `in` does.
  if (!('document' in authorized)) return authorized.map((e) => formatError(e, 'FORBIDDEN'));
  const { document: allowed, complete } = authorized;

  let plan;
  try {
    plan = state.plan(allowed, allowed === document ? normalised : print(allowed), operationName);
  } catch (err) {
    logger.warn({ err }, 'subscription could not be planned');
    return [codedError('GRAPHQL_VALIDATION_FAILED', 'The subscription cannot be planned over the supergraph')];
  }
  const ext = payload.extensions ?? {};
  const correlationId = typeof ext.correlationId === 'string' && CORRELATION_RE.test(ext.correlationId) ? ext.correlationId : randomUUID();
  const key = subscriptionKey(normalised, operation.name?.value ?? operationName, variables, principal);
  return { key, state, plan, document: allowed, operationName, variables, principal, correlationId, complete };
}


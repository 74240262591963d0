/**
 * Runs the per-event plan of a subscription with @apollo/gateway's own executor. The planner's
 * primary fetch is answered by the event that arrived over graphql-ws (a one-shot "replay" data
 * source); the rest of the plan fetches fields from the other subgraphs as usual, so the client gets
 * one payload with fields from every subgraph.
 */
import type { DocumentNode, ExecutionResult, GraphQLError, GraphQLFormattedError } from 'graphql';
import { executeQueryPlan, type buildOperationContext, type GraphQLDataSource, type ServiceMap } from '@apollo/gateway';
import type { Logger } from '../../platform/logger.js';
import { toSpecError } from '../../platform/errors.js';
import { withCompletionErrors } from '../errors.js';
import type { SchemaState } from './schema.js';
import type { SubscriptionPlan } from './plan.js';

/** What executing one event of a shared subscription needs. */
export interface EventInput {
  state: SchemaState;
  plan: SubscriptionPlan;
  document: DocumentNode;
  operationContext: OperationContext;
  variables: Record<string, unknown>;
  /** Builds the per-event context handed to the data sources. */
  context: () => Record<string, unknown>;
  correlationId: string;
  logger: Logger;
  /** Show unexpected error messages (development only). */
  exposeErrors: boolean;
  /** Shapes the data for the caller's rights (see `Authorized.complete`). */
  complete?: (data: Record<string, unknown> | null | undefined) => Promise<{ data: Record<string, unknown> | null; errors: readonly GraphQLError[] }>;
}

type OperationContext = ReturnType<typeof buildOperationContext>;

/** The payload of one `next` message: data, spec-shaped errors, and the event's cursor. */
export interface EventPayload {
  data?: Record<string, unknown> | null;
  errors?: GraphQLFormattedError[];
  extensions?: Record<string, unknown>;
}

/** Answers the primary fetch with the upstream event once; anything else goes to the subgraph. */
function replaySource(primaryQuery: string, event: ExecutionResult, fallback: GraphQLDataSource): GraphQLDataSource {
  let replayed = false;
  return {
    async process(opts) {
      if (!replayed && opts.request.query === primaryQuery) {
        replayed = true;
        return event;
      }
      return fallback.process(opts);
    },
  };
}

/** Executes the per-event plan for one upstream event and shapes the client payload. */
export async function executeEvent(input: EventInput, event: ExecutionResult, cursor: string | undefined): Promise<EventPayload> {
  const { state, plan, document, operationContext, variables, logger, exposeErrors, correlationId } = input;
  const sources = state.sources.serviceMap();
  const primarySource = sources[plan.serviceName];
  if (!primarySource) throw new Error(`the supergraph has no data source for subgraph ${plan.serviceName}`);
  const context = input.context();
  const serviceMap: ServiceMap = {
    ...sources,
    [plan.serviceName]: replaySource(plan.primary.operation, event, primarySource),
  };
  const requestContext = {
    request: { query: undefined, variables, operationName: operationContext.operation.name?.value },
    document,
    operationName: operationContext.operation.name?.value ?? null,
    operation: operationContext.operation,
    context,
    logger,
    metrics: {},
    cache: undefined,
    schema: state.apiGraphQLSchema,
    overallCachePolicy: undefined,
  };
  let result: { data?: Record<string, unknown> | null; errors?: readonly { toJSON?: () => GraphQLFormattedError }[] };
  try {
    result = await executeQueryPlan(
      plan.perEventPlan,
      serviceMap,
      requestContext as unknown as Parameters<typeof executeQueryPlan>[2],
      operationContext,
      state.supergraphGraphQLSchema,
      state.apiSchema,
    );
  } catch (err) {
    logger.error({ err, correlationId: correlationId }, 'subscription event execution failed');
    result = { data: null, errors: [{ toJSON: () => ({ message: 'Unexpected error' }) }] };
  }
  result = withCompletionErrors(result as Parameters<typeof withCompletionErrors>[0]);
  let data = result.data ?? null;
  let errors = result.errors ?? [];
  if (input.complete) {
    const completed = await input.complete(data);
    data = completed.data;
    errors = [...completed.errors, ...errors];
  }
  const payload: EventPayload = { data };
  if (errors.length) {
    payload.errors = errors.map((e) => {
      const formatted = typeof e.toJSON === 'function' ? e.toJSON() : (e as GraphQLFormattedError);
      return toSpecError(formatted, e, {
        correlationId: correlationId,
        exposeUnexpected: exposeErrors,
        onMasked: (err) => logger.error({ err, correlationId: correlationId }, 'unexpected error in subscription event'),
      });
    });
  }
  if (cursor !== undefined) payload.extensions = { cursor };
  return payload;
}

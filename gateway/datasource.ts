/**
 * Subgraph data sources: the RemoteGraphQLDataSource @apollo/gateway calls for every fetch of a
 * query plan. Each call carries the operation's correlation id and the caller's principal, signed
 * with the internal secret. A subgraph that refuses the caller's input before executing (HTTP 4xx
 * with a GraphQL body whose error carries a registered client code, e.g. a malformed DateTime) is
 * answered with that coded error; every other failure (5xx, unreadable bodies, timeouts, refused
 * connections) is logged with detail and surfaces as an uncoded error, which the gateway masks.
 * For the subgraphs batching is on for, the calls one operation makes to one subgraph close
 * together are sent as one batched HTTP request (batching.ts); each call still sees its own answer
 * and errors, and a subgraph that refuses batches gets single requests from then on.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { ERROR_CODES, type ErrorCode } from '../platform/errors.js';
import { CORRELATION_HEADER } from '../platform/http.js';
import type { Logger } from '../platform/logger.js';
import { ANONYMOUS, PRINCIPAL_HEADER, createPrincipalSigner } from '../platform/principal.js';
import { batchesTo, createBatchingFetcher, type BatchingOptions, type SubgraphBatching } from './batching.js';
import type { Fetcher } from './fetcher.js';
import type { GatewayContext, GatewayExtension } from './types.js';

export interface DataSourceOptions {
  fetcher: Fetcher;
  internalSecret: string;
  extensions: readonly GatewayExtension[];
  logger: Logger;
  /**
   * The subgraphs that receive the calls one operation makes to them close together as one
   * batched HTTP request (see batching.ts). Default (and undefined) `'off'`: every call on its own.
   */
  batching?: SubgraphBatching;
  /** Batch window and size limits. */
  batchingOptions?: BatchingOptions;
}

export interface DataSources {
  /** `buildService` for ApolloGateway. */
  build(def: { name: string; url?: string }): RemoteGraphQLDataSource<GatewayContext>;
  /** The latest data source per subgraph name. */
  serviceMap(): Record<string, RemoteGraphQLDataSource<GatewayContext>>;
}

/** A subgraph answered with a non-2xx status. Carries the status and body for the log only. */
export class SubgraphHttpError extends GraphQLError {
  constructor(readonly subgraph: string, readonly status: number, readonly body: string) {
    super(`Subgraph ${subgraph} answered HTTP ${status}`);
  }
}

/** Codes a subgraph may answer a 4xx with that describe the caller's request, not our setup. */
const CLIENT_CODES = new Set<ErrorCode>(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'OPERATION_TOO_COMPLEX', 'PAYLOAD_TOO_LARGE']);

/**
 * The caller's own mistake, as a subgraph reported it with a 4xx answer: the first error of the
 * body when its code is a registered client code. The target is taken from graphql-js's coercion
 * message (`… at "input.startsAt"` or `Variable "$id" …`) when the subgraph gave none.
 */
export function clientErrorFromBody(subgraph: string, status: number, text: string): GraphQLError | undefined {
  if (status < 400 || status >= 500) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const first = (body as { errors?: unknown })?.errors;
  const err = Array.isArray(first) ? (first[0] as { message?: unknown; extensions?: Record<string, unknown> } | undefined) : undefined;
  const code = err?.extensions?.code;
  if (typeof code !== 'string' || !(code in ERROR_CODES) || !CLIENT_CODES.has(code as ErrorCode) || typeof err?.message !== 'string') return undefined;
  const message = err.message.slice(0, 1000);
  const target = typeof err.extensions?.target === 'string' ? err.extensions.target : (/ at "([^"]+)"/.exec(message)?.[1] ?? /^Variable "\$([^"]+)"/.exec(message)?.[1]);
  const { stacktrace: _s, ...ext } = err.extensions ?? {};
  return new GraphQLError(message, { extensions: { ...ext, code, ...(target ? { target } : {}), serviceName: subgraph } });
}

function isGatewayContext(value: unknown): value is GatewayContext {
  return typeof value === 'object' && value !== null && typeof (value as GatewayContext).correlationId === 'string' && typeof (value as GatewayContext).principal === 'object';
}

/** Creates the data-source registry of one gateway. */
export function createDataSources({ fetcher, internalSecret, extensions, logger, batching = 'off', batchingOptions = {} }: DataSourceOptions): DataSources {
  const byName = new Map<string, RemoteGraphQLDataSource<GatewayContext>>();
  const signer = createPrincipalSigner({ secret: internalSecret });

  function build({ name, url = '' }: { name: string; url?: string }): RemoteGraphQLDataSource<GatewayContext> {
    const batcher = batchesTo(batching, name)
      ? createBatchingFetcher({
          ...batchingOptions,
          subgraph: name,
          fetcher,
          onRefused: (refusal) => logger.warn({ ...refusal, url }, 'subgraph refuses batched requests; sending it single requests from now on'),
        })
      : undefined;
    const source = new RemoteGraphQLDataSource<GatewayContext>({
      url,
      fetcher: batcher?.fetch ?? fetcher,
      honorSubgraphCacheControlHeader: true,
      async willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
        const ctx = 'incomingRequestContext' in options && isGatewayContext(options.context) ? options.context : undefined;
        const http = options.request.http;
        if (!http) return;
        http.headers.set(CORRELATION_HEADER, ctx?.correlationId ?? randomUUID());
        http.headers.set(PRINCIPAL_HEADER, await signer.sign(ctx?.principal ?? ANONYMOUS));
        if (!ctx) return;
        const { query, operationName, variables, extensions: ext } = options.request;
        for (const e of extensions) {
          await e.willSendSubgraphRequest?.({ subgraph: name, url, headers: http.headers, body: { query, operationName, variables, extensions: ext } }, ctx);
        }
      },
      async errorFromResponse(response) {
        const text = await response.text().catch(() => '');
        return clientErrorFromBody(name, response.status, text) ?? new SubgraphHttpError(name, response.status, text.slice(0, 2000));
      },
      didEncounterError(error: Error, _req: unknown, _res: unknown, context?: GatewayContext) {
        const log = isGatewayContext(context) ? context.logger : logger;
        const http = error instanceof SubgraphHttpError ? { status: error.status, body: error.body } : {};
        log.warn({ subgraph: name, url, err: error, ...http }, 'subgraph call failed');
        throw error;
      },
    });
    if (batcher) {
      // Calls made for one operation (one GatewayContext) join one batch.
      const process = source.process.bind(source);
      source.process = (options) => (isGatewayContext(options.context) ? batcher.run(options.context, () => process(options)) : process(options));
    }
    byName.set(name, source);
    return source;
  }

  return { build, serviceMap: () => Object.fromEntries(byName) };
}

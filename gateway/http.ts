/**
 * How the gateway answers GraphQL over HTTP: the response media type a client prefers, the status
 * of responses that hold only GraphQL request errors (200 as `application/json`, 400 as
 * `application/graphql-response+json`), errors raised before Apollo Server runs, and the bridge
 * from Node's request to Apollo Server with @apollo/gateway as its executor.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApolloServer, type ApolloServerOptionsWithGateway, type ApolloServerPlugin } from '@apollo/server';
import type { ApolloGateway } from '@apollo/gateway';
import { GraphQLError, Kind, type DocumentNode } from 'graphql';
import { CORRELATION_HEADER, toHttpGraphQLRequest } from '../platform/http.js';
import { formatGatewayError, isRequestError, withCompletionErrors, type ErrorScope } from './errors.js';
import type { GatewayContext } from './types.js';

/** The response media types of GraphQL over HTTP. */
type GraphQLMediaType = 'application/json' | 'application/graphql-response+json';
const MEDIA_TYPES: readonly GraphQLMediaType[] = ['application/json', 'application/graphql-response+json'];

/**
 * The response media type a client's `Accept` header prefers (RFC 9110 quality values; on a tie
 * the more specific range, then the range listed first, then `application/json`), as Apollo Server
 * negotiates it. No header means `application/json`; null when the client accepts neither.
 */
function preferredMediaType(accept: string | undefined): GraphQLMediaType | null {
  if (!accept || !accept.trim()) return 'application/json';
  const ranges = accept.split(',').flatMap((part, order) => {
    const [range, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    return range && Number.isFinite(q) ? [{ range, q, order }] : [];
  });
  let best: { type: GraphQLMediaType; q: number; specificity: number; order: number } | null = null;
  for (const type of MEDIA_TYPES) {
    let match: { q: number; specificity: number; order: number } | null = null;
    for (const r of ranges) {
      const specificity = r.range === type ? 2 : r.range === 'application/*' ? 1 : r.range === '*/*' ? 0 : -1;
      if (specificity < 0 || (match && match.specificity >= specificity)) continue;
      match = { q: r.q, specificity, order: r.order };
    }
    if (!match || match.q <= 0) continue;
    const better = !best || match.q > best.q || (match.q === best.q && (match.specificity > best.specificity || (match.specificity === best.specificity && match.order < best.order)));
    if (better) best = { type, ...match };
  }
  return best?.type ?? null;
}

/**
 * The HTTP status of a response that holds only GraphQL request errors (a document that does not
 * parse or validate, an operation that cannot be chosen, variables that cannot be coerced):
 * GraphQL over HTTP asks for 200 when the response is `application/json`, and for the error's
 * status (400) when it is `application/graphql-response+json`.
 */
function requestErrorStatus(media: GraphQLMediaType | null, status: number): number {
  return media === 'application/json' ? 200 : status;
}

/** Why no operation of the document can run (graphql-js's wording). */
function operationNotFound(document: DocumentNode, operationName: string | undefined): GraphQLError {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION).length;
  const message = operationName
    ? `Unknown operation named "${operationName}".`
    : operations > 1
      ? 'Must provide operation name if query contains multiple operations.'
      : 'Must provide an operation.';
  return new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } });
}

/**
 * @apollo/gateway as Apollo Server runs it: the nulls it finds in non-null positions are reported
 * as errors at their paths, and an operation Apollo Server could not choose is answered as a
 * request error (rather than failing inside @apollo/gateway with an uncoded, masked 500).
 */
export function createServedGateway(gateway: ApolloGateway): ApolloServerOptionsWithGateway<GatewayContext>['gateway'] {
  return {
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    async load(options) {
      const loaded = await gateway.load(options);
      const executor = loaded.executor;
      if (!executor) return loaded;
      return {
        ...loaded,
        async executor(requestContext) {
          if (!requestContext.operation) return { errors: [operationNotFound(requestContext.document, requestContext.request.operationName)] };
          return withCompletionErrors(await executor(requestContext));
        },
      };
    },
    stop: () => gateway.stop(),
  };
}

/** Which HTTP requests got a response that holds only GraphQL request errors. */
export interface RequestOutcomes {
  /** The Apollo Server plugin that records them. */
  plugin: ApolloServerPlugin<GatewayContext>;
  requestErrorsOnly(req: IncomingMessage): boolean;
}

/** Creates the record (per gateway; keyed by request, since Apollo Server hands plugins a copy of the context). */
export function createRequestOutcomes(): RequestOutcomes {
  const requestErrorsOnly = new WeakSet<IncomingMessage>();
  return {
    plugin: {
      requestDidStart() {
        return Promise.resolve({
          willSendResponse(rc) {
            const body = rc.response.body;
            const result = body.kind === 'single' ? body.singleResult : body.initialResult;
            const req = rc.contextValue.req;
            if (req && result.data === undefined && rc.errors?.length && rc.errors.every(isRequestError)) requestErrorsOnly.add(req);
            return Promise.resolve();
          },
        });
      },
    },
    requestErrorsOnly: (req) => requestErrorsOnly.has(req),
  };
}

/** Options of `answerGraphQL`. */
export interface AnswerGraphQLOptions {
  apollo: ApolloServer<GatewayContext>;
  outcomes: RequestOutcomes;
  req: IncomingMessage;
  res: ServerResponse;
  /** The parsed JSON body of a POST; undefined for GET. */
  body: unknown;
  ctx: GatewayContext;
}

/** Hands one GraphQL request to Apollo Server and writes its answer (headers set by Apollo and plugins included). */
export async function answerGraphQL({ apollo, outcomes, req, res, body, ctx }: AnswerGraphQLOptions): Promise<void> {
  const result = await apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: toHttpGraphQLRequest(req, body), context: () => Promise.resolve(ctx) });
  const out: Record<string, string> = { [CORRELATION_HEADER]: ctx.correlationId };
  for (const [k, v] of result.headers) out[k] = v;
  let status = result.status ?? 200;
  if (outcomes.requestErrorsOnly(req)) {
    const media = /^application\/json\b/i.test(result.headers.get('content-type') ?? '') ? 'application/json' : 'application/graphql-response+json';
    status = requestErrorStatus(media, status);
  }
  res.writeHead(status, out);
  if (result.body.kind === 'complete') {
    res.end(result.body.string);
    return;
  }
  for await (const chunk of result.body.asyncIterator) res.write(chunk);
  res.end();
}

/** Options of `answerError`. */
export interface AnswerErrorOptions {
  req: IncomingMessage;
  res: ServerResponse;
  /** A coded error (`appError`); anything else is masked like any unexpected error. */
  err: GraphQLError;
  scope: ErrorScope & { correlationId: string };
  exposeErrors: boolean;
  /** Extra response headers (e.g. `Allow`). */
  headers?: Record<string, string>;
}

/**
 * Answers an error raised before Apollo Server runs (body, method, authentication, limits, routes)
 * in the spec shape and the media type the client prefers, with its code's HTTP status, except that
 * a document that does not parse answers 200 as `application/json`.
 */
export function answerError({ req, res, err, scope, exposeErrors, headers = {} }: AnswerErrorOptions): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const formatted = formatGatewayError(err.toJSON(), err, scope, exposeErrors);
  const codeStatus = Number((formatted.extensions as { status?: unknown }).status) || 500;
  const media = preferredMediaType(req.headers.accept);
  const status = isRequestError(err) ? requestErrorStatus(media, codeStatus) : codeStatus;
  res.writeHead(status, { 'content-type': `${media ?? 'application/json'}; charset=utf-8`, [CORRELATION_HEADER]: scope.correlationId, ...headers });
  res.end(JSON.stringify({ errors: [formatted] }));
}

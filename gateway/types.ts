/**
 * The gateway's extension points. Cross-cutting parts (authentication, rate limits, safelist, scope
 * rules, audit, subscriptions) plug in as plugins, `GatewayExtension` objects made by `useX(opts)`
 * factories and passed to `createGateway`; the core knows nothing about them beyond these hooks.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import type { Logger } from '../platform/logger.js';
import type { Principal } from '../platform/principal.js';
import type { GatewayConfig } from './config.js';
import type { GraphQLParams, ParsedOperation } from './operation.js';
import type { PreparedSupergraph } from './supergraph.js';

/** What every operation carries through the gateway (Apollo's context value). */
export interface GatewayContext extends BaseContext {
  correlationId: string;
  /** Child logger with the correlation id bound. */
  logger: Logger;
  /** The caller. Anonymous until an extension authenticates the request. */
  principal: Principal;
  /** Values an extension keeps for its later hooks, under its own name. */
  extras: Record<string, unknown>;
  /** The HTTP request; absent for operations started over WebSocket. */
  req?: IncomingMessage;
  /**
   * The operation as the gateway parsed it before execution (once per request: Apollo Server and
   * the plugins use this document). Absent until parsed, and for a request naming a persisted hash
   * the gateway has not seen.
   */
  operation?: ParsedOperation;
  /** Codes of the selections the shield denied in this operation (the audit log records them). */
  deniedCodes?: string[];
}

/**
 * One operation on its way to execution (an HTTP request or a graphql-ws subscribe), as the
 * admission hooks see it.
 */
export interface OperationAdmission {
  /**
   * The request's GraphQL fields (an array for a batched HTTP body). `onParams` may rewrite them:
   * for a POST they are the body Apollo Server receives, for a subscribe the payload that runs.
   */
  params: GraphQLParams | readonly unknown[];
  readonly transport: 'http' | 'websocket';
  /** The caller's address as the transport knows it (WebSocket: the connection's); plugins read `ctx.req` otherwise. */
  readonly clientAddress?: string;
  /** The parsed operation, set before `onOperation` (see `GatewayContext.operation`). */
  operation?: ParsedOperation;
  /** Request units the operation was charged (set by the rate-limits plugin once admitted). */
  units?: number;
  /** Sets headers of the answer (ignored over WebSocket). */
  setHeaders(headers: Record<string, string>): void;
  /** Runs `fn` once the answer is finished (HTTP: the response closed; WebSocket: once admitted or refused). */
  onFinished(fn: () => void | Promise<void>): void;
}

/** One outgoing subgraph call, as `willSendSubgraphRequest` sees it. */
export interface SubgraphRequest {
  subgraph: string;
  url: string;
  /** Headers of the call; `x-correlation-id` and `x-principal` are already set. */
  headers: { get(name: string): string | null; set(name: string, value: string): void };
  /** The GraphQL request sent to the subgraph. */
  body: { query?: string; operationName?: string; variables?: Record<string, unknown>; extensions?: Record<string, unknown> };
}

/** An extra HTTP route (e.g. `POST /oauth/token`). Return true when it answered the request. */
export type GatewayRoute = (req: IncomingMessage, res: ServerResponse, ctx: { correlationId: string; logger: Logger }) => Promise<boolean>;

/** What the running gateway exposes to extensions (read it through `getState()`; it changes on reload). */
export interface GatewayState {
  /** The API schema currently served (graphql-js). */
  schema: GraphQLSchema;
  /** The supergraph currently served: gateway SDL, access rules, subgraph URLs, hash. */
  prepared: PreparedSupergraph;
  /**
   * Data sources per subgraph name, as @apollo/gateway uses them: each call carries the
   * correlation id and the signed principal of the GatewayContext it is given. Suitable for
   * `executeQueryPlan`.
   */
  serviceMap(): Record<string, GraphQLDataSource<GatewayContext>>;
  /** A context for an operation that did not arrive over HTTP (e.g. a WebSocket subscription). */
  createContext(init?: { correlationId?: string; principal?: Principal }): GatewayContext;
  /**
   * Runs the plugins' admission hooks (`onParams`, parsing, `onOperation`, `onRefused` on a
   * refusal) for an operation that did not arrive over HTTP; throws the coded error that refuses it.
   */
  admitOperation(ctx: GatewayContext, init: { params: GraphQLParams; clientAddress: string }): Promise<ParsedOperation | undefined>;
  config: GatewayConfig;
  logger: Logger;
  /** True once stop() has begun. */
  stopping: boolean;
}

/**
 * A plugin: one concern plugged into the gateway. Every hook is optional; hooks of several plugins
 * run in the order the plugins are given (`stop` in reverse).
 */
export interface GatewayExtension {
  readonly name: string;
  /** HTTP routes tried before `/graphql` (after `/health` and `/ready`). */
  httpRoutes?: GatewayRoute[];
  /**
   * Runs for every GraphQL HTTP request before execution. May set `ctx.principal`, keep values in
   * `ctx.extras`, set response headers with `res.setHeader`, or throw a coded error
   * (`appError(...)`), which is answered in the spec shape with the code's HTTP status. `body` is
   * the parsed JSON body of a POST (undefined for GET); changes to it reach Apollo.
   */
  buildContext?(ctx: GatewayContext, req: IncomingMessage, res: ServerResponse, body: unknown): void | Promise<void>;
  /**
   * Admission, before the operation is parsed (HTTP after `buildContext`, and every graphql-ws
   * subscribe): may rewrite `admission.params` (a safelisted id becomes its text) or throw a coded
   * error to refuse the operation.
   */
  onParams?(admission: OperationAdmission, ctx: GatewayContext): void | Promise<void>;
  /**
   * Admission, once the operation is parsed (`admission.operation`, shared with Apollo Server):
   * limits, safelist checks; throw a coded error to refuse. When any plugin has this hook, the
   * gateway parses every operation before execution.
   */
  onOperation?(admission: OperationAdmission, ctx: GatewayContext): void | Promise<void>;
  /** Told of an operation refused before execution (by `buildContext`, admission or parsing), before it is answered. */
  onRefused?(error: GraphQLError, admission: OperationAdmission, ctx: GatewayContext): void | Promise<void>;
  /** Largest number of tokens an operation may have to be parsed (the smallest of all plugins applies). */
  maxTokens?: number;
  /** Apollo Server plugins (validation limits, scope rules, introspection gate, …). */
  apolloPlugins?: ApolloServerPlugin<GatewayContext>[];
  /** Set when the extension decides introspection per request: Apollo's introspection is then on. */
  gatesIntrospection?: boolean;
  /**
   * Whether the caller may see the schema (introspection is open to them). When any extension
   * answers false, error messages leave out graphql-js's "Did you mean …?" suggestions. Without
   * such an extension, suggestions follow the development-only introspection setting.
   */
  revealsSchema?(principal: Principal): boolean;
  /** Last look at every subgraph call of an operation (add headers). */
  willSendSubgraphRequest?(request: SubgraphRequest, ctx: GatewayContext): void | Promise<void>;
  /** Called once the first schema is loaded and after every reload, with the new schema. */
  onSchemaChange?(schema: GraphQLSchema, prepared: PreparedSupergraph): void;
  /** Called once after the schema is loaded, before the server listens: attach a WebSocket server. */
  attachWebSocket?(httpServer: Server, getState: () => GatewayState): void | Promise<void>;
  /** Called by the gateway's stop(), before in-flight HTTP requests are drained. */
  stop?(): Promise<void>;
}

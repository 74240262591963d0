/**
 * Subscriptions as a gateway extension: the graphql-ws endpoint on the gateway's own HTTP server
 * and port (`/graphql`), over the supergraph the gateway serves, with the gateway's data sources
 * for per-event fetches and the security extension's authentication, limits and rules.
 *
 * Add it after the security extension: `createSubscriptionsExtension({ config, logger, security })`.
 */
import type { IncomingMessage } from 'node:http';
import type { DocumentNode } from 'graphql';
import type { Logger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';
import type { GatewayConfig } from '../config.js';
import type { PreparedSupergraph } from '../supergraph.js';
import type { GatewayExtension, GatewayState } from '../types.js';
import type { SupergraphInput } from './schema.js';
import { createSubscriptionServer, type Authenticated, type Authorized, type SubscriptionServer, type SubscriptionServerOptions, type SubscriptionStats } from './server.js';
import type { FetchSources } from './sources.js';

/** What the subscription endpoint needs from the security extension (see gateway/auth/extension.ts). */
export interface SubscriptionSecurity {
  authenticate(credentials: unknown): Promise<Authenticated>;
  authorizeOperation(
    document: DocumentNode,
    variables: Record<string, unknown> | undefined,
    principal: Principal,
    operationName?: string | null,
  ): Promise<{ document: DocumentNode | null; errors: import('graphql').GraphQLError[]; onDeny: 'partial' | 'reject'; complete: NonNullable<Authorized['complete']> }>;
  admitOperation(principal: Principal, clientAddress: string, request: unknown): Promise<{ release(): void | Promise<void> }>;
  /** Whether the caller may see the schema (see `GatewayExtension.revealsSchema`). */
  revealsSchema?(principal: Principal): boolean;
}

export interface SubscriptionsExtensionOptions {
  config: Pick<GatewayConfig, 'internalSecret' | 'exposeErrors'>;
  logger: Logger;
  /** Without it every connection is anonymous and every subscription allowed (tests, tools). */
  security?: SubscriptionSecurity;
  /** The caller's address for rate limits (default: the socket's remote address). */
  clientAddress?: (req: IncomingMessage) => string;
  /** Engine tuning (buffers, keep-alive, backoff). */
  tuning?: Pick<SubscriptionServerOptions, 'maxBufferedBytes' | 'keepAliveMs' | 'connectionInitWaitMs' | 'maxPendingEvents' | 'minPassIntervalMs' | 'backoffMs' | 'shutdownGraceMs'>;
}

export interface SubscriptionsExtension extends GatewayExtension {
  /** Counters of the endpoint (zeros before the gateway attached it). */
  stats(): SubscriptionStats;
}

const inputOf = (prepared: PreparedSupergraph): SupergraphInput => ({ gatewaySdl: prepared.gatewaySdl, subgraphs: prepared.subgraphs });

/** Adapts the security extension's rules to the endpoint's `authorize` hook. */
function authorizeWith(security: SubscriptionSecurity): NonNullable<SubscriptionServerOptions['authorize']> {
  return async ({ principal, document, operationName, variables }) => {
    const auth = await security.authorizeOperation(document, variables, principal, operationName);
    if (auth.errors.length === 0) return { document };
    if (auth.onDeny === 'reject' || !auth.document) return auth.errors;
    return { document: auth.document, complete: auth.complete };
  };
}

/** Creates the extension. */
export function createSubscriptionsExtension(opts: SubscriptionsExtensionOptions): SubscriptionsExtension {
  const { config, logger, security, clientAddress, tuning } = opts;
  let server: SubscriptionServer | undefined;
  let servedHash: string | undefined;
  const zero: SubscriptionStats = { upstreamOpened: 0, upstreamResubscribed: 0, planExecutions: 0, eventsDelivered: 0, fanOutMs: 0, socketWrites: 0, connections: 0, subscribers: 0, sharedSubscriptions: 0, slowConsumerDisconnects: 0, expiredDisconnects: 0 };

  return {
    name: 'subscriptions',
    attachWebSocket(httpServer, getState: () => GatewayState) {
      const state = getState();
      const sources: FetchSources = {
        serviceMap: () => getState().serviceMap(),
        contextFor: (principal, correlationId) => getState().createContext({ principal, correlationId }) as unknown as Record<string, unknown>,
      };
      servedHash = state.prepared.hash;
      server = createSubscriptionServer({
        ...tuning,
        supergraph: inputOf(state.prepared),
        internalSecret: config.internalSecret,
        exposeErrors: config.exposeErrors,
        logger: logger.child({ part: 'subscriptions' }),
        sources,
        clientAddress,
        ...(security
          ? {
              authenticate: (credentials: unknown) => security.authenticate(credentials),
              authorize: authorizeWith(security),
              revealsSchema: (principal: Principal) => security.revealsSchema?.(principal) ?? true,
              admit: async (principal: Principal, payload: unknown, address: string) => {
                const admission = await security.admitOperation(principal, address, payload);
                await admission.release();
              },
            }
          : {}),
      });
      server.attach(httpServer);
    },
    onSchemaChange(_schema, prepared) {
      if (!server || prepared.hash === servedHash) return;
      servedHash = prepared.hash;
      server.reload(inputOf(prepared));
    },
    async stop() {
      await server?.stop();
    },
    stats: () => server?.stats() ?? { ...zero },
  };
}

/**
 * `useSubscriptions`: the graphql-ws endpoint on the gateway's own HTTP server and port
 * (`/graphql`, see `gateway/subscriptions/`), over the supergraph the gateway serves, with the
 * gateway's data sources for per-event fetches. Connections are authenticated by the
 * authentication plugin; each subscribe checks again that the user may act, goes through the
 * gateway's admission (the plugins' limits and safelist, as over HTTP) and the shield's rules.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';
import type { GatewayConfig } from '../config.js';
import type { SupergraphInput } from '../subscriptions/schema.js';
import { createSubscriptionServer, type SubscriptionServer, type SubscriptionServerOptions, type SubscriptionStats } from '../subscriptions/server.js';
import type { FetchSources } from '../subscriptions/sources.js';
import type { PreparedSupergraph } from '../supergraph.js';
import type { GatewayExtension, GatewayState } from '../types.js';
import type { AuthenticationPlugin } from './authentication.js';
import type { ShieldPlugin } from './shield.js';

/** Options of `useSubscriptions`. */
export interface SubscriptionsOptions {
  config: Pick<GatewayConfig, 'internalSecret' | 'exposeErrors'>;
  logger: Logger;
  /** Verifies connections and, at each subscribe, the user; without it every connection is anonymous. */
  authentication?: Pick<AuthenticationPlugin, 'authenticate' | 'verifyActive'>;
  /** Scope rules for every subscription; without it every subscription is allowed. */
  shield?: Pick<ShieldPlugin, 'authorize' | 'revealsSchema'>;
  /** The caller's address for rate limits (default: the socket's remote address). */
  clientAddress?: (req: IncomingMessage) => string;
  /** Engine tuning (buffers, keep-alive, backoff). */
  tuning?: Pick<SubscriptionServerOptions, 'maxBufferedBytes' | 'keepAliveMs' | 'revalidateMs' | 'connectionInitWaitMs' | 'maxPendingEvents' | 'minPassIntervalMs' | 'backoffMs' | 'shutdownGraceMs'>;
}

/** The subscriptions plugin and its counters. */
export interface SubscriptionsPlugin extends GatewayExtension {
  /** Counters of the endpoint (zeros before the gateway attached it). */
  stats(): SubscriptionStats;
}

const inputOf = (prepared: PreparedSupergraph): SupergraphInput => ({ gatewaySdl: prepared.gatewaySdl, subgraphs: prepared.subgraphs });

/** Creates the plugin. */
export function useSubscriptions({ config, logger, authentication, shield, clientAddress, tuning }: SubscriptionsOptions): SubscriptionsPlugin {
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
        ...(authentication ? { authenticate: (credentials: unknown) => authentication.authenticate(credentials) } : {}),
        ...(shield ? { authorize: shield.authorize, revealsSchema: (principal: Principal) => shield.revealsSchema(principal) } : {}),
        admit: async (principal, payload, address) => {
          // A connection outlives its user: each operation on it checks again that the user may act.
          await authentication?.verifyActive(principal);
          const current = getState();
          // The admission's parse is the only one: the endpoint checks that document.
          const operation = await current.admitOperation(current.createContext({ principal }), { params: payload, clientAddress: address });
          return operation?.source === payload.query ? operation.document : undefined;
        },
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

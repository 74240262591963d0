/**
 * Gateway → subgraph subscriptions: one multiplexed graphql-ws client per subgraph per gateway
 * process. The connection authenticates as the gateway (an internal principal); each subscription
 * carries the caller's signed principal and correlation id in its `extensions`.
 *
 * The clients never retry on their own: a dropped connection surfaces as an error on every
 * subscription it carried, and each shared subscription resubscribes with its own last cursor
 * (see `shared.ts`), which an automatic retry of the original payload could not do.
 */
import { createClient, type Client, type ExecutionResult, type Sink, type SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';
import type { Logger } from '../../platform/logger.js';
import type { Principal, PrincipalSigner } from '../../platform/principal.js';

/** The principal the gateway presents on its connections to subgraphs. */
const GATEWAY_PRINCIPAL: Principal = Object.freeze({ kind: 'internal', sub: 'gateway', scopes: ['admin'], roles: [] });

/** Options of `createUpstreamPool`. */
export interface UpstreamPoolOptions {
  /** Subgraph name → graphql-ws URL. */
  wsUrls: Map<string, string>;
  /** Signs the gateway's connection principal. */
  signer: PrincipalSigner;
  logger: Logger;
  /** Ping interval that detects a dead subgraph connection. Default 10 s. */
  keepAliveMs?: number;
}

/** One multiplexed graphql-ws client per subgraph. */
export interface UpstreamPool {
  /** Subscribes on the subgraph's shared connection; returns the unsubscribe function. */
  subscribe(serviceName: string, payload: SubscribePayload, sink: Sink<ExecutionResult>): () => void;
  /** Closes every connection. Safe to call twice. */
  dispose(): Promise<void>;
}

/** Creates the pool; connections open lazily on the first subscription to each subgraph. */
export function createUpstreamPool(opts: UpstreamPoolOptions): UpstreamPool {
  const { wsUrls, signer, logger, keepAliveMs = 10_000 } = opts;
  const clients = new Map<string, Client>();
  let disposed = false;

  function clientFor(serviceName: string): Client {
    const existing = clients.get(serviceName);
    if (existing) return existing;
    const url = wsUrls.get(serviceName);
    if (!url) throw new Error(`no graphql-ws endpoint for subgraph '${serviceName}'`);
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      lazy: true,
      lazyCloseTimeout: 1_000,
      retryAttempts: 0,
      keepAlive: keepAliveMs,
      connectionAckWaitTimeout: 10_000,
      connectionParams: async () => ({ principal: await signer.sign(GATEWAY_PRINCIPAL) }),
      on: {
        connected: () => logger.debug({ subgraph: serviceName }, 'subscription connection to subgraph open'),
        closed: (event) => logger.debug({ subgraph: serviceName, code: (event as { code?: number }).code }, 'subscription connection to subgraph closed'),
      },
    });
    clients.set(serviceName, client);
    return client;
  }

  return {
    subscribe(serviceName, payload, sink) {
      if (disposed) throw new Error('the upstream pool is closed');
      return clientFor(serviceName).subscribe(payload, sink);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      const all = [...clients.values()];
      clients.clear();
      await Promise.all(all.map((c) => Promise.resolve(c.dispose()).catch(() => undefined)));
    },
  };
}

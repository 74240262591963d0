/**
 * Where per-event fetches go. Inside the gateway the engine uses the gateway's own data sources
 * (same pooled fetcher, principal signing and extension hooks as HTTP operations); standalone (tests,
 * tools) it builds RemoteGraphQLDataSources that sign the caller into `x-principal` themselves.
 */
import { randomUUID } from 'node:crypto';
import { RemoteGraphQLDataSource, type GraphQLDataSource } from '@apollo/gateway';
import { CORRELATION_HEADER } from '../../platform/http.js';
import { PRINCIPAL_HEADER, type Principal, type PrincipalSigner } from '../../platform/principal.js';

/** Where the per-event fetches of a subscription go, and as whom. */
export interface FetchSources {
  /** Data sources per subgraph name for the fetches of a per-event plan. */
  serviceMap(): Record<string, GraphQLDataSource>;
  /** The context one event's execution hands to the data sources (it carries the caller). */
  contextFor(principal: Principal, correlationId: string): Record<string, unknown>;
}

/** The fetch function RemoteGraphQLDataSource uses. */
export type DataSourceFetcher = RemoteGraphQLDataSource['fetcher'];

interface StandaloneContext extends Record<string, unknown> {
  principal: Principal;
  correlationId: string;
}

/** Options of `createStandaloneSources`. */
export interface StandaloneSourcesOptions {
  subgraphs: readonly { name: string; url: string }[];
  /** Signs the caller of each fetch into `x-principal`. */
  signer: PrincipalSigner;
  /** The fetch function of the data sources (default: RemoteGraphQLDataSource's). */
  fetcher?: DataSourceFetcher;
}

/** Creates data sources for subgraphs reached directly, signing the caller with `signer`. */
export function createStandaloneSources({ subgraphs, signer, fetcher }: StandaloneSourcesOptions): FetchSources {
  const map: Record<string, GraphQLDataSource<StandaloneContext>> = {};
  for (const s of subgraphs) {
    map[s.name] = new RemoteGraphQLDataSource<StandaloneContext>({
      url: s.url,
      ...(fetcher ? { fetcher } : {}),
      async willSendRequest({ request, context }) {
        const headers = request.http?.headers;
        if (!headers) return;
        const { correlationId, principal } = context as StandaloneContext;
        headers.set(CORRELATION_HEADER, correlationId ?? randomUUID());
        headers.set(PRINCIPAL_HEADER, await signer.sign(principal));
      },
    });
  }
  return {
    serviceMap: () => map,
    contextFor: (principal, correlationId) => ({ principal, correlationId }),
  };
}

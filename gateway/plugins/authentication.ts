/**
 * `useAuthentication`: who the caller is. Every GraphQL HTTP request is authenticated from its
 * headers (`Authorization: Bearer <jwt>`, `Authorization: ApiKey <key>` or `X-API-Key`, see
 * `gateway/auth/authenticate.ts`) into `ctx.principal`; no credential is the anonymous caller, and a
 * credential that does not verify, or whose user is erased or unknown, is refused (401), never
 * downgraded to anonymous. The subscription endpoint uses `authenticate` for graphql-ws
 * `connectionParams` and `verifyActive` before each subscribe (a connection outlives its user).
 */
import type { Principal } from '../../platform/principal.js';
import type { Authenticated, Authenticator } from '../auth/authenticate.js';
import type { GatewayExtension } from '../types.js';

/** Options of `useAuthentication`. */
export interface AuthenticationOptions {
  authenticator: Authenticator;
}

/** The authentication plugin and what it verifies for the subscription endpoint. */
export interface AuthenticationPlugin extends GatewayExtension {
  /** Verifies `{ authorization?: 'Bearer …' | 'ApiKey …', apiKey?: string }` (graphql-ws `connectionParams`). */
  authenticate(credentials: unknown): Promise<Authenticated>;
  /** Checks again that the user behind a principal may act; throws UNAUTHENTICATED or SERVICE_UNAVAILABLE. */
  verifyActive(principal: Principal): Promise<void>;
}

/** Creates the plugin. */
export function useAuthentication({ authenticator }: AuthenticationOptions): AuthenticationPlugin {
  return {
    name: 'authentication',
    async buildContext(ctx, req) {
      ctx.principal = (await authenticator.fromHeaders(req.headers)).principal;
    },
    authenticate: (credentials) => authenticator.authenticate(credentials),
    verifyActive: (principal) => authenticator.verifyActive(principal),
  };
}

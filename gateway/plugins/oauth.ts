/**
 * `useOAuthEndpoint`: `POST /oauth/token`, the OAuth 2.0 client credentials grant for partners
 * (RFC 6749 §4.4; see `gateway/auth/oauth.ts`). Each call costs one unit of the caller address's
 * anonymous budget when the rate-limits plugin meters the path (`meteredPaths`).
 */
import { createOAuthTokenRoute, type OAuthTokenRouteOptions } from '../auth/oauth.js';
import type { GatewayExtension } from '../types.js';

/** Creates the plugin. */
export function useOAuthEndpoint(opts: OAuthTokenRouteOptions): GatewayExtension {
  return { name: 'oauth', httpRoutes: [createOAuthTokenRoute(opts)] };
}

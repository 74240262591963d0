/**
 * One place that turns credentials into a principal, for HTTP requests and WebSocket connections:
 * `Authorization: Bearer <jwt>`, `Authorization: ApiKey <key>` or `X-API-Key: <key>`. No credential
 * is the anonymous caller; a credential that does not verify is refused (never downgraded to
 * anonymous), and so is one whose user is erased or unknown (users; partners' owners).
 */
import { appError } from '../../platform/errors.js';
import { ANONYMOUS, type Principal } from '../../platform/principal.js';
import type { ApiKeyVerifier } from './apikey.js';
import type { Authenticated, TokenVerifier } from './jwt.js';
import type { UserStatusVerifier } from './users.js';

export type { Authenticated } from './jwt.js';

/** Turns credentials into a principal (see the module comment). */
export interface Authenticator {
  /**
   * Verifies credentials given as `{ authorization?: 'Bearer …' | 'ApiKey …', apiKey?: string }`
   * (the shape of graphql-ws `connectionParams`). Resolves with the principal and when the
   * credential expires (ms since epoch, null for API keys and anonymous); throws UNAUTHENTICATED.
   */
  authenticate(credentials: unknown): Promise<Authenticated>;
  /** Same, from HTTP request headers (`authorization`, `x-api-key`). */
  fromHeaders(headers: Record<string, string | string[] | undefined>): Promise<Authenticated>;
  /**
   * Checks again that the user behind an authenticated principal may act (e.g. at each
   * subscribe on a long-lived connection); throws UNAUTHENTICATED or SERVICE_UNAVAILABLE.
   */
  verifyActive(principal: Principal): Promise<void>;
}

/** Options of `createAuthenticator`: the verifiers it combines. */
export interface AuthenticatorOptions {
  tokens: TokenVerifier;
  apiKeys: ApiKeyVerifier;
  /** Refuses erased and unknown users; without it users are not checked (graphs without the people subgraph). */
  users?: UserStatusVerifier;
}

function refused(details: string): Error {
  return appError('UNAUTHENTICATED', 'The credentials are not valid', { details });
}

function single(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value)) {
    if (value.length === 1) return single(value[0], name);
    throw refused(`send one ${name}`);
  }
  if (typeof value !== 'string') throw refused(`${name} must be a string`);
  return value;
}

/** Creates the authenticator over a token verifier, an API key verifier and the user check. */
export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const { tokens, apiKeys, users } = opts;

  async function authenticate(credentials: unknown): Promise<Authenticated> {
    const authenticated = await verifyCredentials(credentials);
    await users?.verify(authenticated.principal, authenticated.clientOwnerId);
    return authenticated;
  }

  async function verifyCredentials(credentials: unknown): Promise<Authenticated> {
    if (credentials === undefined || credentials === null) return { principal: ANONYMOUS, expiresAt: null };
    if (typeof credentials !== 'object') throw refused('credentials must be an object');
    const c = credentials as Record<string, unknown>;
    const authorization = single(c.authorization ?? c.Authorization, 'authorization');
    const apiKey = single(c.apiKey ?? c['x-api-key'], 'API key');
    if (authorization && apiKey) throw refused('send either an Authorization header or an API key, not both');
    if (apiKey) return apiKeys.verify(apiKey.trim());
    if (!authorization) return { principal: ANONYMOUS, expiresAt: null };
    const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(authorization);
    if (!match) throw refused('the Authorization value must be "Bearer <token>" or "ApiKey <key>"');
    // Both groups match at least one character whenever the pattern matches.
    const [, named = '', credential = ''] = match;
    const scheme = named.toLowerCase();
    if (scheme === 'bearer') return tokens.verify(credential);
    if (scheme === 'apikey') return apiKeys.verify(credential);
    throw refused(`the Authorization scheme '${named}' is not supported; use Bearer or ApiKey`);
  }

  return {
    authenticate,
    fromHeaders: (headers) => authenticate({ authorization: headers.authorization, apiKey: headers['x-api-key'] }),
    verifyActive: async (principal) => users?.verify(principal),
  };
}

/**
 * OAuth 2.0 token endpoint, client credentials grant (RFC 6749 §4.4): `POST /oauth/token` with an
 * `application/x-www-form-urlencoded` body. The client authenticates with HTTP Basic or with
 * `client_id`/`client_secret` in the body (one method, not both). The granted scopes are the
 * requested ones (all the client's scopes when `scope` is absent); asking for a scope the client
 * does not hold is `invalid_scope`. The token names the client's owner (claim `oid`) and whether an
 * admin granted its scopes (claim `global`), so the principal acts for that owner unless so. Errors
 * follow §5.2 and every answer carries `Cache-Control: no-store`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAppError } from '../../platform/errors.js';
import { HttpError, readBody } from '../../platform/http.js';
import type { Logger } from '../../platform/logger.js';
import type { GatewayRoute } from '../types.js';
import { isScope } from '../shield/scopes.js';
import type { JwtConfig } from './config.js';
import { issueToken } from './jwt.js';
import { partnerPrincipal } from './apikey.js';
import type { PeopleDirectory } from './people.js';
import type { UserStatusVerifier } from './users.js';

/** The path of the token endpoint. */
export const TOKEN_PATH = '/oauth/token';

/** RFC 6749 §5.2 error codes used by this endpoint. */
type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope' | 'temporarily_unavailable';

class OAuthError extends Error {
  constructor(readonly error: OAuthErrorCode, readonly status: number, description: string, readonly headers: Record<string, string> = {}) {
    super(description);
  }
}

/** Options of `createOAuthTokenRoute`. */
export interface OAuthTokenRouteOptions {
  directory: PeopleDirectory;
  /** Refuses clients whose owner is erased or unknown; absent for graphs without the people subgraph. */
  users?: UserStatusVerifier;
  jwt: JwtConfig;
  ttlSeconds: number;
  logger: Logger;
  maxBodyBytes?: number;
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...NO_STORE, ...headers });
  res.end(JSON.stringify(body));
}

/** Form parameters; a parameter sent twice is an invalid request (§3.2). */
function formParams(body: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(body)) {
    if (params.has(k)) throw new OAuthError('invalid_request', 400, `the parameter '${k}' is repeated`);
    params.set(k, v);
  }
  return params;
}

/** Client credentials from HTTP Basic (§2.3.1: each part form-urlencoded) or from the body. */
function clientCredentials(req: IncomingMessage, params: Map<string, string>): { clientId: string; clientSecret: string; basic: boolean } {
  const header = req.headers.authorization;
  const inBody = params.has('client_id') || params.has('client_secret');
  if (header) {
    if (inBody) throw new OAuthError('invalid_request', 400, 'use one client authentication method, not both');
    const encoded = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1];
    const decoded = encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new OAuthError('invalid_client', 401, 'the Basic credentials are malformed', { 'www-authenticate': 'Basic realm="eventgraph"' });
    const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    try {
      return { clientId: unform(decoded.slice(0, colon)), clientSecret: unform(decoded.slice(colon + 1)), basic: true };
    } catch {
      throw new OAuthError('invalid_client', 401, 'the Basic credentials are malformed', { 'www-authenticate': 'Basic realm="eventgraph"' });
    }
  }
  const clientId = params.get('client_id');
  const clientSecret = params.get('client_secret');
  if (!clientId || !clientSecret) throw new OAuthError('invalid_client', 401, 'client authentication is required', { 'www-authenticate': 'Basic realm="eventgraph"' });
  return { clientId, clientSecret, basic: false };
}

/**
 * Granted scopes: the requested ones, or everything allowed when nothing was requested. A
 * requested scope the client does not hold is refused (`invalid_scope`, naming it): a token never
 * carries more than its client.
 */
export function grantScopes(requested: string | undefined, allowed: readonly string[]): string[] {
  const allowedKnown: string[] = allowed.filter(isScope);
  if (requested === undefined) return allowedKnown;
  if (!/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(requested)) throw new OAuthError('invalid_request', 400, 'the scope parameter is malformed');
  const wanted = [...new Set(requested.split(' '))];
  const exceeding = wanted.filter((s) => !allowedKnown.includes(s));
  if (exceeding.length > 0) throw new OAuthError('invalid_scope', 400, `the client does not hold ${exceeding.map((s) => `'${s.slice(0, 64)}'`).join(', ')}`);
  return wanted;
}

/** Creates the route handler; it answers only `/oauth/token` and returns false otherwise. */
export function createOAuthTokenRoute(opts: OAuthTokenRouteOptions): GatewayRoute {
  const { directory, users, jwt, ttlSeconds, logger, maxBodyBytes = 8192 } = opts;

  async function handle(req: IncomingMessage): Promise<Record<string, unknown>> {
    if (req.method !== 'POST') throw new OAuthError('invalid_request', 405, 'the token endpoint accepts POST only', { allow: 'POST' });
    const [mediaType = ''] = (req.headers['content-type'] ?? '').split(';');
    const type = mediaType.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') throw new OAuthError('invalid_request', 400, 'the body must be application/x-www-form-urlencoded');
    let body: string;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof HttpError) throw new OAuthError('invalid_request', 413, 'the request body is too large');
      throw err;
    }
    const params = formParams(body);
    const grantType = params.get('grant_type');
    if (!grantType) throw new OAuthError('invalid_request', 400, 'grant_type is required');
    if (grantType !== 'client_credentials') throw new OAuthError('unsupported_grant_type', 400, `the grant type '${grantType}' is not supported`);
    const creds = clientCredentials(req, params);
    const challenge: Record<string, string> = creds.basic ? { 'www-authenticate': 'Basic realm="eventgraph"' } : {};
    let client;
    try {
      client = await directory.verifyClientCredentials(creds.clientId, creds.clientSecret);
    } catch (err) {
      logger.warn({ err }, 'client credentials could not be checked');
      throw new OAuthError('temporarily_unavailable', 503, 'client credentials cannot be checked right now', { 'retry-after': '5' });
    }
    if (!client || client.revoked || client.clientId !== creds.clientId) throw new OAuthError('invalid_client', 401, 'client authentication failed', challenge);
    const scopes = grantScopes(params.get('scope'), client.scopes);
    try {
      await users?.verify(partnerPrincipal(client), client.ownerId ?? undefined);
    } catch (err) {
      if (isAppError(err) && err.extensions.code === 'UNAUTHENTICATED') throw new OAuthError('invalid_client', 401, 'client authentication failed', challenge);
      logger.warn({ err }, "the client's owner could not be checked");
      throw new OAuthError('temporarily_unavailable', 503, 'client credentials cannot be checked right now', { 'retry-after': '5' });
    }
    const claims = { sub: client.clientId, kind: 'partner' as const, clientId: client.clientId, scopes, ...(client.ownerId ? { ownerId: client.ownerId } : {}), global: client.global };
    const { token } = await issueToken(jwt, claims, ttlSeconds);
    return { access_token: token, token_type: 'Bearer', expires_in: ttlSeconds, scope: scopes.join(' ') };
  }

  return async (req, res, { correlationId }) => {
    if ((req.url ?? '').split('?')[0] !== TOKEN_PATH) return false;
    try {
      send(res, 200, await handle(req), { 'x-correlation-id': correlationId });
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      if (err.status === 413 || err.status === 405) req.resume();
      send(res, err.status, { error: err.error, error_description: err.message }, { 'x-correlation-id': correlationId, ...err.headers });
    }
    return true;
  };
}

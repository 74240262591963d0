/**
 * One graphql-ws connection of the subscription endpoint: its caller (anonymous until its
 * `connection_init` is authenticated), its address, its heartbeat flag and the timer that closes it
 * when its credential expires. Credentials come from `connectionParams`, or else from the headers
 * of the upgrade request.
 */
import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import type { WebSocket } from 'ws';
import type { Logger } from '../../platform/logger.js';
import { ANONYMOUS, type Principal } from '../../platform/principal.js';
import { GatewayCloseCode } from './subscriber.js';

/** The registry code of an error, if it carries one. */
function codeOf(err: unknown): unknown {
  return err instanceof GraphQLError ? err.extensions.code : undefined;
}

/** A verified caller and when its credential expires (ms since epoch; null = never). */
export interface Authenticated {
  principal: Principal;
  expiresAt: number | null;
}

/** The state of one open connection. */
export interface Connection {
  /** False once pinged, true again at its pong (see the heartbeat). */
  alive: boolean;
  principal: Principal;
  address: string;
  /** The upgrade request, until `connection_init` has read its headers. */
  request: IncomingMessage | undefined;
  /** Closes the connection when its credential expires. */
  expiry: NodeJS.Timeout | undefined;
  /** Verifies the connection's credentials again from time to time. */
  revalidation: NodeJS.Timeout | undefined;
}

/** Longest delay `setTimeout` takes. */
const MAX_TIMER_MS = 2_147_483_647;

/** A new connection's state: anonymous until authenticated. */
export function createConnection({ request, address }: { request: IncomingMessage; address: string }): Connection {
  return { alive: true, principal: ANONYMOUS, address, request, expiry: undefined, revalidation: undefined };
}

function credentialsOf(params: Readonly<Record<string, unknown>> | undefined, req: IncomingMessage | undefined): unknown {
  const has = (o: Record<string, unknown> | undefined) => o && ['authorization', 'Authorization', 'apiKey', 'x-api-key'].some((k) => o[k] !== undefined);
  if (has(params)) return params;
  const headers = req?.headers;
  if (headers?.authorization || headers?.['x-api-key']) return { authorization: headers.authorization, apiKey: headers['x-api-key'] };
  return params;
}

/** Options of `authenticateConnection`. */
export interface ConnectionAuthentication {
  conn: Connection;
  socket: WebSocket;
  /** The `connectionParams` of `connection_init`. */
  params: Readonly<Record<string, unknown>> | undefined;
  authenticate: (credentials: unknown) => Promise<Authenticated>;
  /** Told when the connection is closed because its credential expired. */
  onExpired: () => void;
  /**
   * How often the credentials are verified again while the connection is open (0: never): a user
   * erased, a key revoked or an owner erased meanwhile closes it with 4403.
   */
  revalidateMs?: number;
  /** Told when the connection is closed because its credentials are no longer accepted. */
  onRevoked?: () => void;
  logger: Logger;
}

/**
 * Authenticates a connection at `connection_init` and arms its expiry (close code 4403); false when
 * its credentials are refused.
 */
export async function authenticateConnection({ conn, socket, params, authenticate, onExpired, revalidateMs = 0, onRevoked = () => {}, logger }: ConnectionAuthentication): Promise<boolean> {
  const request = conn.request;
  conn.request = undefined;
  const credentials = credentialsOf(params, request);
  try {
    const { principal, expiresAt } = await authenticate(credentials);
    conn.principal = principal;
    if (expiresAt !== null) {
      conn.expiry = setTimeout(() => {
        onExpired();
        socket.close(GatewayCloseCode.CredentialsExpired, 'Forbidden: credentials expired');
      }, Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - Date.now())));
    }
    if (revalidateMs > 0 && principal.kind !== 'anonymous') {
      conn.revalidation = setInterval(() => {
        authenticate(credentials).then(
          () => undefined,
          (err: unknown) => {
            // Only a refusal closes the connection; a lookup that cannot be made now (503) is tried again next time.
            if (codeOf(err) !== 'UNAUTHENTICATED') return;
            logger.info({ sub: principal.sub, kind: principal.kind }, 'subscription connection closed: credentials no longer accepted');
            onRevoked();
            socket.close(GatewayCloseCode.CredentialsExpired, 'Forbidden: credentials no longer accepted');
          },
        );
      }, revalidateMs);
      conn.revalidation.unref();
    }
    return true;
  } catch (err) {
    logger.debug({ err }, 'subscription connection refused');
    return false;
  }
}

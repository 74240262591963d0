/**
 * The gateway's direct line to the people subgraph for partner credentials and user status.
 * `verifyApiKey`, `verifyClientCredentials` and `userStatus` are `@inaccessible` in the public
 * graph, so the gateway calls the subgraph itself over HTTP with its own signed internal principal.
 */
import { appError } from '../../platform/errors.js';
import { PRINCIPAL_HEADER, createPrincipalSigner, type Principal } from '../../platform/principal.js';

/** An API client as the people subgraph describes it. */
export interface ApiClientRecord {
  clientId: string;
  name: string;
  scopes: string[];
  ownerId: string | null;
  /** True when an admin granted the scopes (they reach every object); otherwise the client acts for its owner. */
  global: boolean;
  revoked: boolean;
}

/** Whether an id names a user of the people subgraph, and whether that user was erased. */
interface UserStatusRecord {
  exists: boolean;
  erased: boolean;
}

/** What the gateway asks the people subgraph about credentials. */
export interface PeopleDirectory {
  /** The client owning this API key, or null when the key is unknown. */
  verifyApiKey(key: string): Promise<ApiClientRecord | null>;
  /** The client with these credentials, or null when they do not match. */
  verifyClientCredentials(clientId: string, clientSecret: string): Promise<ApiClientRecord | null>;
  /** Whether `userId` names a user, and whether it was erased. */
  userStatus(userId: string): Promise<UserStatusRecord>;
}

/** Options of `createPeopleDirectory`. */
export interface PeopleDirectoryOptions {
  /** The people subgraph's GraphQL URL (a function when it is only known later). */
  url: string | (() => string);
  internalSecret: string;
  timeoutMs?: number;
  /** Correlation id forwarded with each call, when known. */
  correlationId?: () => string | undefined;
}

const CLIENT_FIELDS = 'clientId name scopes ownerId global revoked';
const VERIFY_KEY = `query GatewayVerifyApiKey($key: String!) { verifyApiKey(key: $key) { ${CLIENT_FIELDS} } }`;
const VERIFY_CLIENT = `query GatewayVerifyClientCredentials($clientId: String!, $clientSecret: String!) { verifyClientCredentials(clientId: $clientId, clientSecret: $clientSecret) { ${CLIENT_FIELDS} } }`;
const USER_STATUS = 'query GatewayUserStatus($id: ID!) { userStatus(id: $id) { exists erased } }';

function unavailable(details: string): Error {
  return appError('SERVICE_UNAVAILABLE', 'Credentials cannot be checked right now', { details });
}

/** Checks the subgraph's answer; anything unexpected is an upstream failure, never a pass. */
function toRecord(value: unknown): ApiClientRecord | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') throw unavailable('the people service answered with an unexpected shape');
  const v = value as Record<string, unknown>;
  if (typeof v.clientId !== 'string' || !Array.isArray(v.scopes) || typeof v.revoked !== 'boolean') {
    throw unavailable('the people service answered with an unexpected shape');
  }
  return {
    clientId: v.clientId,
    name: typeof v.name === 'string' ? v.name : v.clientId,
    scopes: v.scopes.filter((s): s is string => typeof s === 'string'),
    ownerId: typeof v.ownerId === 'string' ? v.ownerId : null,
    // Absent on an answer that predates the field: the client is then owner-bound.
    global: v.global === true,
    revoked: v.revoked,
  };
}

function toStatus(value: unknown): UserStatusRecord {
  const v = (value ?? {}) as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || typeof v.exists !== 'boolean' || typeof v.erased !== 'boolean') {
    throw unavailable('the people service answered with an unexpected shape');
  }
  return { exists: v.exists, erased: v.erased };
}

/** Creates the client. Each call carries a short-lived signed internal principal. */
export function createPeopleDirectory(opts: PeopleDirectoryOptions): PeopleDirectory {
  const { url, internalSecret, timeoutMs = 5000, correlationId = () => undefined } = opts;
  // One principal, re-signed every 12 s (a fifth of its 60 s lifetime).
  const signer = createPrincipalSigner({ secret: internalSecret, ttlSeconds: 60, maxEntries: 1 });
  const gateway: Principal = { kind: 'internal', sub: 'gateway', scopes: ['admin'], roles: [] };

  async function call(query: string, variables: Record<string, string>, field: string): Promise<unknown> {
    const principal = await signer.sign(gateway);
    const cid = correlationId();
    let res: Response;
    try {
      res = await fetch(typeof url === 'function' ? url() : url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [PRINCIPAL_HEADER]: principal, ...(cid ? { 'x-correlation-id': cid } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw unavailable(`the people service is unreachable (${err instanceof Error ? err.message : String(err)})`);
    }
    const body = (await res.json().catch(() => null)) as { data?: Record<string, unknown> | null; errors?: unknown[] } | null;
    if (!res.ok || !body || body.errors?.length || !body.data) {
      throw unavailable(`the people service answered ${res.status}${body?.errors?.length ? ' with errors' : ''}`);
    }
    return body.data[field];
  }

  return {
    verifyApiKey: async (key) => toRecord(await call(VERIFY_KEY, { key }, 'verifyApiKey')),
    verifyClientCredentials: async (clientId, clientSecret) => toRecord(await call(VERIFY_CLIENT, { clientId, clientSecret }, 'verifyClientCredentials')),
    userStatus: async (userId) => toStatus(await call(USER_STATUS, { id: userId }, 'userStatus')),
  };
}

/**
 * How one subgraph asks another for entities it references (events asks people whether an attendee
 * exists; payments asks events about a registration) before it writes. Calls go straight to the
 * peer subgraph over HTTP, signed with an internal principal naming the calling subgraph, with a
 * timeout; a peer that cannot answer is SERVICE_UNAVAILABLE, never a pass.
 *
 * The runner builds one client per subgraph (`createPeers`) and hands it to the module in
 * `settings.peers`; the module reads it with `peersFrom`.
 */
import { appError } from '../../platform/errors.js';
import { CORRELATION_HEADER } from '../../platform/http.js';
import { PRINCIPAL_HEADER, createPrincipalSigner, type Principal } from '../../platform/principal.js';
import type { SubgraphName } from '../../platform/config.js';

/** Where a peer answers: a URL, or a function answering it (for peers started on ephemeral ports). */
export type PeerUrl = string | (() => string | undefined);

/** Who calls, with which secret, where each peer answers, how long a call may take. */
export interface PeersOptions {
  /** The calling subgraph; the internal principal's subject. */
  self: string;
  /** Shared with the peers to sign the principal. */
  internalSecret: string;
  /** The GraphQL URL of each peer this subgraph may call. */
  urls: Partial<Record<SubgraphName, PeerUrl>>;
  /** How long one call may take (default 5000 ms). */
  timeoutMs?: number;
}

/** Per-call options. */
export interface PeerCallOptions {
  /** Forwarded as X-Correlation-ID, so the peer's logs join the caller's. */
  correlationId?: string;
}

/** A client for the peers of one subgraph. */
export interface Peers {
  /**
   * Resolves entities of `typename` at `peer` through `_entities`, selecting `fields` (e.g.
   * `id erasedAt`). Answers one entry per id, in order; null where the peer has no such entity.
   */
  entities<T extends Record<string, unknown>>(peer: SubgraphName, typename: string, ids: readonly string[], fields: string, opts?: PeerCallOptions): Promise<Array<T | null>>;
  /** Runs one operation at `peer` and answers its `data`. */
  query<T extends Record<string, unknown>>(peer: SubgraphName, query: string, variables?: Record<string, unknown>, opts?: PeerCallOptions): Promise<T>;
}

const TYPENAME_RE = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** SERVICE_UNAVAILABLE naming the peer that could not answer. */
function peerUnavailable(peer: string, why: string): Error {
  return appError('SERVICE_UNAVAILABLE', `The ${peer} service cannot be reached right now; nothing was changed, retry later`, { details: `the ${peer} service ${why}` });
}

/** Creates the client. Each call carries a short-lived signed internal principal. */
export function createPeers(opts: PeersOptions): Peers {
  const { self, internalSecret, urls, timeoutMs = 5000 } = opts;
  // One principal, re-signed every 12 s (a fifth of its 60 s lifetime).
  const signer = createPrincipalSigner({ secret: internalSecret, ttlSeconds: 60, maxEntries: 1 });
  const internal: Principal = { kind: 'internal', sub: self, scopes: [], roles: [] };

  function urlOf(peer: SubgraphName): string {
    const configured = urls[peer];
    const url = typeof configured === 'function' ? configured() : configured;
    if (!url) throw peerUnavailable(peer, 'has no configured URL');
    return url;
  }

  async function query<T extends Record<string, unknown>>(peer: SubgraphName, text: string, variables: Record<string, unknown> = {}, call: PeerCallOptions = {}): Promise<T> {
    const url = urlOf(peer);
    const principal = await signer.sign(internal);
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [PRINCIPAL_HEADER]: principal, ...(call.correlationId ? { [CORRELATION_HEADER]: call.correlationId } : {}) },
        body: JSON.stringify({ query: text, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
      throw peerUnavailable(peer, timedOut ? `did not answer within ${timeoutMs} ms` : 'is unreachable');
    }
    const body = (await res.json().catch(() => null)) as { data?: unknown; errors?: unknown[] } | null;
    if (!res.ok || !body) throw peerUnavailable(peer, `answered HTTP ${res.status}`);
    if (body.errors?.length) throw peerUnavailable(peer, 'answered with errors');
    if (!body.data || typeof body.data !== 'object') throw peerUnavailable(peer, 'answered without data');
    return body.data as T;
  }

  return {
    query,
    async entities<T extends Record<string, unknown>>(peer: SubgraphName, typename: string, ids: readonly string[], fields: string, call: PeerCallOptions = {}): Promise<Array<T | null>> {
      if (!TYPENAME_RE.test(typename)) throw new TypeError(`not a type name: ${typename}`);
      if (ids.length === 0) return [];
      const text = `query PeerEntities($r: [_Any!]!) { _entities(representations: $r) { ... on ${typename} { ${fields} } } }`;
      const data = await query<{ _entities?: unknown }>(peer, text, { r: ids.map((id) => ({ __typename: typename, id })) }, call);
      const list = data._entities;
      if (!Array.isArray(list) || list.length !== ids.length) throw peerUnavailable(peer, 'answered with an unexpected shape');
      return list.map((e) => (e && typeof e === 'object' ? (e as T) : null));
    },
  };
}

/** The peers client a runner put into a module's settings (`settings.peers`), or null when none. */
export function peersFrom(settings: Record<string, unknown> | undefined): Peers | null {
  const value = settings?.peers as Partial<Peers> | undefined;
  return value && typeof value.entities === 'function' && typeof value.query === 'function' ? (value as Peers) : null;
}

/** A client for when no peers are configured: every call is SERVICE_UNAVAILABLE, so writes fail closed. */
export const NO_PEERS: Peers = {
  entities: (peer) => Promise.reject(peerUnavailable(peer, 'is not configured for this process')),
  query: (peer) => Promise.reject(peerUnavailable(peer, 'is not configured for this process')),
};

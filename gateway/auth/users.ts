/**
 * The user behind a credential, checked with the people subgraph (`Query.userStatus`): a user
 * token whose subject is not a user, or is an erased user, is refused with 401 UNAUTHENTICATED, and
 * so is a partner whose owner is. Answers are trusted for `ttlMs` (USER_STATUS_CACHE_TTL_MS,
 * ≤ 60 s, so an erasure takes effect at every gateway within that time); concurrent lookups of one
 * user share one call. When the people subgraph cannot be asked the answer is 503
 * SERVICE_UNAVAILABLE, never remembered.
 */
import { LRUCache } from 'lru-cache';
import { appError } from '../../platform/errors.js';
import type { Principal } from '../../platform/principal.js';
import type { PeopleDirectory } from './people.js';

/** Checks that the user behind a principal exists and is not erased. */
export interface UserStatusVerifier {
  /**
   * Resolves when the user the principal is (users) or acts for (partners: `clientOwnerId`, else
   * the principal's `ownerId`) exists and is not erased. Anonymous and internal callers, and
   * partners without an owner, pass. Throws UNAUTHENTICATED, or SERVICE_UNAVAILABLE.
   */
  verify(principal: Principal, clientOwnerId?: string): Promise<void>;
}

/** Options of `createUserStatusVerifier`. */
export interface UserStatusVerifierOptions {
  directory: PeopleDirectory;
  /** How long an answer is trusted; 0 asks every time. */
  ttlMs: number;
  /** Users remembered (least recently used go first). Default 100 000. */
  maxEntries?: number;
  now?: () => number;
}

type UserState = 'active' | 'erased' | 'unknown';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;

function refused(details: string): Error {
  return appError('UNAUTHENTICATED', 'The credentials are not valid', { details });
}

/** Creates the verifier with its own cache. */
export function createUserStatusVerifier(opts: UserStatusVerifierOptions): UserStatusVerifier {
  const { directory, ttlMs, maxEntries = 100_000, now = Date.now } = opts;
  const cache = new LRUCache<string, UserState>({ max: maxEntries, perf: { now }, ttlResolution: 0 });
  const inFlight = new Map<string, Promise<UserState>>();

  async function lookup(key: string): Promise<UserState> {
    const status = await directory.userStatus(key);
    const state: UserState = !status.exists ? 'unknown' : status.erased ? 'erased' : 'active';
    if (ttlMs > 0) cache.set(key, state, { ttl: ttlMs });
    return state;
  }

  function stateOf(userId: string): Promise<UserState> {
    const key = userId.toLowerCase();
    const hit = cache.get(key);
    if (hit) return Promise.resolve(hit);
    let pending = inFlight.get(key);
    if (!pending) {
      pending = lookup(key).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  }

  async function requireActive(userId: string | null | undefined, subject: string, unknownDetails: string): Promise<void> {
    if (!userId || !OBJECT_ID.test(userId)) throw refused(unknownDetails);
    const state = await stateOf(userId);
    if (state === 'erased') throw refused(`${subject} has been erased`);
    if (state === 'unknown') throw refused(unknownDetails);
  }

  return {
    async verify(principal, clientOwnerId) {
      if (principal.kind === 'user') return requireActive(principal.sub, 'the user', 'the token subject is not a known user');
      if (principal.kind !== 'partner') return;
      const owner = clientOwnerId ?? principal.ownerId;
      if (owner !== undefined) return requireActive(owner, "the client's owner", "the client's owner is not a known user");
    },
  };
}

/**
 * Partner API keys, verified through the people subgraph behind a small cache: a verified key is
 * trusted for at most `ttlMs` (≤ 60 s, so a revocation takes effect within a minute), an unknown or
 * revoked key is remembered as refused for `negativeTtlMs`, and concurrent checks of one key share
 * one upstream call. Keys are kept only as SHA-256 digests.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { appError } from '../../platform/errors.js';
import type { Principal } from '../../platform/principal.js';
import { isScope } from '../shield/scopes.js';
import type { Authenticated } from './jwt.js';
import type { ApiClientRecord, PeopleDirectory } from './people.js';

/** Turns a partner API key into its principal. */
export interface ApiKeyVerifier {
  /** The partner behind the key; throws UNAUTHENTICATED for an unknown or revoked key. */
  verify(key: string): Promise<Authenticated>;
}

/** Options of `createApiKeyVerifier`: the directory to ask, and how long answers are trusted. */
export interface ApiKeyVerifierOptions {
  directory: PeopleDirectory;
  ttlMs: number;
  negativeTtlMs: number;
  /** Keys remembered (least recently used go first). Default 10 000. */
  maxEntries?: number;
  now?: () => number;
}

type Entry = { principal: Principal | null; ownerId: string | null; reason: string };

/**
 * The partner principal of an API client: it acts for its owner (`ownerId`) unless an admin
 * granted its scopes.
 */
export function partnerPrincipal(client: ApiClientRecord): Principal {
  const ownerId = !client.global && client.ownerId ? client.ownerId : undefined;
  return { kind: 'partner', sub: client.clientId, clientId: client.clientId, scopes: client.scopes.filter(isScope), roles: [], ...(ownerId ? { ownerId } : {}) };
}

/** Creates the verifier with its own cache. */
export function createApiKeyVerifier(opts: ApiKeyVerifierOptions): ApiKeyVerifier {
  const { directory, ttlMs, negativeTtlMs, maxEntries = 10_000, now = Date.now } = opts;
  const cache = new LRUCache<string, Entry>({ max: maxEntries, perf: { now }, ttlResolution: 0 });
  const inFlight = new Map<string, Promise<Entry>>();

  async function lookup(key: string, digest: string): Promise<Entry> {
    const client = await directory.verifyApiKey(key);
    const entry: Entry = !client
      ? { principal: null, ownerId: null, reason: 'the API key is not known' }
      : client.revoked
        ? { principal: null, ownerId: null, reason: 'the API key has been revoked' }
        : { principal: partnerPrincipal(client), ownerId: client.ownerId, reason: '' };
    const ttl = entry.principal ? ttlMs : negativeTtlMs;
    if (ttl > 0) cache.set(digest, entry, { ttl });
    return entry;
  }

  return {
    async verify(key) {
      if (key.length < 8 || key.length > 512) throw appError('UNAUTHENTICATED', 'The API key is not valid', { details: 'the API key is malformed' });
      const digest = createHash('sha256').update(key).digest('hex');
      let entry = cache.get(digest);
      if (!entry) {
        let pending = inFlight.get(digest);
        if (!pending) {
          pending = lookup(key, digest).finally(() => inFlight.delete(digest));
          inFlight.set(digest, pending);
        }
        entry = await pending;
      }
      if (!entry.principal) throw appError('UNAUTHENTICATED', 'The API key is not valid', { details: entry.reason });
      return { principal: entry.principal, expiresAt: null, ...(entry.ownerId ? { clientOwnerId: entry.ownerId } : {}) };
    },
  };
}

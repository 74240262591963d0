/**
 * Partner API clients: creation (secrets returned once), scope changes, revocation, listing, and
 * verification of API keys and client credentials for the gateway (internal callers only).
 *
 * Who may grant what: a credential never carries a scope its creator does not hold. An organizer
 * grants only scopes its own token holds, and the client acts for that organizer (owner-bound); a
 * partner client creating a client grants only scopes it holds itself, and the new client has the
 * same owner (and the same reach); an admin grants any partner scope, and the client's scopes then
 * reach every object (`global`). The rules themselves are in access.ts.
 */
import type { Types } from 'mongoose';
import { appError, badInput, notFound } from '../../platform/errors.js';
import { requireAuthenticated } from '../kit/authz.js';
import { toObjectId } from '../kit/ids.js';
import { paginate, type Connection as Page, type PageArgs } from '../kit/pagination.js';
import type { Principal } from '../../platform/principal.js';
import { requireString, withDbErrors } from '../kit/input.js';
import {
  grantOf,
  grantsAnyScope,
  requireActsForClientOwner,
  requireApiClientListScope,
  requireChangeApiClient,
  requireCreateApiClient,
  requireGrantable,
  requireRevokeApiClient,
  requireVerifyCredentials,
  type Grant,
} from './access.js';
import { CREDENTIAL_CHECK_COMMENT, type ActorService } from './actors.js';
import { hashSecret, keyPrefixOf, newCredentials, parseApiKey, secretMatches } from './credentials.js';
import type { ApiClientDoc, PeopleModels } from './models.js';

/**
 * Scopes a partner client may be granted (`schema:read` lets it introspect the API). `admin`,
 * `people:write` and the payment-changing scopes never are.
 */
export const PARTNER_SCOPES = [
  'events:read',
  'events:write',
  'registrations:read',
  'registrations:write',
  'checkins:write',
  'people:read',
  'payments:read',
  'integrations:read',
  'integrations:write',
  'schema:read',
] as const;

/** What the gateway learns about a verified credential. */
export interface ApiClientPrincipal {
  clientId: string;
  name: string;
  scopes: string[];
  /** The user the client belongs to. */
  ownerId: string;
  /** True when an admin granted the scopes (they reach every object); otherwise the client acts for its owner. */
  global: boolean;
  revoked: boolean;
}

function toPrincipal(c: ApiClientDoc): ApiClientPrincipal {
  const revoked = c.revokedAt !== null && c.revokedAt !== undefined;
  return { clientId: c.clientId, name: c.name, scopes: revoked ? [] : c.scopes, ownerId: c.ownerId.toHexString(), global: c.global === true, revoked };
}

function scopeList(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw badInput('input.scopes', 'at least one scope is required');
  value.forEach((s, i) => {
    if (typeof s !== 'string' || !(PARTNER_SCOPES as readonly string[]).includes(s)) {
      throw badInput(`input.scopes.${i}`, `unknown or not grantable scope '${String(s).slice(0, 64)}'; one of ${PARTNER_SCOPES.join(', ')}`);
    }
  });
  return [...new Set(value as string[])];
}

/** What the API client service works with. */
export interface ApiClientServiceOptions {
  models: PeopleModels;
  /** Checks that the users behind callers and owners may still act. */
  actors: ActorService;
}

/** The API client service over the people models. */
export function createApiClientService({ models: m, actors }: ApiClientServiceOptions) {
  /**
   * The grantor of a new client: an organizer or admin user (the owner), or a partner client
   * (whose owner becomes the owner). Erased or unknown users and revoked clients are refused.
   */
  async function grantorOf(p: Principal): Promise<Grant & { ownerId: Types.ObjectId }> {
    requireAuthenticated(p);
    if (p.kind === 'user') await actors.requireActiveUser(p.sub, 'user');
    requireCreateApiClient(p);
    if (p.kind === 'user') return { ownerId: toObjectId(p.sub), ...grantOf(p) };
    const caller = p.clientId ? await m.ApiClient.findOne({ clientId: p.clientId }).lean<ApiClientDoc>().exec() : null;
    if (!caller || caller.revokedAt) throw appError('UNAUTHENTICATED', 'The credentials are not valid', { details: 'the calling client is not known or has been revoked' });
    requireActsForClientOwner(p, caller);
    await actors.requireActiveUser(caller.ownerId, 'owner');
    return { ownerId: caller.ownerId, ...grantOf(p, caller) };
  }

  return {
    /**
     * Creates a client: owned by the calling user (organizers and admins), or by the calling
     * partner client's owner. Its scopes must be held by the caller (admins aside).
     */
    async create(p: Principal, input: Record<string, unknown>): Promise<{ client: ApiClientDoc; apiKey: string; clientSecret: string }> {
      const grantor = await grantorOf(p);
      const name = requireString(input.name, 'input.name', { max: 200 });
      const scopes = scopeList(input.scopes);
      requireGrantable(input.scopes, scopes, grantor);
      const { ownerId, global } = grantor;
      const cred = newCredentials();
      const key = hashSecret(cred.apiKey);
      const secret = hashSecret(cred.clientSecret);
      const doc = await withDbErrors(() =>
        m.ApiClient.create({
          name,
          ownerId,
          scopes,
          global,
          clientId: cred.clientId,
          keyId: cred.keyId,
          keyPrefix: keyPrefixOf(cred.apiKey),
          keySalt: key.salt,
          keyHash: key.hash,
          secretSalt: secret.salt,
          secretHash: secret.hash,
        }),
      );
      return { client: doc.toObject(), apiKey: cred.apiKey, clientSecret: cred.clientSecret };
    },

    /**
     * Changes a client's name or scopes; the owner or an admin. An owner grants only scopes its
     * own token holds, and the client is then owner-bound; an admin grants any partner scope and
     * leaves the client's reach as it was.
     */
    async update(p: Principal, id: unknown, input: Record<string, unknown>): Promise<ApiClientDoc> {
      const _id = toObjectId(id, 'id');
      await actors.requireActive(p);
      const client = await m.ApiClient.findById(_id).lean<ApiClientDoc>().exec();
      if (!client) throw notFound('ApiClient', String(id));
      requireChangeApiClient(p, client);
      if (client.revokedAt) throw appError('INVALID_STATE_TRANSITION', 'A revoked client cannot be changed', { target: 'id', details: `ApiClient '${String(id)}' has been revoked` });
      const set: Record<string, unknown> = {};
      if (input.name !== undefined && input.name !== null) set.name = requireString(input.name, 'input.name', { max: 200 });
      if (input.scopes !== undefined && input.scopes !== null) {
        set.scopes = scopeList(input.scopes);
        if (!grantsAnyScope(p)) {
          requireGrantable(input.scopes, set.scopes as string[], { held: p.scopes, who: 'You' });
          set.global = false;
        }
      }
      if (Object.keys(set).length === 0) return client;
      const updated = await withDbErrors(() => m.ApiClient.findOneAndUpdate({ _id, revokedAt: null }, { $set: set }, { returnDocument: 'after', runValidators: true }).lean<ApiClientDoc>().exec());
      if (!updated) throw appError('INVALID_STATE_TRANSITION', 'A revoked client cannot be changed', { target: 'id', details: `ApiClient '${String(id)}' has been revoked` });
      return updated;
    },

    /** Revokes a client (idempotent); the owner or an admin. */
    async revoke(p: Principal, id: unknown): Promise<ApiClientDoc> {
      const _id = toObjectId(id, 'id');
      await actors.requireActive(p);
      const client = await m.ApiClient.findById(_id).lean<ApiClientDoc>().exec();
      if (!client) throw notFound('ApiClient', String(id));
      requireRevokeApiClient(p, client);
      if (client.revokedAt) return client;
      const updated = await m.ApiClient.findOneAndUpdate({ _id, revokedAt: null }, { $set: { revokedAt: new Date() } }, { returnDocument: 'after' }).lean<ApiClientDoc>().exec();
      return updated ?? (await m.ApiClient.findById(_id).lean<ApiClientDoc>().exec())!;
    },

    /** The caller's clients; admins see all. */
    async list(p: Principal, page: PageArgs): Promise<Page<ApiClientDoc>> {
      return paginate(m.ApiClient, { filter: requireApiClientListScope(p), page });
    },

    /** Resolves an API key; null when unknown or wrong. Revoked clients come back with `revoked` and no scopes. */
    async verifyApiKey(p: Principal, key: unknown): Promise<ApiClientPrincipal | null> {
      requireVerifyCredentials(p);
      if (typeof key !== 'string') return null;
      const parsed = parseApiKey(key);
      if (!parsed) return null;
      const client = await m.ApiClient.findOne({ keyId: parsed.keyId }).comment(CREDENTIAL_CHECK_COMMENT).lean<ApiClientDoc>().exec();
      if (!client || !secretMatches(key, client.keySalt, client.keyHash)) return null;
      return toPrincipal(client);
    },

    /** Checks OAuth2 client credentials; null when unknown or wrong. */
    async verifyClientCredentials(p: Principal, clientId: unknown, clientSecret: unknown): Promise<ApiClientPrincipal | null> {
      requireVerifyCredentials(p);
      if (typeof clientId !== 'string' || typeof clientSecret !== 'string' || clientId.length > 200 || clientSecret.length > 500) return null;
      const client = await m.ApiClient.findOne({ clientId }).comment(CREDENTIAL_CHECK_COMMENT).lean<ApiClientDoc>().exec();
      if (!client || !secretMatches(clientSecret, client.secretSalt, client.secretHash)) return null;
      return toPrincipal(client);
    },
  };
}

/** Partner API clients: create, change, revoke, list, verify credentials. */
export type ApiClientService = ReturnType<typeof createApiClientService>;

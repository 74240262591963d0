/**
 * Partner API clients: creation (secrets returned once), revocation, listing, and verification of
 * API keys and client credentials for the gateway (internal callers only).
 */
import { appError, badInput, notFound } from '../kit/errors.js';
import { isAdmin, isInternal, requireAllowed, requireAuthenticated } from '../kit/authz.js';
import { maybeObjectId, toObjectId } from '../kit/ids.js';
import { paginate, type Connection as Page, type PageArgs } from '../kit/pagination.js';
import type { Principal } from '../kit/principal.js';
import { requireString, withDbErrors } from '../kit/input.js';
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
  ownerId: string;
  revoked: boolean;
}

function toPrincipal(c: ApiClientDoc): ApiClientPrincipal {
  const revoked = c.revokedAt !== null && c.revokedAt !== undefined;
  return { clientId: c.clientId, name: c.name, scopes: revoked ? [] : c.scopes, ownerId: c.ownerId.toHexString(), revoked };
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

function requireInternalCaller(p: Principal): void {
  if (!isInternal(p)) throw appError('FORBIDDEN', undefined, { details: 'Credential verification is for internal callers only' });
}

/** The API client service over the people models. */
export function createApiClientService(m: PeopleModels) {
  return {
    /** Creates a client owned by the calling user (organizers and admins). */
    async create(p: Principal, input: Record<string, unknown>): Promise<{ client: ApiClientDoc; apiKey: string; clientSecret: string }> {
      requireAuthenticated(p);
      const ownerId = p.kind === 'user' ? maybeObjectId(p.sub) : null;
      requireAllowed(p, ownerId !== null && (isAdmin(p) || p.roles.includes('organizer')), 'Only organizers and admins may create API clients');
      const name = requireString(input.name, 'input.name', { max: 200 });
      const scopes = scopeList(input.scopes);
      const cred = newCredentials();
      const key = hashSecret(cred.apiKey);
      const secret = hashSecret(cred.clientSecret);
      const doc = await withDbErrors(() =>
        m.ApiClient.create({
          name,
          ownerId: ownerId!,
          scopes,
          clientId: cred.clientId,
          keyId: cred.keyId,
          keyPrefix: keyPrefixOf(cred.apiKey),
          keySalt: key.salt,
          keyHash: key.hash,
          secretSalt: secret.salt,
          secretHash: secret.hash,
        }),
      );
      return { client: doc.toObject() as ApiClientDoc, apiKey: cred.apiKey, clientSecret: cred.clientSecret };
    },

    /** Revokes a client (idempotent); the owner or an admin. */
    async revoke(p: Principal, id: unknown): Promise<ApiClientDoc> {
      const _id = toObjectId(id, 'id');
      const client = await m.ApiClient.findById(_id).lean<ApiClientDoc>().exec();
      if (!client) throw notFound('ApiClient', String(id));
      requireAllowed(p, isAdmin(p) || isInternal(p) || (p.kind === 'user' && p.sub === client.ownerId.toHexString()), 'Only the owner or an admin may revoke this client');
      if (client.revokedAt) return client;
      const updated = await m.ApiClient.findOneAndUpdate({ _id, revokedAt: null }, { $set: { revokedAt: new Date() } }, { returnDocument: 'after' }).lean<ApiClientDoc>().exec();
      return updated ?? (await m.ApiClient.findById(_id).lean<ApiClientDoc>().exec())!;
    },

    /** The caller's clients; admins see all. */
    async list(p: Principal, page: PageArgs): Promise<Page<ApiClientDoc>> {
      requireAuthenticated(p);
      if (isAdmin(p) || isInternal(p)) return paginate(m.ApiClient, { page });
      const ownerId = p.kind === 'user' ? maybeObjectId(p.sub) : null;
      requireAllowed(p, ownerId !== null, 'Only users own API clients');
      return paginate(m.ApiClient, { filter: { ownerId: ownerId! }, page });
    },

    /** Resolves an API key; null when unknown or wrong. Revoked clients come back with `revoked` and no scopes. */
    async verifyApiKey(p: Principal, key: unknown): Promise<ApiClientPrincipal | null> {
      requireInternalCaller(p);
      if (typeof key !== 'string') return null;
      const parsed = parseApiKey(key);
      if (!parsed) return null;
      const client = await m.ApiClient.findOne({ keyId: parsed.keyId }).lean<ApiClientDoc>().exec();
      if (!client || !secretMatches(key, client.keySalt, client.keyHash)) return null;
      return toPrincipal(client);
    },

    /** Checks OAuth2 client credentials; null when unknown or wrong. */
    async verifyClientCredentials(p: Principal, clientId: unknown, clientSecret: unknown): Promise<ApiClientPrincipal | null> {
      requireInternalCaller(p);
      if (typeof clientId !== 'string' || typeof clientSecret !== 'string' || clientId.length > 200 || clientSecret.length > 500) return null;
      const client = await m.ApiClient.findOne({ clientId }).lean<ApiClientDoc>().exec();
      if (!client || !secretMatches(clientSecret, client.secretSalt, client.secretHash)) return null;
      return toPrincipal(client);
    },
  };
}

export type ApiClientService = ReturnType<typeof createApiClientService>;

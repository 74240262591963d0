/**
 * The plugins a gateway process runs with, in pipeline order — one plugin per concern, each in
 * its own file under `gateway/plugins/`:
 *
 *   authentication → safelist → rate limits → shield → audit → OAuth endpoint → subscriptions
 *
 * Authentication sets the principal the others read; the safelist resolves and checks the text
 * before the rate limits charge for it (a refused request costs one unit); the shield's and the
 * audit log's Apollo plugins run once Apollo Server has resolved the operation. This module also
 * owns what several plugins share — the Redis connection of the rate limits, the people
 * directory (API keys, user status, OAuth clients) and the audit log's database — opening it here
 * and closing it once every plugin has stopped. `gateway/main.ts` and `scripts/stack.ts` call it.
 */
import { Redis } from 'ioredis';
import { appError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { createApiKeyVerifier } from './auth/apikey.js';
import { createAuditLog } from './auth/audit.js';
import { createAuthenticator } from './auth/authenticate.js';
import { loadAuthConfig, type AuthConfig } from './auth/config.js';
import { createTokenVerifier } from './auth/jwt.js';
import { TOKEN_PATH } from './auth/oauth.js';
import { createPeopleDirectory } from './auth/people.js';
import { createUserStatusVerifier } from './auth/users.js';
import type { GatewayConfig } from './config.js';
import { createMemoryRateLimiter } from './limits/ratelimit.js';
import { createRedisRateLimiter } from './limits/redis.js';
import { loadSafelist } from './limits/safelist.js';
import { useAudit } from './plugins/audit.js';
import { useAuthentication } from './plugins/authentication.js';
import { useOAuthEndpoint } from './plugins/oauth.js';
import { clientAddress, useRateLimits } from './plugins/rate-limits.js';
import { useSafelist } from './plugins/safelist.js';
import { useShield } from './plugins/shield.js';
import { useSubscriptions } from './plugins/subscriptions.js';
import type { GatewayExtension } from './types.js';

/** Options of `createGatewayPlugins`. */
export interface GatewayPluginsOptions {
  config: GatewayConfig;
  logger: Logger;
  /** Security settings; read from the environment when absent. */
  auth?: AuthConfig;
  /** The database the gateway keeps its own records in (the mutation audit log); default `config.mongodbUri`, none: no audit log. */
  mongoUri?: string;
  /** A Redis connection for rate limits shared by replicas (its owner closes it); by default one to `auth.redisUrl` when set. */
  redis?: Redis;
  /** Prefix of the rate-limit keys in Redis. */
  redisKeyPrefix?: string;
  /**
   * Check users (and partners' owners) with the people subgraph, refusing erased and unknown
   * ones (default true). Only a gateway over a graph without the people subgraph turns it off.
   */
  checkUsers?: boolean;
  /** Serve subscriptions over WebSocket (default true). */
  subscriptions?: boolean;
}

/** Builds the process's plugins (reads the safelist file; Redis and the audit log connect lazily). */
export async function createGatewayPlugins(opts: GatewayPluginsOptions): Promise<GatewayExtension[]> {
  const { config, logger, auth = loadAuthConfig(), mongoUri = config.mongodbUri, redisKeyPrefix, checkUsers = true, subscriptions = true } = opts;

  // Shared connections, closed by `connections.stop()` after every plugin stopped.
  const ownedRedis = !opts.redis && auth.redisUrl ? new Redis(auth.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }) : undefined;
  ownedRedis?.on('error', (err) => logger.debug({ err }, 'redis connection error'));
  const redis = opts.redis ?? ownedRedis;
  const audit = mongoUri ? createAuditLog({ uri: mongoUri, logger }) : undefined;
  let peopleUrl: string | undefined;
  const directory = createPeopleDirectory({
    url: () => {
      if (!peopleUrl) throw appError('SERVICE_UNAVAILABLE', 'Credentials cannot be checked right now', { details: 'no people subgraph is known' });
      return peopleUrl;
    },
    internalSecret: auth.internalSecret,
  });
  const connections: GatewayExtension = {
    name: 'connections',
    onSchemaChange(_schema, prepared) {
      peopleUrl = prepared.subgraphs.find((s) => s.name === 'people')?.url;
    },
    async stop() {
      await audit?.close();
      if (ownedRedis) await ownedRedis.quit().catch(() => ownedRedis.disconnect());
    },
  };

  const users = checkUsers ? createUserStatusVerifier({ directory, ttlMs: auth.userStatusCacheTtlMs, maxEntries: auth.userStatusCacheMaxEntries }) : undefined;
  const authenticator = createAuthenticator({
    tokens: createTokenVerifier(auth.jwt),
    apiKeys: createApiKeyVerifier({ directory, ttlMs: auth.apiKeyCacheTtlMs, negativeTtlMs: auth.apiKeyNegativeTtlMs, maxEntries: auth.apiKeyCacheMaxEntries }),
    users,
  });
  const limiter = redis ? createRedisRateLimiter({ redis, prefix: redisKeyPrefix, logger }) : createMemoryRateLimiter();
  const safelist = auth.safelistPath ? await loadSafelist(auth.safelistPath) : undefined;

  const authentication = useAuthentication({ authenticator });
  const shield = useShield({ introspection: auth.introspection, onDeny: auth.onDeny });
  // First in the list: its stop() runs last.
  const plugins: GatewayExtension[] = [
    connections,
    authentication,
    ...(safelist ? [useSafelist({ safelist })] : []),
    useRateLimits({ limiter, tiers: auth.tiers, limits: auth.limits, trustProxy: auth.trustProxy, meteredPaths: [TOKEN_PATH] }),
    shield,
    ...(audit ? [useAudit({ audit, authenticator })] : []),
    useOAuthEndpoint({ directory, users, jwt: auth.jwt, ttlSeconds: auth.oauthTokenTtlSeconds, logger }),
    ...(subscriptions ? [useSubscriptions({ config, logger, authentication, shield, clientAddress: (req) => clientAddress(req, auth.trustProxy), tuning: { revalidateMs: config.subscriptionRevalidateMs } })] : []),
  ];
  return plugins;
}

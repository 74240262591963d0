/**
 * Security settings of the gateway: token verification, API keys, OAuth client credentials,
 * authorization behaviour, introspection, rate and abuse limits. The only place in the security
 * modules that reads `process.env`; everything is validated into a typed object at start.
 */
import { ConfigError, loadCommonConfig, readEnum, readUrl, type NodeEnv } from '../../platform/config.js';
import { readBool, readInt } from '../config.js';

type Env = Record<string, string | undefined>;

/** The JWT secret of development and tests; refused in production. */
export const DEV_JWT_SECRET = 'dev-jwt-secret-change-me-in-production-0123456789';

/** Algorithms a token may be signed with. `none` and anything else are always refused. */
const SUPPORTED_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
type JwtAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** How bearer tokens are verified, and how the gateway signs the ones it issues. */
export interface JwtConfig {
  /** HS256 secret: verifies HS256 tokens and signs the tokens the gateway issues. */
  secret: string;
  issuer: string;
  audience: string;
  algorithms: JwtAlgorithm[];
  /** Public keys for RS256/ES256 tokens from an identity provider. */
  jwksUrl?: string;
  publicKeyPem?: string;
  /** Seconds of clock difference tolerated on exp/nbf/iat. */
  clockSkewSeconds: number;
}

/** Requests per minute, burst capacity and concurrent requests of one client (spec §8.1). */
export interface TierLimit {
  perMinute: number;
  burst: number;
  concurrency: number;
}

/** A rate-limit tier: one per kind of caller. */
export type Tier = 'anonymous' | 'user' | 'partner' | 'internal';

/** The tiers' limits unless `RATE_LIMIT_<TIER>` says otherwise. */
export const DEFAULT_TIER_LIMITS: Record<Tier, TierLimit> = {
  anonymous: { perMinute: 30, burst: 10, concurrency: 5 },
  user: { perMinute: 60, burst: 20, concurrency: 10 },
  partner: { perMinute: 300, burst: 100, concurrency: 25 },
  internal: { perMinute: 600, burst: 200, concurrency: 50 },
};

/** Per-operation abuse limits. */
export interface OperationLimits {
  maxDepth: number;
  /** Highest operation cost in points (see docs/security.md for the formula). */
  maxCost: number;
  maxAliases: number;
  maxTokens: number;
  /** Points that make one request unit of the rate-limit budget. */
  costUnit: number;
}

/** The gateway's validated security settings. */
export interface AuthConfig {
  nodeEnv: NodeEnv;
  jwt: JwtConfig;
  /** Lifetime of tokens issued at POST /oauth/token. */
  oauthTokenTtlSeconds: number;
  /** How long a verified API key is trusted before asking the people subgraph again (≤ 60 s). */
  apiKeyCacheTtlMs: number;
  /** How long an unknown or revoked key is remembered as refused. */
  apiKeyNegativeTtlMs: number;
  /** API keys the cache holds; past that the least recently used are asked again. */
  apiKeyCacheMaxEntries: number;
  /**
   * How long the people subgraph's answer on a user (exists, erased) is trusted before asking
   * again (≤ 60 s, so an erasure takes effect within that time at every gateway).
   */
  userStatusCacheTtlMs: number;
  /** Users whose status the cache holds; past that the least recently used are asked again. */
  userStatusCacheMaxEntries: number;
  /** `partial`: denied fields become null with an error; `reject`: the whole operation fails. */
  onDeny: 'partial' | 'reject';
  /** `on`: everyone; `scoped`: schema:read (or admin); `off`: nobody. */
  introspection: 'on' | 'off' | 'scoped';
  /** JSON manifest of allowed operations; when set, anything else is refused. */
  safelistPath?: string;
  tiers: Record<Tier, TierLimit>;
  limits: OperationLimits;
  redisUrl?: string;
  /** Take the client address of anonymous callers from X-Forwarded-For (behind a trusted proxy). */
  trustProxy: boolean;
  /** Signs the gateway's own principal for calls to the people subgraph. */
  internalSecret: string;
}

/** Parses `30/10/5` (per minute / burst / concurrency) for a tier override. */
function readTier(env: Env, key: string, fallback: TierLimit): TierLimit {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const parts = raw.split('/').map((p) => Number(p.trim()));
  const [perMinute, burst, concurrency] = parts;
  if (perMinute === undefined || burst === undefined || concurrency === undefined || parts.length !== 3 || parts.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new ConfigError(`${key} must look like 'perMinute/burst/concurrency' with positive integers, got '${raw}'`);
  }
  return { perMinute, burst, concurrency };
}

function readAlgorithms(env: Env, asymmetricConfigured: boolean): JwtAlgorithm[] {
  const raw = env.JWT_ALGORITHMS;
  if (raw === undefined || raw === '') return asymmetricConfigured ? ['HS256', 'RS256', 'ES256'] : ['HS256'];
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const alg of list) {
    if (!(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg)) throw new ConfigError(`JWT_ALGORITHMS may hold ${SUPPORTED_ALGORITHMS.join(', ')}, got '${alg}'`);
  }
  if (!list.includes('HS256')) throw new ConfigError('JWT_ALGORITHMS must include HS256: the gateway signs its OAuth tokens with it');
  return list as JwtAlgorithm[];
}

/** Reads and validates the security settings. Production refuses the development secret. */
export function loadAuthConfig(env: Env = process.env): AuthConfig {
  const common = loadCommonConfig(env);
  const production = common.nodeEnv === 'production';
  const secret = env.JWT_SECRET || (production ? '' : DEV_JWT_SECRET);
  if (!secret || (production && secret === DEV_JWT_SECRET)) throw new ConfigError('JWT_SECRET must be set to a non-default value in production');
  if (secret.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters');
  const jwksUrl = readUrl(env, 'JWKS_URL', ['https:', 'http:']);
  const publicKeyPem = env.JWT_PUBLIC_KEY_PEM ? env.JWT_PUBLIC_KEY_PEM.replace(/\\n/g, '\n') : undefined;
  if (publicKeyPem && !publicKeyPem.includes('-----BEGIN')) throw new ConfigError('JWT_PUBLIC_KEY_PEM must be a PEM-encoded public key');
  const algorithms = readAlgorithms(env, Boolean(jwksUrl || publicKeyPem));
  if (algorithms.some((a) => a !== 'HS256') && !jwksUrl && !publicKeyPem) throw new ConfigError('JWT_ALGORITHMS lists RS256/ES256 but neither JWKS_URL nor JWT_PUBLIC_KEY_PEM is set');

  const apiKeyCacheTtlMs = readInt(env, 'API_KEY_CACHE_TTL_MS', 30_000, 0, 60_000);
  return {
    nodeEnv: common.nodeEnv,
    jwt: {
      secret,
      issuer: env.JWT_ISSUER || 'eventgraph',
      audience: env.JWT_AUDIENCE || 'eventgraph-api',
      algorithms,
      jwksUrl,
      publicKeyPem,
      clockSkewSeconds: readInt(env, 'JWT_CLOCK_SKEW_SECONDS', 30, 0, 300),
    },
    oauthTokenTtlSeconds: readInt(env, 'OAUTH_TOKEN_TTL_SECONDS', 900, 60, 3600),
    apiKeyCacheTtlMs,
    apiKeyNegativeTtlMs: readInt(env, 'API_KEY_NEGATIVE_TTL_MS', 5_000, 0, apiKeyCacheTtlMs || 60_000),
    apiKeyCacheMaxEntries: readInt(env, 'API_KEY_CACHE_MAX_ENTRIES', 10_000, 1, 1_000_000),
    userStatusCacheTtlMs: readInt(env, 'USER_STATUS_CACHE_TTL_MS', 10_000, 0, 60_000),
    userStatusCacheMaxEntries: readInt(env, 'USER_STATUS_CACHE_MAX_ENTRIES', 100_000, 1, 1_000_000),
    onDeny: readEnum(env, 'AUTH_ON_DENY', ['partial', 'reject'], 'partial'),
    introspection: readEnum(env, 'INTROSPECTION', ['on', 'off', 'scoped'], production ? 'scoped' : 'on'),
    safelistPath: env.SAFELIST_PATH || undefined,
    tiers: {
      anonymous: readTier(env, 'RATE_LIMIT_ANONYMOUS', DEFAULT_TIER_LIMITS.anonymous),
      user: readTier(env, 'RATE_LIMIT_USER', DEFAULT_TIER_LIMITS.user),
      partner: readTier(env, 'RATE_LIMIT_PARTNER', DEFAULT_TIER_LIMITS.partner),
      internal: readTier(env, 'RATE_LIMIT_INTERNAL', DEFAULT_TIER_LIMITS.internal),
    },
    limits: {
      maxDepth: readInt(env, 'MAX_DEPTH', 12, 1, 100),
      maxCost: readInt(env, 'MAX_COST', 5000, 1),
      maxAliases: readInt(env, 'MAX_ALIASES', 30, 0),
      maxTokens: readInt(env, 'MAX_TOKENS', 2000, 10),
      costUnit: readInt(env, 'RATE_COST_UNIT', 100, 1),
    },
    redisUrl: common.redisUrl,
    trustProxy: readBool(env, 'TRUST_PROXY', false),
    internalSecret: common.internalSecret,
  };
}

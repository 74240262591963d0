/**
 * Configuration shared by every process part (gateway and subgraphs): the readers that validate
 * environment variables into typed values, the deployment's names and default ports, and the
 * settings common to all. Each process reads `process.env` in one config module built on these; a
 * bad value stops the process with a message naming the variable.
 */

export class ConfigError extends Error {}

export type NodeEnv = 'development' | 'production' | 'test';
export const SUBGRAPH_NAMES = ['events', 'people', 'payments', 'integrations'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const DEFAULT_PORTS: Record<SubgraphName | 'gateway', number> = { gateway: 4000, events: 4001, people: 4002, payments: 4003, integrations: 4004 };
export const DEV_INTERNAL_SECRET = 'dev-internal-secret-change-me-in-production';

export interface CommonConfig {
  nodeEnv: NodeEnv;
  logLevel: string;
  /** Real MongoDB; when unset the embedded localdb is used. */
  mongodbUri?: string;
  /** Where the embedded localdb keeps its files. */
  localdbPath: string;
  /** Shared by gateway and subgraphs to sign and verify principals. */
  internalSecret: string;
  redisUrl?: string;
  host: string;
}

/** Environment variables as read from `process.env`. */
export type Env = Record<string, string | undefined>;

/** Reads a port variable: an integer 0..65535. */
export function readPort(env: Env, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${key} must be a port number (0-65535), got '${raw}'`);
  return n;
}

/** Reads an optional URL variable with the allowed protocols. */
export function readUrl(env: Env, key: string, protocols: string[]): string | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${key} must be a URL, got '${raw}'`);
  }
  if (!protocols.includes(url.protocol)) throw new ConfigError(`${key} must use ${protocols.join(' or ')}, got '${url.protocol}'`);
  return raw;
}

/** Reads one of a fixed set of values. */
export function readEnum<T extends string>(env: Env, key: string, allowed: readonly T[], fallback: T): T {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`${key} must be one of ${allowed.join(', ')}, got '${raw}'`);
  return raw as T;
}

/** Reads the settings shared by every process part. */
export function loadCommonConfig(env: Env = process.env): CommonConfig {
  const nodeEnv = readEnum<NodeEnv>(env, 'NODE_ENV', ['development', 'production', 'test'], 'development');
  const logLevel = readEnum(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], nodeEnv === 'test' ? 'silent' : 'info');
  const internalSecret = env.INTERNAL_SECRET || (nodeEnv === 'production' ? '' : DEV_INTERNAL_SECRET);
  if (!internalSecret) throw new ConfigError('INTERNAL_SECRET must be set in production (at least 32 characters)');
  if (internalSecret.length < 32) throw new ConfigError('INTERNAL_SECRET must be at least 32 characters');
  return {
    nodeEnv,
    logLevel,
    mongodbUri: readUrl(env, 'MONGODB_URI', ['mongodb:', 'mongodb+srv:']),
    localdbPath: env.LOCALDB_PATH || '.data/localdb',
    internalSecret,
    redisUrl: readUrl(env, 'REDIS_URL', ['redis:', 'rediss:']),
    host: env.HOST || '127.0.0.1',
  };
}

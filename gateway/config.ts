/**
 * Gateway settings: the only module of the gateway core that reads `process.env`. Values are
 * validated into a typed object at start; a bad value throws ConfigError naming the variable.
 *
 * Security settings (JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE, JWKS_URL, rate limits, introspection
 * policy, …) are read by `gateway/auth/config.ts` and handed to the plugins (`gateway/plugins.ts`);
 * they are not part of this object.
 */
import { ConfigError, DEFAULT_PORTS, loadCommonConfig, readPort, readUrl, type CommonConfig } from '../platform/config.js';
import type { SubgraphBatching } from './batching.js';

type Env = Record<string, string | undefined>;

const DEFAULT_SUPERGRAPH_PATH = 'schema/supergraph.graphql';
const DEFAULT_MAX_BODY_BYTES = 100_000;
const DEFAULT_SUBGRAPH_TIMEOUT_MS = 30_000;
/** Below Node's http server keep-alive timeout (5 s), the usual subgraph server's. */
const DEFAULT_SUBGRAPH_IDLE_TIMEOUT_MS = 4_000;
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** Prefix of the variables that override a subgraph URL found in the supergraph. */
const SUBGRAPH_URL_PREFIX = 'SUBGRAPH_URL_';

/** The gateway's validated settings (on top of the common ones). */
export interface GatewayConfig extends CommonConfig {
  port: number;
  /** The composed supergraph the gateway serves (watched for changes). */
  supergraphPath: string;
  /**
   * Subgraph URL overrides keyed by the normalised subgraph name (`EVENTS` for `events`, see
   * `subgraphEnvName`), from `SUBGRAPH_URL_<NAME>`.
   */
  subgraphUrls: Record<string, string>;
  /** Origins allowed to call the gateway from a browser; `*` allows any. */
  corsOrigins: string[];
  maxBodyBytes: number;
  subgraphTimeoutMs: number;
  /**
   * How long a pooled connection to a subgraph may stay idle before the gateway closes it
   * (`SUBGRAPH_IDLE_TIMEOUT_MS`, default 4000). Must be below the subgraphs' keep-alive timeout.
   */
  subgraphIdleTimeoutMs: number;
  /** How often an open subscription connection's credentials are checked again (0: never). */
  subscriptionRevalidateMs: number;
  /**
   * The subgraphs that receive the fetches one operation makes to them close together as one
   * batched HTTP request: `SUBGRAPH_BATCHING=off|all|<name>,<name>…`. Undefined when unset,
   * which means off; the one-process stack then batches to its own subgraphs.
   */
  subgraphBatching?: SubgraphBatching;
  /** How long stop() waits for in-flight requests before closing their sockets. */
  shutdownGraceMs: number;
  /** Show the message of unexpected errors to callers (development only by default). */
  exposeErrors: boolean;
  /**
   * Schema introspection when no plugin gates it (development only). A plugin with
   * `gatesIntrospection` (the shield) turns it on and decides per request.
   */
  introspection: boolean;
  /** Let @apollo/gateway send its anonymous usage metrics to Apollo (off unless asked for). */
  apolloTelemetry: boolean;
}

/** Reads an integer variable within bounds. */
export function readInt(env: Env, key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${key} must be an integer between ${min} and ${max}, got '${raw}'`);
  return n;
}

/** Reads a boolean variable: true/false, 1/0, yes/no, on/off. */
export function readBool(env: Env, key: string, fallback: boolean): boolean {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${key} must be true or false, got '${raw}'`);
}

/** The environment-variable form of a subgraph name: `events` → `EVENTS`, `my-graph` → `MY_GRAPH`. */
export function subgraphEnvName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

function readCorsOrigins(env: Env, fallback: string[]): string[] {
  const raw = env.CORS_ORIGINS;
  if (raw === undefined) return fallback;
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const origin of list) {
    if (origin === '*') continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`CORS_ORIGINS must be a comma-separated list of origins (or *), got '${origin}'`);
    }
    if (url.origin !== origin) throw new ConfigError(`CORS_ORIGINS entries must be bare origins like https://app.example.com, got '${origin}'`);
  }
  return list;
}

/** Reads SUBGRAPH_BATCHING: `off`, `all` (`on`/`true` read as `all`), or comma-separated subgraph names. */
function readSubgraphBatching(env: Env): SubgraphBatching | undefined {
  const raw = env.SUBGRAPH_BATCHING;
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = raw.trim().toLowerCase();
  if (['off', 'false', '0', 'no', 'none'].includes(v)) return 'off';
  if (['all', 'on', 'true', '1', 'yes'].includes(v)) return 'all';
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new ConfigError(`SUBGRAPH_BATCHING must be off, all or a comma-separated list of subgraph names, got '${raw}'`);
  }
  return names;
}

function readSubgraphUrls(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(env).sort()) {
    if (!key.startsWith(SUBGRAPH_URL_PREFIX) || key.length === SUBGRAPH_URL_PREFIX.length) continue;
    const url = readUrl(env, key, ['http:', 'https:']);
    if (url) out[subgraphEnvName(key.slice(SUBGRAPH_URL_PREFIX.length))] = url;
  }
  return out;
}

/** Reads and validates the gateway settings. */
export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const common = loadCommonConfig(env);
  const development = common.nodeEnv === 'development';
  return {
    ...common,
    port: readPort(env, 'PORT', DEFAULT_PORTS.gateway),
    supergraphPath: env.SUPERGRAPH_PATH || DEFAULT_SUPERGRAPH_PATH,
    subgraphUrls: readSubgraphUrls(env),
    corsOrigins: readCorsOrigins(env, development ? ['*'] : []),
    maxBodyBytes: readInt(env, 'MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES, 1024),
    subgraphTimeoutMs: readInt(env, 'SUBGRAPH_TIMEOUT_MS', DEFAULT_SUBGRAPH_TIMEOUT_MS, 100, 600_000),
    subgraphIdleTimeoutMs: readInt(env, 'SUBGRAPH_IDLE_TIMEOUT_MS', DEFAULT_SUBGRAPH_IDLE_TIMEOUT_MS, 100, 600_000),
    subscriptionRevalidateMs: readInt(env, 'SUBSCRIPTION_REVALIDATE_MS', 30_000, 0, 3_600_000),
    subgraphBatching: readSubgraphBatching(env),
    shutdownGraceMs: readInt(env, 'SHUTDOWN_GRACE_MS', DEFAULT_SHUTDOWN_GRACE_MS, 0, 600_000),
    exposeErrors: readBool(env, 'EXPOSE_ERRORS', development),
    introspection: development,
    apolloTelemetry: readBool(env, 'APOLLO_TELEMETRY', false),
  };
}

/**
 * @apollo/gateway reads a few switches straight from `process.env` when it is constructed. This
 * sets them from the validated config (usage metrics to Apollo stay off unless APOLLO_TELEMETRY is
 * on), and is called by createGateway before the gateway is built.
 */
export function applyLibraryEnvironment(config: Pick<GatewayConfig, 'apolloTelemetry'>, env: Env = process.env): void {
  if (config.apolloTelemetry) delete env.APOLLO_TELEMETRY_DISABLED;
  else env.APOLLO_TELEMETRY_DISABLED = 'true';
}

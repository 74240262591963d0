/**
 * Integration-test harness: the whole product in-process (localdb in memory, the four subgraphs and
 * the gateway on ephemeral ports), with helpers to mint tokens and send GraphQL over real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { SUBGRAPH_NAMES } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { demoId } from '../../subgraphs/kit/ids.js';
import { loadGatewayConfig, type GatewayConfig } from '../../gateway/config.js';
import { loadAuthConfig } from '../../gateway/auth/config.js';
import { issueToken, type TokenClaims } from '../../gateway/auth/jwt.js';
import { startStack, type Stack } from '../../scripts/stack.js';

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }> };
}

export interface TestStack {
  stack: Stack;
  url: string;
  wsUrl: string;
  /** A gateway token for the given claims (HS256, dev secret). */
  token(claims: Partial<TokenClaims> & { sub: string }): Promise<string>;
  /** POSTs one operation to the gateway. */
  gql<T = any>(query: string, variables?: Record<string, unknown>, opts?: { token?: string; headers?: Record<string, string> }): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

export interface TestStackOptions {
  seed?: boolean;
  env?: Record<string, string>;
  redisUrl?: string;
}

/** Ids of demo users by role, as the seed creates them. */
export const DEMO_USERS = {
  admin: demoId('user', 0).toHexString(),
  organizer: demoId('user', 1).toHexString(),
  speaker: demoId('user', 5).toHexString(),
  attendee: demoId('user', 45).toHexString(),
};

/** Starts the whole product for a test file. */
export async function startTestStack(opts: TestStackOptions = {}): Promise<TestStack> {
  // Batched subgraph requests to the four subgraphs, as `npm start` runs them (an `env` may override).
  const env: Record<string, string> = { NODE_ENV: 'test', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', SUBGRAPH_BATCHING: SUBGRAPH_NAMES.join(','), ...opts.env };
  if (opts.redisUrl) env.REDIS_URL = opts.redisUrl;
  const config: GatewayConfig = loadGatewayConfig(env);
  const auth = loadAuthConfig(env);
  const logger = createLogger('test', config.logLevel);
  const stack = await startStack({
    gatewayConfig: config,
    auth,
    logger,
    monitorCommands: true,
    gatewayPort: 0,
    subgraphPorts: 'ephemeral',
    seed: opts.seed ?? true,
    dbPrefix: `t${randomUUID().slice(0, 8)}`,
    watchSupergraph: false,
  });
  const url = stack.gateway.url;
  return {
    stack,
    url,
    wsUrl: stack.gateway.wsUrl,
    async token(claims) {
      const { token } = await issueToken(auth.jwt, { scopes: [], roles: [], ...claims }, 3600);
      return token;
    },
    async gql(query, variables, o = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const text = await res.text();
      let body: GraphQLResponse['body'];
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`gateway answered ${res.status} with non-JSON: ${text.slice(0, 200)}`);
      }
      return { status: res.status, headers: res.headers, body };
    },
    stop: () => stack.stop(),
  };
}

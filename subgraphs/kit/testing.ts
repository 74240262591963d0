/**
 * Test harness for subgraph integration tests: an in-memory localdb, a module served with
 * `startSubgraphServer` on port 0, GraphQL calls over real HTTP with signed principals, and a
 * log of the database commands the driver sends (command monitoring).
 */
import { createClient } from 'graphql-ws';
import mongoose, { type Connection } from 'mongoose';
import WebSocket from 'ws';
import { startLocalDb } from '../../localdb/index.js';
import { DEV_INTERNAL_SECRET } from '../../platform/config.js';
import type { LiveFeed, LiveRecord } from './live.js';
import { createSubgraphLive } from './live-feed.js';
import { createLogger } from '../../platform/logger.js';
import type { SubgraphDeps, SubgraphModule } from './module.js';
import { PRINCIPAL_HEADER, signPrincipal, type Principal } from '../../platform/principal.js';
import { startSubgraphServer } from './server.js';

/** A GraphQL response as the tests read it. */
export interface GqlResult {
  data?: Record<string, any> | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions: Record<string, any> }>;
}

/** One database command seen by the driver. */
export interface SeenCommand {
  name: string;
  collection: string | undefined;
}

/** A subgraph served for a test, with its connection and the commands it sent. */
export interface TestSubgraph {
  url: string;
  conn: Connection;
  module: SubgraphModule<any>;
  /** Commands sent since the last `commands.length = 0`. */
  commands: SeenCommand[];
  /** POSTs one operation, signed as `principal` (anonymous when omitted). */
  call(query: string, variables?: Record<string, unknown>, principal?: Principal): Promise<GqlResult>;
  /**
   * Starts a subscription over graphql-ws: the connection is signed as internal (as the gateway's
   * is), the operation as `principal` (without one, the connection's internal principal applies).
   * `results` resolves after `count` events, on completion, or with the errors.
   */
  subscribe(query: string, variables: Record<string, unknown>, principal: Principal | undefined, count?: number): Promise<{ results: Promise<GqlResult[]>; close(): Promise<void> }>;
  stop(): Promise<void>;
}

/** A feed with nothing in it: subscriptions end at once (delivery is tested with the real feed). */
const EMPTY_LIVE: LiveFeed = {
  subscribe(): AsyncIterableIterator<LiveRecord> {
    const it: AsyncIterableIterator<LiveRecord> = {
      next: () => Promise.resolve<IteratorResult<LiveRecord>>({ done: true, value: undefined }),
      return: () => Promise.resolve<IteratorResult<LiveRecord>>({ done: true, value: undefined }),
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  },
};

/** A user principal. */
export function userPrincipal(sub: string, { scopes = [] as string[], roles = [] as string[] } = {}): Principal {
  return { kind: 'user', sub, scopes, roles };
}

/** A service-to-service principal. */
export function internalPrincipal(sub = 'gateway'): Principal {
  return { kind: 'internal', sub, scopes: [], roles: [] };
}

/** A partner (API client) principal. */
export function partnerPrincipal(clientId: string, scopes: string[]): Principal {
  return { kind: 'partner', sub: clientId, clientId, scopes, roles: [] };
}

const MODEL_COMMANDS: ReadonlySet<string> = new Set(['find', 'aggregate', 'insert', 'update', 'delete', 'findAndModify', 'count', 'distinct', 'getMore']);

/**
 * Starts localdb in memory, opens a monitored connection, builds the module with `create`, runs
 * `init` (and `seed` when given), and serves it on port 0.
 */
export async function startTestSubgraph(
  name: string,
  create: (deps: SubgraphDeps) => SubgraphModule<any>,
  opts: {
    seed?: (conn: Connection) => Promise<{ seeded: boolean }>;
    /** Use the real live feed (outbox relay + in-process bus) instead of an empty one. */
    liveFeed?: boolean;
    settings?: Record<string, unknown>;
  } = {},
): Promise<TestSubgraph> {
  const db = await startLocalDb({ port: 0 });
  const conn = mongoose.createConnection(db.uri, { dbName: `test_${name}`, autoIndex: true, monitorCommands: true, serverSelectionTimeoutMS: 5000 });
  await conn.asPromise();
  const commands: SeenCommand[] = [];
  conn.getClient().on('commandStarted', (e) => {
    if (!MODEL_COMMANDS.has(e.commandName)) return;
    const coll = (e.command as Record<string, unknown>)[e.commandName];
    commands.push({ name: e.commandName, collection: typeof coll === 'string' ? coll : undefined });
  });
  const logger = createLogger(name, 'silent');
  const liveRuntime = opts.liveFeed ? createSubgraphLive({ conn, logger }) : undefined;
  const module = create({ conn, logger, live: liveRuntime?.live ?? EMPTY_LIVE, settings: opts.settings });
  await module.init();
  if (opts.seed) await opts.seed(conn);
  const server = await startSubgraphServer({ name, schema: module.schema, buildContext: module.buildContext, logger, internalSecret: DEV_INTERNAL_SECRET, routes: module.routes, exposeErrors: true });
  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    conn,
    module,
    commands,
    async call(query, variables = {}, principal) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (principal) headers[PRINCIPAL_HEADER] = await signPrincipal(principal, DEV_INTERNAL_SECRET);
      const res = await fetch(server.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as GqlResult;
    },
    async subscribe(query, variables = {}, principal, count = 1) {
      const connectionPrincipal = await signPrincipal(internalPrincipal(), DEV_INTERNAL_SECRET);
      const signed = principal ? await signPrincipal(principal, DEV_INTERNAL_SECRET) : undefined;
      const client = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, connectionParams: { principal: connectionPrincipal }, retryAttempts: 0 });
      const results: GqlResult[] = [];
      let stop = () => {};
      const done = new Promise<GqlResult[]>((resolve, reject) => {
        stop = client.subscribe<Record<string, any>>(
          { query, variables, extensions: signed ? { principal: signed } : {} },
          {
            next: (value) => {
              results.push(value as GqlResult);
              if (results.length >= count) resolve(results);
            },
            error: (err) => (Array.isArray(err) ? resolve([{ errors: err as GqlResult['errors'] }]) : reject(err instanceof Error ? err : new Error(`subscription failed: ${JSON.stringify(err)}`))),
            complete: () => resolve(results),
          },
        );
      });
      return {
        results: done,
        async close() {
          stop();
          await client.dispose();
        },
      };
    },
    stop() {
      stopping ??= (async () => {
        await server.stop();
        await module.dispose();
        await liveRuntime?.stop();
        await conn.close();
        await db.stop();
      })();
      return stopping;
    },
  };
}

/** The `extensions.code` of each error, in order. */
export function codes(r: GqlResult): string[] {
  return (r.errors ?? []).map((e) => String(e.extensions.code));
}

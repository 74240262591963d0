/**
 * Test harness for subgraph integration tests: an in-memory localdb, a module served with
 * `startSubgraphServer` on port 0, GraphQL calls over real HTTP with signed principals, and a
 * log of the database commands the driver sends (command monitoring).
 */
import mongoose, { type Connection } from 'mongoose';
import { startLocalDb } from '../../localdb/index.js';
import { DEV_INTERNAL_SECRET } from './config.js';
import type { LiveFeed, LiveRecord } from './live.js';
import { createLogger } from './logger.js';
import type { SubgraphDeps, SubgraphModule } from './module.js';
import { PRINCIPAL_HEADER, signPrincipal, type Principal } from './principal.js';
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

export interface TestSubgraph {
  url: string;
  conn: Connection;
  module: SubgraphModule<any>;
  /** Commands sent since the last `commands.length = 0`. */
  commands: SeenCommand[];
  /** POSTs one operation, signed as `principal` (anonymous when omitted). */
  call(query: string, variables?: Record<string, unknown>, principal?: Principal): Promise<GqlResult>;
  stop(): Promise<void>;
}

/** A feed with nothing in it: subscriptions end at once (delivery is tested with the real feed). */
export const EMPTY_LIVE: LiveFeed = {
  subscribe(): AsyncIterableIterator<LiveRecord> {
    const it: AsyncIterableIterator<LiveRecord> = {
      next: async () => ({ done: true, value: undefined }),
      return: async () => ({ done: true, value: undefined }),
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

const MODEL_COMMANDS = new Set(['find', 'aggregate', 'insert', 'update', 'delete', 'findAndModify', 'count', 'distinct', 'getMore']);

/**
 * Starts localdb in memory, opens a monitored connection, builds the module with `create`, runs
 * `init` (and `seed` when given), and serves it on port 0.
 */
export async function startTestSubgraph(
  name: string,
  create: (deps: SubgraphDeps) => SubgraphModule<any>,
  opts: { seed?: (conn: Connection) => Promise<{ seeded: boolean }>; live?: LiveFeed; settings?: Record<string, unknown> } = {},
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
  const module = create({ conn, logger, live: opts.live ?? EMPTY_LIVE, settings: opts.settings });
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
    stop() {
      stopping ??= (async () => {
        await server.stop();
        await module.dispose();
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

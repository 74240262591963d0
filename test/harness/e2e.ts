/**
 * Shared pieces of the end-to-end tests over the whole product: a stack with a signed-in admin,
 * assertions for the spec error shape, database snapshots for "no half-write" checks, and command
 * counting across the four subgraph connections.
 */
import { expect } from 'vitest';
import { SUBGRAPH_NAMES, type SubgraphName } from '../../platform/config.js';
import { DEMO, demoUser } from '../../subgraphs/kit/demo.js';
import { DOCS_BASE, ERROR_CODES, type ErrorCode } from '../../platform/errors.js';
import { CREDENTIAL_CHECK_COMMENT } from '../../subgraphs/people/actors.js';
import { DEMO_USERS, startTestStack, type GraphQLResponse, type TestStack, type TestStackOptions } from './stack.js';

/**
 * The user tier's budget, raised for tests that send a few hundred operations in a minute (the
 * tier stays enforced; only its numbers change: per minute / burst / concurrency).
 */
export const TEST_RATE_LIMITS: Record<string, string> = { RATE_LIMIT_USER: '100000/50000/50' };

type GqlError = NonNullable<GraphQLResponse['body']['errors']>[number];

export interface E2E extends TestStack {
  /** Bearer token of demo user 0, an admin (scope and role `admin`). */
  adminToken: string;
  /** Sends an operation as the admin and answers `data`; fails the test on any error. */
  admin<T = any>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Sends an operation as the admin and answers the whole response. */
  adminRaw(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse>;
}

/** Starts the product for one test file, with the admin's token ready. */
export async function startE2E(opts: TestStackOptions = {}): Promise<E2E> {
  const t = await startTestStack({ ...opts, env: { ...TEST_RATE_LIMITS, ...opts.env } });
  const adminToken = await t.token({ sub: DEMO_USERS.admin, scopes: ['admin'], roles: ['admin'] });
  const adminRaw = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) => t.gql(query, variables, { token: adminToken, headers });
  return {
    ...t,
    adminToken,
    adminRaw,
    async admin(query, variables) {
      const res = await adminRaw(query, variables);
      expect(res.body.errors, `unexpected errors: ${JSON.stringify(res.body.errors)}`).toBeUndefined();
      expect(res.status).toBe(200);
      return res.body.data;
    },
  };
}

/** Asserts the spec §3.7 error shape in `extensions`, with the given code and (when given) target. */
export function expectSpecError(err: GqlError | undefined, code: ErrorCode, target?: string): void {
  expect(err, 'an error was expected').toBeDefined();
  const ext = err!.extensions ?? {};
  expect(ext.code, JSON.stringify(err)).toBe(code);
  if (target !== undefined) expect(ext.target, JSON.stringify(err)).toBe(target);
  expect(typeof ext.message).toBe('string');
  expect(ext.message.length).toBeGreaterThan(0);
  expect(ext.status).toBe(ERROR_CODES[code].status);
  expect(typeof ext.timestamp).toBe('string');
  expect(new Date(ext.timestamp).toISOString()).toBe(ext.timestamp);
  expect(typeof ext.correlationId).toBe('string');
  expect(ext.correlationId.length).toBeGreaterThan(0);
  expect(ext.documentation).toBe(DOCS_BASE + code);
  expect(ext).not.toHaveProperty('stacktrace');
}

/** Document counts of every collection of every subgraph database, keyed `subgraph.collection`. */
export async function collectionCounts(t: TestStack): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of SUBGRAPH_NAMES) {
    const db = t.stack.subgraphs[name].conn.db!;
    const collections = await db.listCollections({}, { nameOnly: true }).toArray();
    for (const { name: coll } of collections) out[`${name}.${coll}`] = await db.collection(coll).countDocuments({});
  }
  return out;
}

/** One document of a subgraph's collection, read straight from its database. */
export function readDoc(t: TestStack, subgraph: SubgraphName, collection: string, id: unknown): Promise<Record<string, unknown> | null> {
  return t.stack.subgraphs[subgraph].conn.db!.collection(collection).findOne({ _id: id as never });
}

/**
 * Commands that read or write model data (not handshakes, sessions or transactions, nor the
 * gateway's credential and user-status checks, which its caches answer or not depending on the clock).
 */
const DATA_COMMANDS = new Set(['find', 'aggregate', 'insert', 'update', 'delete', 'findAndModify', 'count', 'distinct', 'getMore']);
/** Collections the background outbox relay polls on its own timer. */
const BACKGROUND_COLLECTIONS = new Set(['outbox', 'outbox_counters']);

export interface CommandCounter {
  /** Runs `fn` and answers the data commands it caused, per `subgraph.command.collection`. */
  during(fn: () => Promise<unknown>): Promise<{ total: number; byKey: Record<string, number> }>;
  dispose(): void;
}

/** Counts data commands on all four subgraph connections (command monitoring is on in test stacks). */
export function countCommands(t: TestStack): CommandCounter {
  let seen: string[] | null = null;
  const detach: Array<() => void> = [];
  for (const name of SUBGRAPH_NAMES) {
    const client = t.stack.subgraphs[name].conn.getClient();
    const listener = (e: { commandName: string; command: Record<string, unknown> }) => {
      if (!seen || !DATA_COMMANDS.has(e.commandName) || e.command.comment === CREDENTIAL_CHECK_COMMENT) return;
      const coll = e.command[e.commandName];
      const collection = typeof coll === 'string' ? coll : '?';
      if (BACKGROUND_COLLECTIONS.has(collection)) return;
      seen.push(`${name}.${e.commandName}.${collection}`);
    };
    client.on('commandStarted', listener);
    detach.push(() => client.off('commandStarted', listener));
  }
  return {
    async during(fn) {
      seen = [];
      try {
        await fn();
        const byKey: Record<string, number> = {};
        for (const k of seen) byKey[k] = (byKey[k] ?? 0) + 1;
        return { total: seen.length, byKey };
      } finally {
        seen = null;
      }
    },
    dispose: () => detach.forEach((d) => d()),
  };
}

/** Demo user index by id (the seed's 500 users). */
export function demoUserIndexById(): Map<string, number> {
  return new Map(Array.from({ length: DEMO.users }, (_, i) => [demoUser(i).id, i]));
}

/** Follows a Relay connection page by page; `fetchPage` answers one page for a cursor. */
export async function walkPages<N>(
  fetchPage: (after: string | null) => Promise<{ edges: Array<{ cursor: string; node: N }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } }>,
  maxPages = 100,
): Promise<{ nodes: N[]; pages: number; pageSizes: number[] }> {
  const nodes: N[] = [];
  const pageSizes: number[] = [];
  let after: string | null = null;
  for (let pages = 1; pages <= maxPages; pages++) {
    const page = await fetchPage(after);
    nodes.push(...page.edges.map((e) => e.node));
    pageSizes.push(page.edges.length);
    if (page.edges.length > 0) expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor);
    if (!page.pageInfo.hasNextPage) return { nodes, pages, pageSizes };
    expect(page.pageInfo.endCursor, 'a page with a next page has an end cursor').toBeTruthy();
    after = page.pageInfo.endCursor;
  }
  throw new Error(`more than ${maxPages} pages`);
}

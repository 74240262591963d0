/**
 * Runs `npm start` (scripts/start.ts) as a user would, in a child process on free ports with localdb
 * persisted in a given directory, and measures when it first answers a query that spans all four
 * subgraphs. Used by the start-up test and by `npm run bench:start`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { loadAuthConfig } from '../gateway/auth/config.js';
import { issueToken } from '../gateway/auth/jwt.js';
import { SUBGRAPH_NAMES } from '../platform/config.js';
import { demoId } from '../subgraphs/kit/ids.js';

const ROOT = resolve(import.meta.dirname, '..');
export const EVENT_0 = demoId('event', 0).toHexString();
export const ADMIN_ID = demoId('user', 0).toHexString();

/** A query answered by events, people, payments and integrations together. */
export const SPAN_QUERY = `query ($id: ID!) {
  me { name }
  event(id: $id) {
    title
    registrations(first: 2) { totalCount edges { node { attendee { name } payment { status } } } }
    connectors { name }
    syncJobs(first: 1) { totalCount }
  }
}`;

/** Ports free right now (bound to port 0, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((ok, fail) => {
      const s = createServer();
      s.once('error', fail);
      s.listen(0, '127.0.0.1', () => ok(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}

export interface StartTarget {
  env: Record<string, string>;
  url: string;
  token: string;
}

/** Environment, URL and an admin token for one product instance persisted in `dataDir`. */
export async function startTarget(dataDir: string): Promise<StartTarget> {
  const [gateway, ...subgraphs] = await freePorts(1 + SUBGRAPH_NAMES.length);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dataDir,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: String(gateway),
    LOCALDB_PATH: join(dataDir, 'localdb'),
    ...Object.fromEntries(SUBGRAPH_NAMES.map((n, i) => [`${n.toUpperCase()}_PORT`, String(subgraphs[i])])),
  };
  const auth = loadAuthConfig({ NODE_ENV: 'development' });
  const { token } = await issueToken(auth.jwt, { sub: ADMIN_ID, scopes: ['admin'], roles: ['admin'] }, 600);
  return { env, url: `http://127.0.0.1:${gateway}/graphql`, token };
}

export interface Running {
  child: ChildProcess;
  spawnedAt: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

interface SpawnOptions {
  /** Node.js arguments that run the product; default `--import tsx scripts/start.ts` (what `npm start` runs). */
  args?: string[];
  /** Working directory; default the repository root. */
  cwd?: string;
  /** Variables added to the target's environment. */
  env?: Record<string, string>;
}

/** Spawns `scripts/start.ts` (or `opts.args`) with the target's environment. */
export function spawnStart(target: StartTarget, opts: SpawnOptions = {}): Running {
  const { args = ['--import', 'tsx', 'scripts/start.ts'], cwd = ROOT, env = {} } = opts;
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, args, { cwd, env: { ...target.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  return { child, spawnedAt, output: () => out, exited };
}

/**
 * A GraphQL response body. `data` is left untyped on purpose: the start-up test reads the fields
 * it asserts on, as tests may (see eslint.config.js).
 */
export interface GqlBody {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data?: any;
  errors?: unknown[];
}

/** POSTs one operation with the target's admin token. */
export async function gqlAt(target: StartTarget, query: string, variables: Record<string, unknown> = {}): Promise<GqlBody> {
  const res = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${target.token}` }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as GqlBody;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Whether a SPAN_QUERY answer lists the event's connectors, that is the integrations subgraph answered too. */
function listsConnectors(data: unknown): boolean {
  const event = isObject(data) ? data.event : undefined;
  const connectors = isObject(event) ? event.connectors : undefined;
  return Array.isArray(connectors) && connectors.length > 0;
}

/** Polls until the cross-subgraph query answers without errors; answers ms since spawn and the data. */
export async function firstAnswer(target: StartTarget, run: Running, deadlineMs: number): Promise<{ ms: number; data: GqlBody['data'] }> {
  let last: unknown;
  while (Date.now() - run.spawnedAt < deadlineMs) {
    if (run.child.exitCode !== null) throw new Error(`npm start exited with ${run.child.exitCode}:\n${run.output()}`);
    try {
      const body = await gqlAt(target, SPAN_QUERY, { id: EVENT_0 });
      const data: unknown = body.data;
      if (!body.errors && listsConnectors(data)) return { ms: Date.now() - run.spawnedAt, data };
      last = body;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no cross-subgraph answer within ${deadlineMs} ms; last: ${JSON.stringify(last)}\n${run.output()}`);
}

/** Sends SIGTERM and waits for the exit (rejects after `timeoutMs`). */
export async function terminate(run: Running, timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  run.child.kill('SIGTERM');
  const timeout = new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`no exit ${timeoutMs} ms after SIGTERM:\n${run.output()}`)), timeoutMs).unref());
  return Promise.race([run.exited, timeout]);
}

/**
 * `npm start` as a user runs it: the whole product in a child process on free ports with localdb
 * persisted in a temporary directory. It answers a query across all four subgraphs within 10 s of
 * being spawned (checked while the machine has a core to spare; the figure is always printed),
 * stops cleanly on SIGTERM, and on a second start keeps its data without seeding it again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuthConfig } from '../gateway/auth/config.js';
import { issueToken } from '../gateway/auth/jwt.js';
import { SUBGRAPH_NAMES } from '../subgraphs/kit/config.js';
import { DEMO, demoRegistration } from '../subgraphs/kit/demo.js';
import { demoId } from '../subgraphs/kit/ids.js';
import { DEMO_USERS } from './stack.js';

const ROOT = resolve(import.meta.dirname, '..');
/** The acceptance bound: spawn to first cross-subgraph answer. */
const READY_WITHIN_MS = 10_000;
/** How long a start may take at all before the test gives up (a saturated machine is slow, not broken). */
const LIVENESS_MS = 45_000;
const TEST_TIMEOUT_MS = 90_000;
const EVENT_0 = demoId('event', 0).toHexString();

/** Ports free right now (bound to port 0, then released). */
async function freePorts(n: number): Promise<number[]> {
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

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let dataDir: string;
let env: Record<string, string>;
let url: string;
let token: string;
const children = new Set<ChildProcess>();

function start(): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const spawnedAt = Date.now();
  child.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
    if (/eventgraph is up/.test(b.toString())) out += `[up line seen ${Date.now() - spawnedAt} ms after spawn]\n`;
  });
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => child.once('exit', (code, signal) => (children.delete(child), ok({ code, signal }))));
  return { child, output: () => out, exited };
}

/** The product's own start-up figure and when its banner appeared, for the log. */
function startupLines(run: Running): string {
  return (run.output().match(/is up \(\d+ ms\)|\[up line[^\]]*\]/g) ?? []).join(', ');
}

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<{ data?: any; errors?: unknown[] }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

const SPAN = `query ($id: ID!) {
  me { name }
  event(id: $id) {
    title
    registrations(first: 2) { totalCount edges { node { attendee { name } payment { status } } } }
    connectors { name }
    syncJobs(first: 1) { totalCount }
  }
}`;

/** Polls the gateway with the cross-subgraph query until it answers without errors; answers the elapsed time. */
async function firstAnswer(run: Running, since: number, deadlineMs: number): Promise<{ ms: number; data: any }> {
  let last: unknown;
  while (Date.now() - since < deadlineMs) {
    if (run.child.exitCode !== null) throw new Error(`npm start exited with ${run.child.exitCode}:\n${run.output()}`);
    try {
      const body = await gql(SPAN, { id: EVENT_0 });
      if (!body.errors && body.data?.event?.connectors?.length) return { ms: Date.now() - since, data: body.data };
      last = body;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no cross-subgraph answer within ${deadlineMs} ms; last: ${JSON.stringify(last)}\n${run.output()}`);
}

/**
 * Asserts the 10 s acceptance bound when the machine has a core to spare for the product. While
 * other test workers saturate the CPU (load average at or above the core count) the product gets a
 * fraction of it, so the figure is printed and not held against the bound.
 */
function expectReadyInTime(ms: number): void {
  const load = loadavg()[0];
  const cores = availableParallelism();
  if (load < cores) expect(ms, `spawn → first answer at load ${load.toFixed(1)} on ${cores} cores`).toBeLessThanOrEqual(READY_WITHIN_MS);
  else console.log(`the ${READY_WITHIN_MS} ms bound is not checked on this run: load average ${load.toFixed(1)} on ${cores} cores`);
}

/** Counts in every subgraph's database, read through the gateway. */
async function counts() {
  const body = await gql(`query ($id: ID!) {
    events(first: 1) { totalCount }
    event(id: $id) { registrations(first: 1) { totalCount } checkInCount }
    users(first: 1) { totalCount }
    payments(first: 1) { totalCount }
    syncJobs(first: 1) { totalCount }
    connectors(first: 1) { totalCount }
  }`, { id: EVENT_0 });
  expect(body.errors).toBeUndefined();
  const d = body.data;
  return {
    events: d.events.totalCount,
    registrationsOfEvent0: d.event.registrations.totalCount,
    checkInsOfEvent0: d.event.checkInCount,
    users: d.users.totalCount,
    payments: d.payments.totalCount,
    syncJobs: d.syncJobs.totalCount,
    connectors: d.connectors.totalCount,
  };
}

async function stopCleanly(run: Running): Promise<void> {
  run.child.kill('SIGTERM');
  const timeout = new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`no exit 15 s after SIGTERM:\n${run.output()}`)), 15_000).unref());
  const exit = await Promise.race([run.exited, timeout]);
  expect(exit, run.output()).toEqual({ code: 0, signal: null });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'eventgraph-start-'));
  const [gateway, ...subgraphs] = await freePorts(1 + SUBGRAPH_NAMES.length);
  env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dataDir,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: String(gateway),
    LOCALDB_PATH: join(dataDir, 'localdb'),
    ...Object.fromEntries(SUBGRAPH_NAMES.map((n, i) => [`${n.toUpperCase()}_PORT`, String(subgraphs[i])])),
  };
  url = `http://127.0.0.1:${gateway}/graphql`;
  const auth = loadAuthConfig({ NODE_ENV: 'development' });
  token = (await issueToken(auth.jwt, { sub: DEMO_USERS.admin, scopes: ['admin'], roles: ['admin'] }, 600)).token;
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  let before: Awaited<ReturnType<typeof counts>>;
  let createdId: string;

  it('answers a query across all four subgraphs within 10 s of spawning, then exits cleanly on SIGTERM', async () => {
    const spawnedAt = Date.now();
    const run = start();
    const { ms, data } = await firstAnswer(run, spawnedAt, LIVENESS_MS);
    console.log(`npm start (first run, seeding): cross-subgraph answer ${ms} ms after spawn`, startupLines(run));
    expectReadyInTime(ms);
    expect(data.me.name).toBeTruthy();
    expect(data.event.registrations.totalCount).toBe(Array.from({ length: DEMO.registrations }, (_, r) => demoRegistration(r)).filter((r) => r.eventIndex === 0).length);
    expect(data.event.registrations.edges[0].node.payment.status).toBeTruthy();

    const created = await gql(`mutation { createEvent(input: { title: "Survives restarts", startsAt: "2031-01-01T10:00:00Z", endsAt: "2031-01-01T12:00:00Z" }) { id } }`);
    expect(created.errors).toBeUndefined();
    createdId = created.data.createEvent.id;
    before = await counts();
    expect(before.users).toBe(DEMO.users);

    await stopCleanly(run);
  }, TEST_TIMEOUT_MS);

  it('starts again on the same data directory with the data kept and nothing seeded twice', async () => {
    expect(before, 'the first run recorded its counts').toBeDefined();
    const spawnedAt = Date.now();
    const run = start();
    const { ms } = await firstAnswer(run, spawnedAt, LIVENESS_MS);
    console.log(`npm start (second run, persisted data): cross-subgraph answer ${ms} ms after spawn`, startupLines(run));
    expectReadyInTime(ms);
    expect(await counts()).toEqual(before);
    const kept = await gql(`query ($id: ID!) { event(id: $id) { title status } }`, { id: createdId });
    expect(kept.data.event).toEqual({ title: 'Survives restarts', status: 'DRAFT' });
    await stopCleanly(run);
  }, TEST_TIMEOUT_MS);
});

/**
 * `npm start` as a user runs it: the whole product in a child process on free ports with localdb
 * persisted in a temporary directory. It answers a query across all four subgraphs (the time from
 * spawn is printed; `npm run bench:start` measures it on an idle machine), stops cleanly on
 * SIGTERM, and on a second start keeps its data without seeding it again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, demoRegistration } from '../subgraphs/kit/demo.js';
import { EVENT_0, firstAnswer, gqlAt, spawnStart, startTarget, terminate, type Running, type StartTarget } from '../scripts/start-probe.js';

/** How long a start may take at all before the test gives up (a saturated machine is slow, not broken). */
const LIVENESS_MS = 45_000;
const TEST_TIMEOUT_MS = 90_000;

let dataDir: string;
let target: StartTarget;
const runs = new Set<Running>();

function start(): Running {
  const run = spawnStart(target);
  runs.add(run);
  void run.exited.then(() => runs.delete(run));
  return run;
}

/** The product's own start-up figure, for the log. */
function startupLine(run: Running): string {
  return run.output().match(/is up \(\d+ ms\)/)?.[0] ?? '';
}

/** Counts in every subgraph's database, read through the gateway. */
async function counts() {
  const body = await gqlAt(target, `query ($id: ID!) {
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
  expect(await terminate(run), run.output()).toEqual({ code: 0, signal: null });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'eventgraph-start-'));
  target = await startTarget(dataDir);
});

afterAll(async () => {
  for (const run of runs) run.child.kill('SIGKILL');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('npm start', () => {
  let before: Awaited<ReturnType<typeof counts>>;
  let createdId: string;

  it('answers a query across all four subgraphs with the seeded data, then exits cleanly on SIGTERM', async () => {
    const run = start();
    const { ms, data } = await firstAnswer(target, run, LIVENESS_MS);
    console.log(`npm start (first run, seeding): cross-subgraph answer ${ms} ms after spawn; ${startupLine(run)}`);
    expect(data.me.name).toBeTruthy();
    expect(data.event.registrations.totalCount).toBe(Array.from({ length: DEMO.registrations }, (_, r) => demoRegistration(r)).filter((r) => r.eventIndex === 0).length);
    expect(data.event.registrations.edges[0].node.payment.status).toBeTruthy();

    const created = await gqlAt(target, `mutation { createEvent(input: { title: "Survives restarts", startsAt: "2031-01-01T10:00:00Z", endsAt: "2031-01-01T12:00:00Z" }) { id } }`);
    expect(created.errors).toBeUndefined();
    createdId = created.data.createEvent.id;
    before = await counts();
    expect(before.users).toBe(DEMO.users);

    await stopCleanly(run);
  }, TEST_TIMEOUT_MS);

  it('starts again on the same data directory with the data kept and nothing seeded twice', async () => {
    expect(before, 'the first run recorded its counts').toBeDefined();
    const run = start();
    const { ms } = await firstAnswer(target, run, LIVENESS_MS);
    console.log(`npm start (second run, persisted data): cross-subgraph answer ${ms} ms after spawn; ${startupLine(run)}`);
    expect(await counts()).toEqual(before);
    const kept = await gqlAt(target, `query ($id: ID!) { event(id: $id) { title status } }`, { id: createdId });
    expect(kept.data.event).toEqual({ title: 'Survives restarts', status: 'DRAFT' });
    await stopCleanly(run);
  }, TEST_TIMEOUT_MS);
});

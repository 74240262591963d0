/**
 * Process lifecycle, with real child processes each in a process group of its own:
 * - a gateway, and a subgraph run through npm, whose stdout reader has gone stop on SIGTERM and
 *   exit (logging to a closed pipe neither crashes nor holds them) and leave no process behind;
 * - SIGTERM sent to npm's own pid (as a process manager, `timeout` or a container runtime sends it)
 *   reaches the product of `npm start` and `npm run gateway`, which shuts down gracefully; npm
 *   runs the product directly (no shell, no tsx launcher in between) and nothing is left running;
 * - the shutdown deadline: a stop that never finishes ends with status 1 when the deadline passes,
 *   and a full, unread stdout pipe does not keep a stopping process from exiting.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBGRAPH_NAMES } from '../platform/config.js';
import { shutdownDeadlineMs } from '../platform/process.js';
import { freePorts } from '../scripts/start-probe.js';
import { PRODUCTION_SECRETS, exitWithin, groupGone, killGroup, liveProcessesInGroup, spawnInGroup, waitForOutput, type Spawned } from './harness/processes.js';

/** Generous bound for a start on a busy machine; a start normally takes a few seconds. */
const START_MS = 40_000;
const GRACE_MS = 2_000;
/** When a stopping process must be gone: its deadline, plus room for a saturated machine. */
const EXIT_MS = shutdownDeadlineMs(GRACE_MS) + 10_000;

let dataDir: string;
const spawned: Spawned[] = [];

function track(p: Spawned): Spawned {
  spawned.push(p);
  return p;
}

function productionEnv(extra: Record<string, string>): Record<string, string> {
  return { NODE_ENV: 'production', LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: String(GRACE_MS), ...PRODUCTION_SECRETS, ...extra };
}

/** Closes the test's end of the child's stdout and waits until it is closed. */
async function closeStdoutReader(p: Spawned): Promise<void> {
  const stdout = p.child.stdout!;
  await new Promise<void>((resolve) => {
    stdout.once('close', () => resolve());
    stdout.destroy();
  });
}

/** The JSON log lines a process wrote to stdout. */
function logLines(p: Spawned): Array<Record<string, unknown>> {
  return p
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'eventgraph-lifecycle-'));
});

afterAll(async () => {
  for (const p of spawned) killGroup(p.pgid);
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('shutdown when the log reader has gone', () => {
  it('the gateway exits on SIGTERM after its stdout reader closed, within its deadline, and leaves no process', async () => {
    const [port] = await freePorts(1);
    const p = track(spawnInGroup(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], { env: productionEnv({ PORT: String(port) }) }));
    await waitForOutput(p, (out) => out.includes('gateway ready'), START_MS);

    await closeStdoutReader(p);
    process.kill(p.child.pid!, 'SIGTERM');

    expect(await exitWithin(p, EXIT_MS), p.stderr()).toEqual({ code: 0, signal: null });
    expect(p.stderr()).not.toMatch(/EPIPE|Error/);
    expect(await groupGone(p.pgid)).toEqual([]);
  });

  it('a subgraph run with `npm run subgraph` exits when npm gets SIGTERM after the stdout reader closed, and leaves no process', async () => {
    const [port] = await freePorts(1);
    const p = track(spawnInGroup('npm', ['run', 'subgraph', '--', 'people'], { env: productionEnv({ PEOPLE_PORT: String(port), LOCALDB_PATH: join(dataDir, 'subgraph') }) }));
    await waitForOutput(p, (out) => out.includes('people subgraph ready'), START_MS);

    await closeStdoutReader(p);
    process.kill(p.pgid, 'SIGTERM');

    expect(await exitWithin(p, EXIT_MS), p.stderr()).toEqual({ code: 0, signal: null });
    expect(p.stderr()).not.toMatch(/EPIPE|Error/);
    expect(await groupGone(p.pgid)).toEqual([]);
  });
});

describe('SIGTERM sent to npm reaches the product', () => {
  /** The product runs as npm's direct child: no `sh -c`, no tsx launcher between them. */
  function expectProductIsNpmsChild(p: Spawned, entry: string): void {
    const group = liveProcessesInGroup(p.pgid);
    const product = group.filter((proc) => proc.command.includes(entry) && !proc.command.startsWith('npm'));
    expect(product, JSON.stringify(group)).toHaveLength(1);
    expect(product[0]?.ppid, JSON.stringify(group)).toBe(p.pgid);
    expect(product[0]?.command).toMatch(/^\S*node --import tsx /);
    expect(group.filter((proc) => proc.pid !== p.pgid && proc.pid !== product[0]?.pid), JSON.stringify(group)).toEqual([]);
  }

  it('`npm start`: the whole product shuts down gracefully and nothing is left running', async () => {
    const [gateway, ...subgraphs] = await freePorts(1 + SUBGRAPH_NAMES.length);
    const ports = Object.fromEntries(SUBGRAPH_NAMES.map((n, i) => [`${n.toUpperCase()}_PORT`, String(subgraphs[i])]));
    const p = track(spawnInGroup('npm', ['start', '--', '--memory'], { env: productionEnv({ PORT: String(gateway), ...ports }) }));
    await waitForOutput(p, (out) => out.includes('eventgraph is up'), START_MS);
    expectProductIsNpmsChild(p, 'scripts/start.ts');

    process.kill(p.pgid, 'SIGTERM');

    expect(await exitWithin(p, EXIT_MS), p.stderr()).toEqual({ code: 0, signal: null });
    const lines = logLines(p);
    expect(lines.find((l) => l.msg === 'shutting down')).toMatchObject({ signal: 'SIGTERM' });
    expect(lines.some((l) => l.msg === 'gateway stopped')).toBe(true);
    expect(await groupGone(p.pgid)).toEqual([]);
  });

  it('`npm run gateway`: the gateway shuts down gracefully and nothing is left running', async () => {
    const [port] = await freePorts(1);
    const p = track(spawnInGroup('npm', ['run', 'gateway'], { env: productionEnv({ PORT: String(port) }) }));
    await waitForOutput(p, (out) => out.includes('gateway ready'), START_MS);
    expectProductIsNpmsChild(p, 'gateway/main.ts');

    process.kill(p.pgid, 'SIGTERM');

    expect(await exitWithin(p, EXIT_MS), p.stderr()).toEqual({ code: 0, signal: null });
    const lines = logLines(p);
    expect(lines.find((l) => l.msg === 'shutting down')).toMatchObject({ signal: 'SIGTERM' });
    expect(lines.some((l) => l.msg === 'gateway stopped')).toBe(true);
    expect(await groupGone(p.pgid)).toEqual([]);
  });
});

describe('shutdown deadline', () => {
  const fixture = (args: string[], readStdout = true): Spawned =>
    track(spawnInGroup(process.execPath, ['--import', 'tsx', 'test/harness/lifecycle-fixture.ts', ...args], { readStdout }));

  it('a stop that never finishes ends at the deadline with status 1 and says so', async () => {
    const p = fixture(['--hang', '--deadline', '1000']);
    await waitForOutput(p, (_, err) => err.includes('fixture ready'), START_MS);

    process.kill(p.child.pid!, 'SIGTERM');

    expect(await exitWithin(p, EXIT_MS), p.stderr()).toEqual({ code: 1, signal: null });
    expect(logLines(p).map((l) => l.msg)).toEqual(['shutting down', 'shutdown did not finish before its deadline; exiting']);
    expect(await groupGone(p.pgid)).toEqual([]);
  });

  it('a full stdout pipe nobody reads neither blocks the process nor keeps it from exiting', async () => {
    const p = fixture(['--flood', '--deadline', '5000'], false);
    await waitForOutput(p, (_, err) => err.includes('fixture ready'), START_MS);

    process.kill(p.child.pid!, 'SIGTERM');

    expect(await exitWithin(p, EXIT_MS), p.stderr()).toEqual({ code: 0, signal: null });
    expect(await groupGone(p.pgid)).toEqual([]);
  });
});

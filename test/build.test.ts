/**
 * The production build as the container image uses it: `npm run build -- --out-dir <app>/dist` into
 * a temporary directory laid out like the image's /app (package.json and node_modules beside dist/).
 * - The output holds the compiled product and the SDL files it reads at run time, no tests,
 *   harnesses or benchmarks, and every entry point the Dockerfile and docker-compose.yml run.
 * - Node.js runs the compiled `scripts/start.js` without a TypeScript loader: one process (localdb
 *   in memory, the four subgraphs, the gateway, demo data) answers a query spanning all four
 *   subgraphs, and exits with status 0 on SIGTERM.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, demoRegistration } from '../subgraphs/kit/demo.js';
import { firstAnswer, spawnStart, startTarget, terminate, type Running } from '../scripts/start-probe.js';

const ROOT = resolve(import.meta.dirname, '..');
/** tsc over the whole product; a saturated machine is slow, not broken. */
const BUILD_MS = 240_000;
const START_MS = 60_000;
const SCHEMA_FILES = ['events.graphql', 'integrations.graphql', 'payments.graphql', 'people.graphql', 'supergraph.graphql'];

let app: string;
let build: { code: number | null; output: string };
const runs = new Set<Running>();

/** Runs a command to its end, collecting its output. */
function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = execFile(command, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      done({ code: err ? (child.exitCode ?? 1) : 0, output: stdout + stderr });
    });
  });
}

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

/** The `dist/…` entry points the container files start. */
async function containerEntries(): Promise<string[]> {
  const compose = await readFile(join(ROOT, 'docker-compose.yml'), 'utf8');
  const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const commands = [...compose.matchAll(/^\s*command: (\[.*\])$/gm), ...dockerfile.matchAll(/^CMD (\[.*\])$/gm)].map(([, list = '[]']) => JSON.parse(list) as string[]);
  return commands.filter(([program]) => program === 'node').map(([, entry = '']) => entry);
}

beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), 'eventgraph-build-'));
  await copyFile(join(ROOT, 'package.json'), join(app, 'package.json'));
  await symlink(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
  build = await run('npm', ['run', 'build', '--', '--out-dir', join(app, 'dist')], ROOT);
}, BUILD_MS);

afterAll(async () => {
  for (const r of runs) r.child.kill('SIGKILL');
  if (app) await rm(app, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('compiles the product alone, with the SDL it reads at run time and every entry point the container files run', async () => {
    expect(build.code, build.output).toBe(0);
    const files = await filesUnder(join(app, 'dist'));
    expect(files).toEqual(expect.arrayContaining(['gateway/main.js', 'subgraphs/main.js', 'scripts/start.js', 'scripts/seed.js', 'scripts/token.js', 'localdb/cli.js']));
    expect(files.filter((f) => !/\.(js|js\.map|graphql)$/.test(f) && f !== '.eventgraph-build')).toEqual([]);
    expect(files.filter((f) => /\.test\.js|(^|\/)testing\.js|^test\/|^scripts\/(bench|start-probe|build|compose)/.test(f))).toEqual([]);
    for (const name of SCHEMA_FILES) {
      expect(await readFile(join(app, 'dist/schema', name), 'utf8'), name).toBe(await readFile(join(ROOT, 'schema', name), 'utf8'));
    }
    const entries = await containerEntries();
    expect(entries).toEqual(expect.arrayContaining(['dist/gateway/main.js', 'dist/subgraphs/main.js', 'dist/scripts/seed.js']));
    for (const entry of entries) expect(files, entry).toContain(entry.replace(/^dist\//, ''));
  });

  it('runs on Node.js alone: the compiled start answers across the four subgraphs and exits cleanly on SIGTERM', async () => {
    expect(build.code, build.output).toBe(0);
    const target = await startTarget(app);
    const started = spawnStart(target, { args: ['dist/scripts/start.js', '--memory'], cwd: app, env: { SUPERGRAPH_PATH: 'dist/schema/supergraph.graphql' } });
    runs.add(started);
    const { data } = await firstAnswer(target, started, START_MS);
    expect(data.me.name).toBeTruthy();
    const registrationsOfEvent0 = Array.from({ length: DEMO.registrations }, (_, r) => demoRegistration(r)).filter((r) => r.eventIndex === 0).length;
    expect(data.event.registrations.totalCount).toBe(registrationsOfEvent0);
    expect(data.event.registrations.edges[0].node.attendee.name).toBeTruthy();
    expect(data.event.registrations.edges[0].node.payment.status).toBeTruthy();
    expect(data.event.connectors.length).toBeGreaterThan(0);
    expect(data.event.syncJobs.totalCount).toEqual(expect.any(Number));
    expect(started.output()).toContain('(in memory)');

    expect(await terminate(started), started.output()).toEqual({ code: 0, signal: null });
  }, START_MS + 20_000);
});

/**
 * `npm run bench:start [-- --runs 3] [--dist | --compare]`: how long the product takes to start and
 * how much memory it holds by then, run from the TypeScript sources through tsx (what `npm start`
 * runs; the default), from the compiled product in dist/ (`--dist`, after `npm run build`; what the
 * container image runs), or both side by side (`--compare`). For each:
 * - the whole product (`scripts/start`): spawn → first answer to a query spanning all four
 *   subgraphs, on a fresh data directory (seeding demo data) and again on the persisted one;
 * - the gateway alone (`gateway/main`, serving the supergraph file): spawn → `/health` answering.
 * Peak RSS is the process's high-water mark (VmHWM) read at that moment: one process holds
 * localdb, the four subgraphs, the gateway and, from the sources, the tsx loader. CPU is the
 * process's user + system time by then (all its threads), which depends far less on other load
 * on the machine than the elapsed time does. Both are read from /proc (Linux; n/a elsewhere).
 * Run it on an otherwise idle machine.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { firstAnswer, spawnStart, startTarget, terminate, type Running, type StartTarget } from './start-probe.js';

const ROOT = resolve(import.meta.dirname, '..');
const DEADLINE_MS = 60_000;

interface Mode {
  label: string;
  /** Node.js arguments of the whole product and of the gateway alone. */
  start: string[];
  gateway: string[];
  env: Record<string, string>;
}

const MODES: Record<'tsx' | 'dist', Mode> = {
  tsx: { label: 'sources (tsx)', start: ['--import', 'tsx', 'scripts/start.ts'], gateway: ['--import', 'tsx', 'gateway/main.ts'], env: {} },
  dist: { label: 'compiled (dist/)', start: ['dist/scripts/start.js'], gateway: ['dist/gateway/main.js'], env: { SUPERGRAPH_PATH: 'dist/schema/supergraph.graphql' } },
};

interface Sample {
  ms: number;
  /** Peak resident set size in MiB; undefined where /proc is not available. */
  rssMiB?: number;
  /** CPU time (user + system) in ms; undefined where /proc is not available. */
  cpuMs?: number;
}

/** Linux reports process times in USER_HZ ticks, 100 per second on every architecture it runs on. */
const TICK_MS = 10;

type Kind = 'fresh' | 'persisted' | 'gateway';
const KINDS: Array<{ kind: Kind; label: string }> = [
  { kind: 'fresh', label: 'whole product, fresh data dir' },
  { kind: 'persisted', label: 'whole product, persisted data' },
  { kind: 'gateway', label: 'gateway alone, /health' },
];

/** The process's peak resident set size so far (VmHWM), in MiB. */
async function peakRssMiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/** The process's CPU time so far (user + system, every thread), in ms. */
async function cpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // Fields after the parenthesised command name: state is the first, utime the 12th, stime the 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * TICK_MS : undefined;
}

/** Polls the gateway's `/health` until it answers 200; answers ms since spawn. */
async function firstHealth(target: StartTarget, run: Running): Promise<number> {
  const url = target.url.replace(/\/graphql$/, '/health');
  while (Date.now() - run.spawnedAt < DEADLINE_MS) {
    if (run.child.exitCode !== null) throw new Error(`the gateway exited with ${run.child.exitCode}:\n${run.output()}`);
    const ok = await fetch(url).then((res) => res.ok, () => false);
    if (ok) return Date.now() - run.spawnedAt;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no /health answer within ${DEADLINE_MS} ms\n${run.output()}`);
}

/** One start of `mode` of the given kind, on `dir` (persisted runs reuse the fresh run's directory). */
async function sample(mode: Mode, kind: Kind, dir: string): Promise<Sample> {
  const target = await startTarget(dir);
  const run = spawnStart(target, { args: kind === 'gateway' ? mode.gateway : mode.start, cwd: ROOT, env: mode.env });
  try {
    const ms = kind === 'gateway' ? await firstHealth(target, run) : (await firstAnswer(target, run, DEADLINE_MS)).ms;
    return { ms, rssMiB: await peakRssMiB(run.child.pid), cpuMs: await cpuMs(run.child.pid) };
  } finally {
    await terminate(run);
  }
}

function median(values: number[]): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** `label median X (a, b, c)` over the defined values, or `label n/a`. */
function medianOf(label: string, values: Array<number | undefined>, unit: string): string {
  const known = values.flatMap((v) => (v === undefined ? [] : [Math.round(v)]));
  return known.length ? `${label} median ${median(known)} ${unit} (${known.join(', ')})` : `${label} n/a`;
}

function summary(samples: Sample[]): string {
  const ms = samples.map((s) => s.ms);
  const cpu = medianOf('CPU', samples.map((s) => s.cpuMs), 'ms');
  const rss = medianOf('peak RSS', samples.map((s) => s.rssMiB), 'MiB');
  return `min ${Math.min(...ms)} ms  median ${median(ms)} ms  max ${Math.max(...ms)} ms (${ms.join(', ')}); ${cpu}; ${rss}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, dist: { type: 'boolean', default: false }, compare: { type: 'boolean', default: false } }, strict: true });
  const runs = Math.max(1, Number(values.runs) || 3);
  const modes = values.compare ? [MODES.tsx, MODES.dist] : values.dist ? [MODES.dist] : [MODES.tsx];
  if (modes.includes(MODES.dist) && !existsSync(join(ROOT, 'dist/scripts/start.js'))) throw new Error('dist/ holds no build: run `npm run build` first');

  const results = modes.map((mode) => {
    const samples: Record<Kind, Sample[]> = { fresh: [], persisted: [], gateway: [] };
    return { mode, samples };
  });
  for (let i = 0; i < runs; i++) {
    // The modes take turns within each run, so a change in machine load touches both alike.
    for (const { mode, samples } of results) {
      const dir = await mkdtemp(join(tmpdir(), 'eventgraph-bench-start-'));
      try {
        for (const { kind } of KINDS) samples[kind].push(await sample(mode, kind, dir));
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  console.log(`start-up: spawn → first cross-subgraph answer (whole product) or /health (gateway alone); ${runs} runs; Node ${process.version}`);
  for (const { mode, samples } of results) {
    console.log(`\n${mode.label}: node ${mode.start.join(' ')} | node ${mode.gateway.join(' ')}`);
    for (const { kind, label } of KINDS) console.log(`  ${label.padEnd(32)} ${summary(samples[kind])}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

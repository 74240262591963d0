/**
 * `npm run bench:start [-- --runs 3]`: how long `npm start` takes from spawn to its first answer to
 * a query spanning all four subgraphs — on a fresh data directory (seeding demo data) and again on
 * the persisted one. Run it on an otherwise idle machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { firstAnswer, spawnStart, startTarget, terminate } from './start-probe.js';

function summary(label: string, ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `${label.padEnd(32)} min ${sorted[0]} ms  median ${sorted[Math.floor(sorted.length / 2)]} ms  max ${sorted[sorted.length - 1]} ms  (${ms.join(', ')})`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
  const runs = Math.max(1, Number(values.runs) || 3);
  const fresh: number[] = [];
  const persisted: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dir = await mkdtemp(join(tmpdir(), 'eventgraph-bench-start-'));
    try {
      for (const bucket of [fresh, persisted]) {
        const target = await startTarget(dir);
        const run = spawnStart(target);
        bucket.push((await firstAnswer(target, run, 60_000)).ms);
        await terminate(run);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  console.log(`npm start: spawn → first answer to a query spanning all four subgraphs (${runs} runs)`);
  console.log(summary('fresh data directory (seeding)', fresh));
  console.log(summary('persisted data directory', persisted));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

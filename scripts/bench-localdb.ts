/**
 * Throughput of localdb through the official driver: batched and single inserts,
 * point reads by _id, and 1,000-id `$in` batches over a 100,000-document collection.
 *
 * Usage: npm run bench:localdb [-- --in-process]
 * Runs localdb (a) as its own process, like a mongod, in memory and on disk, and
 * (b) inside the benchmark process, where driver and server share one thread.
 */
import { MongoClient, ObjectId, type Collection, type Document } from 'mongodb';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalDb } from '../localdb/index.js';

const TOTAL = 100_000;
const BATCH = 1_000;
const SINGLE = 5_000;
const POINT_READS = 5_000;
const IN_BATCHES = 50;
const CONCURRENCY = 8;

function doc(i: number): Document {
  return { _id: new ObjectId(), seq: i, name: `user-${i}`, email: `user${i}@example.com`, score: i % 1000, tags: ['a', 'b'], createdAt: new Date() };
}

function rate(n: number, ms: number): string {
  return Math.round((n / ms) * 1000).toLocaleString('en-US');
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

interface Target {
  uri: string;
  stop(): Promise<void>;
}

async function inProcess(dbPath?: string): Promise<Target> {
  const db = await startLocalDb({ dbPath, logger: { error: console.error, warn: () => {}, info: () => {} } });
  return { uri: db.uri, stop: () => db.stop() };
}

async function ownProcess(dbPath?: string): Promise<Target> {
  const cli = path.join(import.meta.dirname, '..', 'localdb', 'cli.ts');
  const args = ['--import', 'tsx', cli, '--port', '0', ...(dbPath ? ['--dbpath', dbPath] : ['--memory'])];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const uri = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const uri = /listening on (\S+)/.exec(out)?.[1];
      if (uri !== undefined) resolve(uri);
    });
    child.once('exit', (code) => reject(new Error(`localdb exited with ${code}`)));
  });
  return {
    uri,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The inserted id at position `k`, wrapping around the ids inserted so far. */
function pickId(ids: readonly ObjectId[], k: number): ObjectId {
  const id = ids[k % ids.length];
  if (id === undefined) throw new Error('no documents inserted to read back');
  return id;
}

async function run(label: string, target: Target): Promise<void> {
  const client = await MongoClient.connect(target.uri);
  try {
    const coll: Collection = client.db('bench').collection('docs');
    const ids: ObjectId[] = [];
    const batched = await timed(async () => {
      for (let i = 0; i < TOTAL; i += BATCH) {
        const docs = Array.from({ length: BATCH }, (_, j) => doc(i + j));
        for (const d of docs) ids.push(d._id as ObjectId);
        await coll.insertMany(docs);
      }
    });
    const singles = client.db('bench').collection('single');
    const single = await timed(async () => {
      for (let i = 0; i < SINGLE; i++) await singles.insertOne(doc(i));
    });
    const concurrent = await timed(async () => {
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, w) => {
          for (let i = 0; i < SINGLE / CONCURRENCY; i++) await singles.insertOne(doc(w * SINGLE + i));
        }),
      );
    });
    const admin = client.db('admin');
    const pings = await timed(async () => {
      for (let i = 0; i < SINGLE; i++) await admin.command({ ping: 1 });
    });
    const reads = await timed(async () => {
      for (let i = 0; i < POINT_READS; i++) await coll.findOne({ _id: pickId(ids, i * 7919) });
    });
    const inBatch = await timed(async () => {
      for (let b = 0; b < IN_BATCHES; b++) {
        const pick = Array.from({ length: 1000 }, (_, j) => pickId(ids, b * 1000 + j * 97));
        const found = await coll.find({ _id: { $in: pick } }).toArray();
        if (found.length !== 1000) throw new Error(`expected 1000 documents, got ${found.length}`);
      }
    });
    console.log(`\n${label}`);
    console.log(`  insertMany x${BATCH} : ${rate(TOTAL, batched)} docs/s (${TOTAL.toLocaleString('en-US')} docs in ${Math.round(batched)} ms)`);
    console.log(`  insertOne           : ${rate(SINGLE, single)} round trips/s (one at a time)`);
    console.log(`  insertOne x${CONCURRENCY} conc.  : ${rate(SINGLE, concurrent)} docs/s (${CONCURRENCY} awaited in parallel)`);
    console.log(`  ping (baseline)     : ${rate(SINGLE, pings)} round trips/s (driver + transport, no storage work)`);
    console.log(`  findOne by _id      : ${rate(POINT_READS, reads)} reads/s`);
    console.log(`  $in of 1,000 _ids   : ${(inBatch / IN_BATCHES).toFixed(2)} ms/batch (${rate(IN_BATCHES, inBatch)} batches/s)`);
  } finally {
    await client.close();
    await target.stop();
  }
}

async function main(): Promise<void> {
  console.log(`localdb bench: ${os.cpus().length} cores, node ${process.version}`);
  if (process.argv.includes('--in-process')) {
    await run('in memory, localdb inside the benchmark process (one thread for driver and server)', await inProcess());
    return;
  }
  await run('in memory, localdb in its own process', await ownProcess());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'localdb-bench-'));
  try {
    await run('on disk (fsync per group commit), localdb in its own process', await ownProcess(dir));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await run('in memory, localdb inside the benchmark process (one thread for driver and server)', await inProcess());
}

await main();

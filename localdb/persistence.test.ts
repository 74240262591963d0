import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { afterEach, describe, expect, it } from 'vitest';
import { startLocalDb, type LocalDb } from './index.js';
import { quietLogger, type Loose } from './testing.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'localdb-test-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function withServer<T>(dbPath: string, fn: (client: MongoClient, db: LocalDb) => Promise<T>, compactBytes?: number): Promise<T> {
  const db = await startLocalDb({ dbPath, logger: quietLogger, compactBytes });
  const client = await MongoClient.connect(db.uri);
  try {
    return await fn(client, db);
  } finally {
    await client.close();
    await db.stop();
  }
}

describe('persistence', () => {
  it('keeps data, indexes and collections across a clean restart', async () => {
    const dir = tempDir();
    await withServer(dir, async (client) => {
      const c = client.db('p').collection('items');
      await c.createIndex({ sku: 1 }, { unique: true });
      await c.insertMany(Array.from({ length: 100 }, (_, i) => ({ sku: `s${i}`, n: i })));
      await c.updateOne({ sku: 's1' }, { $set: { n: 1000 } });
      await c.deleteOne({ sku: 's2' });
      await client.db('p').collection('gone').insertOne({});
      await client.db('p').collection('gone').drop();
      await client.db('p').renameCollection('items', 'products');
    });
    await withServer(dir, async (client) => {
      const c = client.db('p').collection('products');
      expect(await c.countDocuments()).toBe(99);
      expect((await c.findOne({ sku: 's1' }))?.n).toBe(1000);
      expect(await c.findOne({ sku: 's2' })).toBeNull();
      expect((await client.db('p').listCollections().toArray()).map((x) => x.name)).toEqual(['products']);
      await expect(c.insertOne({ sku: 's3' })).rejects.toMatchObject({ code: 11000 });
    });
  });

  it('refuses a second server on a directory in use', async () => {
    const dir = tempDir();
    const first = await startLocalDb({ dbPath: dir, logger: quietLogger });
    try {
      await expect(startLocalDb({ dbPath: dir, logger: quietLogger })).rejects.toThrow(/in use/);
    } finally {
      await first.stop();
    }
    const again = await startLocalDb({ dbPath: dir, logger: quietLogger });
    await again.stop();
  });

  it('compacts the journal into a snapshot and recovers from it', async () => {
    const dir = tempDir();
    await withServer(
      dir,
      async (client, db) => {
        const c = client.db('p').collection<Loose>('churn');
        for (let round = 0; round < 20; round++) {
          await c.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, round, pad: 'x'.repeat(500) })), { ordered: false }).catch(() => undefined);
          await c.updateMany({}, { $set: { round } });
        }
        expect(db.server.state.journal!.bytes).toBeLessThan(200 * 1024);
      },
      64 * 1024,
    );
    expect(fs.readdirSync(dir).some((f) => f.startsWith('snapshot-'))).toBe(true);
    await withServer(dir, async (client) => {
      const docs = await client.db('p').collection<Loose>('churn').find().toArray();
      expect(docs).toHaveLength(50);
      expect(docs.every((d) => d.round === 19)).toBe(true);
    });
  });

  it('recovers when the last journal record is torn', async () => {
    const dir = tempDir();
    await withServer(dir, async (client) => {
      await client.db('p').collection<Loose>('t').insertMany([{ _id: 1 }, { _id: 2 }]);
    });
    const journal = fs.readdirSync(dir).find((f) => f.startsWith('journal-'))!;
    const file = path.join(dir, journal);
    const intact = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5, 6]));
    await withServer(dir, async (client) => {
      expect(await client.db('p').collection<Loose>('t').countDocuments()).toBe(2);
      await client.db('p').collection<Loose>('t').insertOne({ _id: 3 });
    });
    expect(fs.statSync(file).size).toBeGreaterThan(intact);
    await withServer(dir, async (client) => {
      expect(await client.db('p').collection<Loose>('t').countDocuments()).toBe(3);
    });
  });

  it('keeps every acknowledged write after kill -9 during a write burst', async () => {
    const dir = tempDir();
    const script = path.join(import.meta.dirname, 'crash-writer.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const acked = new Set<string>();
    let maxInc = 0;
    let buf = '';
    let enough = false;
    await new Promise<void>((resolve, reject) => {
      void exited.then(() => {
        if (!enough) reject(new Error('writer exited early'));
      });
      child.stdout.on('data', (chunk: Buffer) => {
        buf += chunk.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith('ack ')) acked.add(line.slice(4));
          else if (line.startsWith('inc ')) maxInc = Math.max(maxInc, Number(line.slice(4)));
        }
        if (!enough && acked.size >= 1500) {
          enough = true;
          resolve();
        }
      });
    });
    child.kill('SIGKILL');
    await exited;
    for (const line of buf.split('\n')) if (line.startsWith('ack ') && line.length > 4) acked.add(line.slice(4));
    await withServer(dir, async (client) => {
      const ids = new Set((await client.db('crash').collection('docs').find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)));
      const missing = [...acked].filter((id) => !ids.has(id));
      expect(missing).toEqual([]);
      const counter = await client.db('crash').collection('counter').findOne({});
      expect(counter?.n).toBeGreaterThanOrEqual(maxInc);
    });
  }, 60_000);
});

/**
 * Test helper process: starts localdb on the directory given as argv[2], then writes in
 * several concurrent loops through the driver, printing `ack <id>` for every acknowledged
 * insert and `inc <n>` for every acknowledged counter update, until it is killed.
 */
import { MongoClient } from 'mongodb';
import { startLocalDb } from './index.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-writer <dbPath>');
const db = await startLocalDb({ dbPath: dir, compactBytes: 256 * 1024 });
const client = await MongoClient.connect(db.uri);
const docs = client.db('crash').collection<{ _id: string; loop: number; i: number; pad: string }>('docs');
const counter = client.db('crash').collection<{ _id: string; n: number }>('counter');
await counter.updateOne({ _id: 'c' }, { $setOnInsert: { n: 0 } }, { upsert: true });
console.log('ready');

async function insertLoop(loop: number): Promise<void> {
  for (let i = 0; ; i++) {
    const _id = `${loop}-${i}`;
    await docs.insertOne({ _id, loop, i, pad: 'p'.repeat(200) });
    process.stdout.write(`ack ${_id}\n`);
  }
}

async function counterLoop(): Promise<void> {
  for (;;) {
    const r = await counter.findOneAndUpdate({ _id: 'c' }, { $inc: { n: 1 } }, { returnDocument: 'after' });
    process.stdout.write(`inc ${r?.n}\n`);
  }
}

await Promise.all([insertLoop(0), insertLoop(1), insertLoop(2), counterLoop()]);

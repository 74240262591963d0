import { MongoClient, MongoServerError } from 'mongodb';
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { useLocalDb } from './testing.js';

const ctx = useLocalDb();

describe('transactions through the driver', () => {
  it('commits all writes with withTransaction; reads inside see own writes', async () => {
    const acc = ctx.coll('accounts');
    await acc.insertMany([{ _id: 'a', bal: 100 }, { _id: 'b', bal: 0 }]);
    const session = ctx.client().startSession();
    try {
      await session.withTransaction(async () => {
        await acc.updateOne({ _id: 'a' }, { $inc: { bal: -40 } }, { session });
        await acc.updateOne({ _id: 'b' }, { $inc: { bal: 40 } }, { session });
        await acc.insertOne({ _id: 'log1', kind: 'transfer' }, { session });
        expect((await acc.findOne({ _id: 'a' }, { session }))?.bal).toBe(60);
        expect((await acc.findOne({ _id: 'a' }))?.bal).toBe(100);
        expect(await acc.countDocuments({}, { session })).toBe(3);
        expect(await acc.countDocuments({})).toBe(2);
      });
    } finally {
      await session.endSession();
    }
    expect((await acc.find({}).sort({ _id: 1 }).toArray()).map((d) => d.bal ?? d.kind)).toEqual([60, 40, 'transfer']);
  });

  it('applies nothing when aborted manually', async () => {
    const acc = ctx.coll('accounts');
    const session = ctx.client().startSession();
    session.startTransaction();
    await acc.updateOne({ _id: 'a' }, { $set: { bal: 0 } }, { session });
    await acc.deleteOne({ _id: 'b' }, { session });
    await acc.insertOne({ _id: 'ghost' }, { session });
    await session.abortTransaction();
    await session.endSession();
    expect((await acc.findOne({ _id: 'a' }))?.bal).toBe(60);
    expect(await acc.findOne({ _id: 'b' })).not.toBeNull();
    expect(await acc.findOne({ _id: 'ghost' })).toBeNull();
  });

  it('fails a conflicting write with WriteConflict (112) and TransientTransactionError', async () => {
    const acc = ctx.coll('accounts');
    const s1 = ctx.client().startSession();
    const s2 = ctx.client().startSession();
    s1.startTransaction();
    s2.startTransaction();
    await acc.updateOne({ _id: 'a' }, { $inc: { bal: 1 } }, { session: s1 });
    const err = await acc.updateOne({ _id: 'a' }, { $inc: { bal: 1 } }, { session: s2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({ code: 112, codeName: 'WriteConflict' });
    expect((err as MongoServerError).hasErrorLabel('TransientTransactionError')).toBe(true);
    await s2.abortTransaction().catch(() => undefined);
    await s1.commitTransaction();
    await s1.endSession();
    await s2.endSession();
    expect((await acc.findOne({ _id: 'a' }))?.bal).toBe(61);
  });

  it('retries a conflicting transaction in withTransaction until it commits', async () => {
    const acc = ctx.coll('accounts');
    const blocker = ctx.client().startSession();
    blocker.startTransaction();
    await acc.updateOne({ _id: 'b' }, { $inc: { bal: 1 } }, { session: blocker });
    const s = ctx.client().startSession();
    let attempts = 0;
    const done = s.withTransaction(async () => {
      attempts++;
      if (attempts === 2) await blocker.commitTransaction();
      await acc.updateOne({ _id: 'b' }, { $inc: { bal: 10 } }, { session: s });
    });
    await done;
    await s.endSession();
    await blocker.endSession();
    expect(attempts).toBe(2);
    expect((await acc.findOne({ _id: 'b' }))?.bal).toBe(51);
  });

  it('makes a non-transactional write wait for the transaction holding the document', async () => {
    const acc = ctx.coll('accounts');
    const s = ctx.client().startSession();
    s.startTransaction();
    await acc.updateOne({ _id: 'a' }, { $set: { bal: 1000 } }, { session: s });
    const outside = acc.updateOne({ _id: 'a' }, { $inc: { bal: 1 } });
    await new Promise((r) => setTimeout(r, 50));
    await s.commitTransaction();
    await outside;
    await s.endSession();
    expect((await acc.findOne({ _id: 'a' }))?.bal).toBe(1001);
  });

  it('enforces unique indexes inside transactions', async () => {
    const c = ctx.coll('txunique');
    await c.createIndex({ k: 1 }, { unique: true });
    await c.insertOne({ k: 1 });
    const s = ctx.client().startSession();
    await expect(s.withTransaction(async () => {
      await c.insertOne({ k: 2 }, { session: s });
      await c.insertOne({ k: 2 }, { session: s });
    })).rejects.toMatchObject({ code: 11000 });
    await s.endSession();
    expect(await c.countDocuments()).toBe(1);
  });

  it('works through a replicaSet connection string too', async () => {
    const hostPort = ctx.server().server.state.hostPort;
    const client = await MongoClient.connect(`mongodb://${hostPort}/?replicaSet=localdb`);
    try {
      const c = client.db('test').collection('rs');
      const s = client.startSession();
      await s.withTransaction(async () => {
        await c.insertOne({ x: 1 }, { session: s });
      });
      await s.endSession();
      expect(await c.countDocuments()).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe('transactions through mongoose', () => {
  it('commits with connection.transaction and rolls back on error', async () => {
    const conn = await mongoose.createConnection(ctx.server().uriFor('mtx')).asPromise();
    try {
      const Item = conn.model('Item', new mongoose.Schema({ name: String, qty: Number }));
      await Item.createCollection();
      await conn.transaction(async (session) => {
        await Item.create([{ name: 'a', qty: 1 }], { session });
        await Item.updateOne({ name: 'a' }, { $inc: { qty: 1 } }, { session });
      });
      expect((await Item.findOne({ name: 'a' }).lean())?.qty).toBe(2);
      await expect(
        conn.transaction(async (session) => {
          await Item.create([{ name: 'b', qty: 1 }], { session });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await Item.countDocuments({ name: 'b' })).toBe(0);
      const session = await conn.startSession();
      session.startTransaction();
      await Item.deleteMany({}, { session });
      await session.abortTransaction();
      await session.endSession();
      expect(await Item.countDocuments()).toBe(1);
    } finally {
      await conn.close();
    }
  });
});

import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDb, type LocalDb } from './index.js';

describe('localdb smoke', () => {
  let db: LocalDb;
  beforeAll(async () => {
    db = await startLocalDb();
  });
  afterAll(async () => {
    await db.stop();
    await db.stop();
  });

  it('serves the driver', async () => {
    const client = await MongoClient.connect(db.uri);
    try {
      const c = client.db('smoke').collection('things');
      const { insertedId } = await c.insertOne({ name: 'a', n: 1 });
      expect(await c.findOne({ _id: insertedId })).toMatchObject({ name: 'a', n: 1 });
      await c.updateOne({ _id: insertedId }, { $inc: { n: 2 } });
      expect((await c.findOne({ _id: insertedId }))?.n).toBe(3);
      await c.deleteOne({ _id: insertedId });
      expect(await c.countDocuments()).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('serves mongoose CRUD', async () => {
    const conn = await mongoose.createConnection(db.uriFor('smoke')).asPromise();
    try {
      const Cat = conn.model('Cat', new mongoose.Schema({ name: { type: String, unique: true }, age: Number }));
      await Cat.init();
      const tom = await Cat.create({ name: 'Tom', age: 3 });
      expect((await Cat.findById(tom._id))?.name).toBe('Tom');
      await Cat.updateOne({ _id: tom._id }, { age: 4 });
      expect((await Cat.findOne({ name: 'Tom' }).lean())?.age).toBe(4);
      await expect(Cat.create({ name: 'Tom' })).rejects.toMatchObject({ code: 11000 });
      await Cat.deleteMany({});
      expect(await Cat.countDocuments()).toBe(0);
    } finally {
      await conn.close();
    }
  });
});

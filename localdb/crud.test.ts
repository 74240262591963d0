import { Decimal128, Double, Int32, Long, MongoBulkWriteError, MongoServerError, ObjectId, UUID } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useLocalDb } from './testing.js';

const ctx = useLocalDb();

describe('CRUD through the driver', () => {
  it('inserts, finds with filter/projection/sort/skip/limit, updates and deletes', async () => {
    const c = ctx.coll('people');
    await c.insertMany([
      { name: 'ann', age: 31, city: 'Oslo' },
      { name: 'bob', age: 25, city: 'Rome' },
      { name: 'cid', age: 40, city: 'Oslo' },
      { name: 'dee', age: 19 },
    ]);
    const oslo = await c.find({ city: 'Oslo' }, { projection: { _id: 0, name: 1 } }).sort({ age: -1 }).toArray();
    expect(oslo).toEqual([{ name: 'cid' }, { name: 'ann' }]);
    const page = await c.find({}).sort({ age: 1 }).skip(1).limit(2).toArray();
    expect(page.map((d) => d.name)).toEqual(['bob', 'ann']);
    expect(await c.countDocuments({ age: { $gte: 25 } })).toBe(3);
    const upd = await c.updateMany({ city: 'Oslo' }, { $set: { nordic: true } });
    expect(upd).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    const again = await c.updateMany({ city: 'Oslo' }, { $set: { nordic: true } });
    expect(again).toMatchObject({ matchedCount: 2, modifiedCount: 0 });
    const del = await c.deleteMany({ age: { $lt: 30 } });
    expect(del.deletedCount).toBe(2);
    expect(await c.countDocuments()).toBe(2);
    const repl = await c.replaceOne({ name: 'ann' }, { name: 'ann', age: 32 });
    expect(repl.modifiedCount).toBe(1);
    expect(await c.findOne({ name: 'ann' }, { projection: { _id: 0 } })).toEqual({ name: 'ann', age: 32 });
  });

  it('generates ObjectId _id values and matches ObjectIds and Dates exactly', async () => {
    const c = ctx.coll('ids');
    const ids = [new ObjectId(), new ObjectId(), new ObjectId(), new ObjectId(), new ObjectId()] as const;
    const base = Date.UTC(2026, 0, 1);
    await c.insertMany(ids.map((_id, i) => ({ _id, at: new Date(base + (4 - i) * 1000), i })));
    expect((await c.findOne({ _id: ids[2] }))?.i).toBe(2);
    expect((await c.findOne({ _id: new ObjectId(ids[3].toHexString()) }))?.i).toBe(3);
    const some = await c.find({ _id: { $in: [ids[0], ids[4], new ObjectId()] } }).toArray();
    expect(some.map((d) => d.i).sort()).toEqual([0, 4]);
    expect((await c.find().sort({ _id: -1 }).toArray()).map((d) => d.i)).toEqual([4, 3, 2, 1, 0]);
    expect((await c.find().sort({ at: 1 }).toArray()).map((d) => d.i)).toEqual([4, 3, 2, 1, 0]);
    expect(await c.countDocuments({ at: { $gt: new Date(base + 2500) } })).toBe(2);
    const { insertedId } = await c.insertOne({ x: 1 });
    expect(insertedId).toBeInstanceOf(ObjectId);
    const raw = await ctx.db().command({ insert: 'ids', documents: [{ noId: true }] });
    expect(raw.n).toBe(1);
    expect((await c.findOne({ noId: true }))?._id).toBeInstanceOf(ObjectId);
  });

  it('keeps BSON numeric types exactly', async () => {
    const c = ctx.coll('types');
    const doc = { _id: 1, i: new Int32(5), d: new Double(5), f: 2.5, l: Long.fromString('9007199254740993'), s: Long.fromNumber(7), dec: Decimal128.fromString('1.10') };
    await c.insertOne(doc);
    const back = await c.findOne({ _id: 1 }, { promoteValues: false });
    expect(back?.i).toBeInstanceOf(Int32);
    expect(back?.d).toBeInstanceOf(Double);
    expect(back?.f).toBeInstanceOf(Double);
    expect(back?.l).toEqual(Long.fromString('9007199254740993'));
    expect(back?.s).toBeInstanceOf(Long);
    expect(String(back?.dec)).toBe('1.10');
    await c.updateOne({ _id: 1 }, { $set: { other: 1 } });
    const after = await c.findOne({ _id: 1 }, { promoteValues: false });
    expect(after?.d).toBeInstanceOf(Double);
    expect(after?.s).toBeInstanceOf(Long);
    expect(after?.i).toBeInstanceOf(Int32);
    expect(await c.countDocuments({ d: 5 })).toBe(1);
  });

  it('reports unique index violations like MongoDB', async () => {
    const c = ctx.coll('users');
    await c.createIndex({ email: 1 }, { unique: true });
    await c.insertOne({ email: 'a@x.io' });
    const err = await c.insertOne({ email: 'a@x.io' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({ code: 11000, keyPattern: { email: 1 }, keyValue: { email: 'a@x.io' } });
    expect((err as Error).message).toBe('E11000 duplicate key error collection: test.users index: email_1 dup key: { email: "a@x.io" }');
    const dupId = await c.insertOne({ _id: (await c.findOne({}))!._id, email: 'b@x.io' }).catch((e: unknown) => e);
    expect(dupId).toMatchObject({ code: 11000, keyPattern: { _id: 1 } });
    await c.insertOne({ email: 'c@x.io' });
    const upd = await c.updateOne({ email: 'c@x.io' }, { $set: { email: 'a@x.io' } }).catch((e: unknown) => e);
    expect(upd).toMatchObject({ code: 11000 });
  });

  it('reports ordered and unordered insertMany write errors with their index', async () => {
    const c = ctx.coll('bulk');
    const docs = [{ _id: 1 }, { _id: 2 }, { _id: 1 }, { _id: 3 }, { _id: 2 }, { _id: 4 }];
    const ordered = await c.insertMany(docs).catch((e: unknown) => e);
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    const oe = ordered as MongoBulkWriteError;
    expect(oe.code).toBe(11000);
    expect(oe.result.insertedCount).toBe(2);
    expect(oe.writeErrors).toHaveLength(1);
    expect((oe.writeErrors as unknown as { index: number }[])[0]?.index).toBe(2);
    await c.deleteMany({});
    const unordered = (await c.insertMany(docs, { ordered: false }).catch((e: unknown) => e)) as MongoBulkWriteError;
    expect(unordered.result.insertedCount).toBe(4);
    expect((unordered.writeErrors as unknown as { index: number }[]).map((w) => w.index)).toEqual([2, 4]);
    expect(await c.countDocuments()).toBe(4);
  });

  it('answers a retried write (same lsid and txnNumber) with the original result', async () => {
    const lsid = { id: new UUID() };
    const cmd = (txnNumber: number) => ({ update: 'retry', updates: [{ q: { _id: 'r' }, u: { $inc: { n: 1 } }, upsert: true }], lsid, txnNumber: Long.fromNumber(txnNumber) });
    const first = await ctx.db().command(cmd(1));
    const again = await ctx.db().command(cmd(1));
    expect(again).toEqual(first);
    expect((await ctx.coll('retry').findOne({ _id: 'r' }))?.n).toBe(1);
    await ctx.db().command(cmd(2));
    expect((await ctx.coll('retry').findOne({ _id: 'r' }))?.n).toBe(2);
  });

  it('rejects changing _id with code 66', async () => {
    const c = ctx.coll('immutable');
    await c.insertOne({ _id: 1, a: 1 });
    await expect(c.updateOne({ _id: 1 }, { $set: { _id: 2 } })).rejects.toMatchObject({ code: 66 });
    await expect(c.replaceOne({ _id: 1 }, { _id: 3, a: 2 })).rejects.toMatchObject({ code: 66 });
    await c.updateOne({ _id: 1 }, { $set: { _id: 1, a: 5 } });
    expect((await c.findOne({ _id: 1 }))?.a).toBe(5);
  });

  it('answers findOneAndUpdate / findOneAndDelete / findOneAndReplace', async () => {
    const c = ctx.coll('fam');
    await c.insertMany([{ k: 'a', n: 1 }, { k: 'a', n: 2 }, { k: 'b', n: 3 }]);
    const before = await c.findOneAndUpdate({ k: 'a' }, { $inc: { n: 10 } }, { sort: { n: -1 } });
    expect(before?.n).toBe(2);
    const after = await c.findOneAndUpdate({ k: 'a' }, { $inc: { n: 10 } }, { sort: { n: -1 }, returnDocument: 'after', projection: { _id: 0 } });
    expect(after).toEqual({ k: 'a', n: 22 });
    const up = await c.findOneAndUpdate({ k: 'z' }, { $set: { n: 0 } }, { upsert: true, returnDocument: 'after' });
    expect(up).toMatchObject({ k: 'z', n: 0 });
    const gone = await c.findOneAndDelete({ k: 'b' });
    expect(gone?.n).toBe(3);
    const replaced = await c.findOneAndReplace({ k: 'z' }, { k: 'y' }, { returnDocument: 'after' });
    expect(replaced?.k).toBe('y');
    expect(await c.findOneAndDelete({ k: 'nope' })).toBeNull();
  });

  it('counts, estimates and lists distinct values', async () => {
    const c = ctx.coll('stats');
    await c.insertMany([{ t: ['x', 'y'], g: 1 }, { t: ['y'], g: 2 }, { t: 'z', g: 2 }, { g: 3 }]);
    expect(await c.estimatedDocumentCount()).toBe(4);
    expect(await c.countDocuments({ g: 2 })).toBe(2);
    expect(await c.countDocuments({}, { skip: 1, limit: 2 })).toBe(2);
    expect(await c.distinct('t')).toEqual(['x', 'y', 'z']);
    expect(await c.distinct('g', { g: { $gt: 1 } })).toEqual([2, 3]);
    expect((await ctx.db().command({ count: 'stats', query: { g: 2 } })).n).toBe(2);
  });

  it('manages collections and databases', async () => {
    const db = ctx.db('ddl');
    await db.createCollection('a');
    await expect(db.createCollection('a')).rejects.toMatchObject({ code: 48 });
    await db.collection('a').insertOne({ x: 1 });
    expect((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name)).toEqual(['a']);
    await db.renameCollection('a', 'b');
    expect(await db.collection('b').countDocuments()).toBe(1);
    expect(await db.collection('a').countDocuments()).toBe(0);
    const dbs = await ctx.client().db().admin().listDatabases();
    expect(dbs.databases.map((d) => d.name)).toContain('ddl');
    expect(await db.collection('b').drop()).toBe(true);
    await db.collection('c').insertOne({});
    await db.dropDatabase();
    expect(await db.listCollections().toArray()).toEqual([]);
  });
});

describe('query details', () => {
  it('sorts by $natural, updates the first document of a sort, and matches $in/$nin across shapes', async () => {
    const c = ctx.coll('details');
    await c.insertMany([{ _id: 3, v: 1, a: [1, 2] }, { _id: 1, v: 2, a: [] }, { _id: 2, v: 3 }]);
    expect((await c.find().sort({ $natural: -1 }).toArray()).map((d) => d._id)).toEqual([2, 1, 3]);
    await ctx.db().command({ update: 'details', updates: [{ q: {}, u: { $set: { first: true } }, sort: { v: -1 } }] });
    expect((await c.findOne({ first: true }))?._id).toBe(2);
    expect((await c.find({ a: { $in: [2, 9] } }).toArray()).map((d) => d._id)).toEqual([3]);
    expect((await c.find({ a: { $in: [null] } }).toArray()).map((d) => d._id)).toEqual([2]);
    expect((await c.find({ a: { $nin: [1] } }).sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([1, 2]);
    expect(await c.countDocuments({ v: { $in: [1.0, Long.fromNumber(3)] } })).toBe(2);
  });

  it('projects like MongoDB: _id first, positional $, $elemMatch, $slice', async () => {
    const c = ctx.coll('proj');
    await c.insertOne({ _id: 1, arr: [{ k: 1 }, { k: 2 }], nums: [1, 2, 3, 4], sub: { x: 1, y: 2 } });
    expect(Object.keys((await c.findOne({}, { projection: { sub: 1 } }))!)).toEqual(['_id', 'sub']);
    expect(await c.findOne({ 'arr.k': 2 }, { projection: { 'arr.$': 1 } })).toEqual({ _id: 1, arr: [{ k: 2 }] });
    expect(await c.findOne({}, { projection: { _id: 0, arr: { $elemMatch: { k: 1 } } } })).toEqual({ arr: [{ k: 1 }] });
    expect(await c.findOne({}, { projection: { _id: 0, nums: { $slice: -2 } } })).toEqual({ nums: [3, 4] });
    expect(await c.findOne({}, { projection: { 'sub.y': 0, arr: 0, nums: 0 } })).toEqual({ _id: 1, sub: { x: 1 } });
    const [agg] = await c.aggregate([{ $project: { total: { $sum: '$nums' } } }]).toArray();
    expect(Object.keys(agg ?? {})).toEqual(['_id', 'total']);
  });
});

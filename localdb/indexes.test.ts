import { ObjectId, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useLocalDb } from './testing.js';

const ctx = useLocalDb({ ttlIntervalMs: 100 });

function stage(plan: Document): string {
  const win = plan.queryPlanner.winningPlan;
  return win.inputStage?.stage ?? win.stage;
}

describe('indexes', () => {
  it('uses the _id index, secondary indexes for equality, range and $in, and scans otherwise', async () => {
    const c = ctx.coll('ix');
    const ids = Array.from({ length: 2000 }, () => new ObjectId());
    await c.insertMany(ids.map((_id, i) => ({ _id, n: i, tag: `t${i % 100}`, free: i })));
    await c.createIndex({ n: 1 });
    await c.createIndex({ tag: 1, n: -1 });

    const byId = await c.find({ _id: ids[5] }).explain('executionStats');
    expect(stage(byId)).toBe('IDHACK');
    expect(byId.executionStats.totalDocsExamined).toBe(1);

    const eq = await c.find({ tag: 't7' }).explain('executionStats');
    expect(stage(eq)).toBe('IXSCAN');
    expect(eq.queryPlanner.winningPlan.inputStage.indexName).toBe('tag_1_n_-1');
    expect(eq.executionStats.totalDocsExamined).toBe(20);
    expect(eq.executionStats.nReturned).toBe(20);

    const range = await c.find({ n: { $gte: 100, $lt: 150 } }).explain('executionStats');
    expect(stage(range)).toBe('IXSCAN');
    expect(range.executionStats.totalDocsExamined).toBe(50);
    expect(range.executionStats.nReturned).toBe(50);

    const inIds = await c.find({ _id: { $in: ids.slice(0, 30) } }).explain('executionStats');
    expect(inIds.executionStats.totalDocsExamined).toBe(30);
    expect(inIds.executionStats.nReturned).toBe(30);

    const inTags = await c.find({ tag: { $in: ['t1', 't2'] }, free: { $lt: 1000 } }).explain('executionStats');
    expect(stage(inTags)).toBe('IXSCAN');
    expect(inTags.executionStats.totalDocsExamined).toBe(40);
    expect(inTags.executionStats.nReturned).toBe(20);

    const scan = await c.find({ free: 3 }).explain('executionStats');
    expect(stage(scan)).toBe('COLLSCAN');
    expect(scan.executionStats.totalDocsExamined).toBe(2000);

    const counters = ctx.server().server.state.counters;
    const before = counters.docsExamined;
    expect(await c.countDocuments({ n: { $in: [1, 2, 3] } })).toBe(3);
    expect(counters.docsExamined - before).toBe(3);
  });

  it('returns the same results with and without indexes', async () => {
    const c = ctx.coll('ix');
    const q = { n: { $gt: 1990 } };
    const indexed = await c.find(q).sort({ n: 1 }).toArray();
    const scanned = await c.find({ $and: [q] }).sort({ n: 1 }).toArray();
    expect(indexed.map((d) => d.n)).toEqual([1991, 1992, 1993, 1994, 1995, 1996, 1997, 1998, 1999]);
    expect(scanned).toEqual(indexed);
    const multikey = ctx.coll('mk');
    await multikey.createIndex({ tags: 1 });
    await multikey.insertMany([{ tags: [1, 20] }, { tags: [5] }, { tags: 9 }, { tags: [] }, {}]);
    expect(await multikey.countDocuments({ tags: { $gt: 4, $lt: 10 } })).toBe(3);
    expect(await multikey.countDocuments({ tags: 20 })).toBe(1);
    expect(await multikey.countDocuments({ tags: null })).toBe(1);
  });

  it('lists and drops indexes, and rejects conflicting definitions', async () => {
    const c = ctx.coll('ix');
    const names = (await c.listIndexes().toArray()).map((i) => i.name);
    expect(names).toEqual(['_id_', 'n_1', 'tag_1_n_-1']);
    await expect(c.createIndex({ free: 1 }, { name: 'n_1' })).rejects.toMatchObject({ code: 86 });
    expect(await c.createIndex({ n: 1 })).toBe('n_1');
    await c.dropIndex('n_1');
    await expect(c.dropIndex('n_1')).rejects.toMatchObject({ code: 27 });
    await expect(ctx.coll('nope').listIndexes().toArray()).rejects.toMatchObject({ code: 26 });
    await c.dropIndexes();
    expect((await c.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
    await expect(c.createIndex({ body: 'text' })).rejects.toMatchObject({ code: 115 });
  });

  it('enforces compound, sparse and partial unique indexes', async () => {
    const c = ctx.coll('uq');
    await c.createIndex({ a: 1, b: 1 }, { unique: true });
    await c.insertOne({ a: 1, b: 1 });
    await c.insertOne({ a: 1, b: 2 });
    await expect(c.insertOne({ a: 1, b: 1 })).rejects.toMatchObject({ code: 11000, keyValue: { a: 1, b: 1 }, keyPattern: { a: 1, b: 1 } });
    const s = ctx.coll('sparse');
    await s.createIndex({ email: 1 }, { unique: true, sparse: true });
    await s.insertMany([{}, {}, { email: 'x' }]);
    await expect(s.insertOne({ email: 'x' })).rejects.toMatchObject({ code: 11000 });
    const p = ctx.coll('partial');
    await p.createIndex({ user: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await p.insertMany([{ user: 'u', active: false }, { user: 'u', active: false }, { user: 'u', active: true }]);
    await expect(p.insertOne({ user: 'u', active: true })).rejects.toMatchObject({ code: 11000 });
    const missing = ctx.coll('missingUnique');
    await missing.createIndex({ k: 1 }, { unique: true });
    await missing.insertOne({});
    await expect(missing.insertOne({})).rejects.toMatchObject({ code: 11000, keyValue: { k: null } });
    const dup = ctx.coll('dupdata');
    await dup.insertMany([{ v: 1 }, { v: 1 }]);
    await expect(dup.createIndex({ v: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
  });

  it('expires documents through TTL indexes', async () => {
    const c = ctx.coll('ttl');
    await c.createIndex({ at: 1 }, { expireAfterSeconds: 1 });
    await c.insertMany([
      { k: 'old', at: new Date(Date.now() - 5000) },
      { k: 'arr', at: [new Date(Date.now() - 5000), new Date(Date.now() + 60_000)] },
      { k: 'new', at: new Date(Date.now() + 60_000) },
      { k: 'none' },
      { k: 'str', at: 'yesterday' },
    ]);
    const deadline = Date.now() + 5000;
    while ((await c.countDocuments()) > 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await c.find().toArray()).map((d) => d.k).sort()).toEqual(['new', 'none', 'str']);
  });
});

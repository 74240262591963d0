import { describe, expect, it } from 'vitest';
import { useLocalDb } from './testing.js';

const ctx = useLocalDb();

async function apply(doc: Record<string, unknown>, update: Record<string, unknown> | Record<string, unknown>[], options: Record<string, unknown> = {}): Promise<unknown> {
  const c = ctx.coll('ops');
  await c.deleteMany({});
  await c.insertOne({ _id: 1, ...doc });
  await c.updateOne({ _id: 1, ...((options.filter as object) ?? {}) }, update, options);
  return c.findOne({ _id: 1 }, { projection: { _id: 0 } });
}

describe('update operators', () => {
  it('$set $unset $inc $mul $min $max $rename', async () => {
    expect(await apply({ a: 1, b: { c: 2 } }, { $set: { a: 5, 'b.d': 3 } })).toEqual({ a: 5, b: { c: 2, d: 3 } });
    expect(await apply({ a: 1, b: 2 }, { $unset: { a: '' } })).toEqual({ b: 2 });
    expect(await apply({ n: 1 }, { $inc: { n: 2, m: 5 } })).toEqual({ n: 3, m: 5 });
    expect(await apply({ n: 3 }, { $mul: { n: 4, z: 2 } })).toEqual({ n: 12, z: 0 });
    expect(await apply({ lo: 5, hi: 5 }, { $min: { lo: 3, hi: 9 } })).toEqual({ lo: 3, hi: 5 });
    expect(await apply({ lo: 5, hi: 5 }, { $max: { lo: 3, hi: 9 } })).toEqual({ lo: 5, hi: 9 });
    expect(await apply({ old: 1, keep: 2 }, { $rename: { old: 'fresh' } })).toEqual({ keep: 2, fresh: 1 });
  });

  it('$bit', async () => {
    expect(await apply({ f: 5 }, { $bit: { f: { and: 4 } } })).toEqual({ f: 4 });
    expect(await apply({ f: 5 }, { $bit: { f: { or: 2 } } })).toEqual({ f: 7 });
  });

  it('$currentDate', async () => {
    const out = (await apply({}, { $currentDate: { at: true } })) as { at: Date };
    expect(out.at).toBeInstanceOf(Date);
    expect(Math.abs(out.at.getTime() - Date.now())).toBeLessThan(5000);
  });

  it('$push with $each $slice $sort $position, $addToSet, $pop, $pull, $pullAll', async () => {
    expect(await apply({ a: [1] }, { $push: { a: 2 } })).toEqual({ a: [1, 2] });
    expect(await apply({ a: [1, 5] }, { $push: { a: { $each: [3, 4], $position: 1 } } })).toEqual({ a: [1, 3, 4, 5] });
    expect(await apply({ a: [5, 1] }, { $push: { a: { $each: [3, 9], $sort: 1, $slice: 3 } } })).toEqual({ a: [1, 3, 5] });
    expect(await apply({ a: [{ s: 2 }, { s: 1 }] }, { $push: { a: { $each: [{ s: 3 }], $sort: { s: -1 }, $slice: -2 } } })).toEqual({ a: [{ s: 2 }, { s: 1 }] });
    expect(await apply({ a: [1, 2] }, { $addToSet: { a: { $each: [2, 3] } } })).toEqual({ a: [1, 2, 3] });
    expect(await apply({ a: [1, 2] }, { $addToSet: { a: 2 } })).toEqual({ a: [1, 2] });
    expect(await apply({ a: [1, 2, 3] }, { $pop: { a: 1 } })).toEqual({ a: [1, 2] });
    expect(await apply({ a: [1, 2, 3] }, { $pop: { a: -1 } })).toEqual({ a: [2, 3] });
    expect(await apply({ a: [1, 2, 3, 4] }, { $pull: { a: { $gte: 3 } } })).toEqual({ a: [1, 2] });
    expect(await apply({ a: [{ k: 1 }, { k: 2 }] }, { $pull: { a: { k: 2 } } })).toEqual({ a: [{ k: 1 }] });
    expect(await apply({ a: [1, 2, 1, 3] }, { $pullAll: { a: [1, 3] } })).toEqual({ a: [2] });
  });

  it('positional $, $[] and $[id] with arrayFilters', async () => {
    expect(await apply({ a: [1, 2, 3] }, { $set: { 'a.$': 20 } }, { filter: { a: 2 } })).toEqual({ a: [1, 20, 3] });
    expect(await apply({ g: [{ n: 'x', v: 1 }, { n: 'y', v: 2 }] }, { $inc: { 'g.$.v': 10 } }, { filter: { 'g.n': 'y' } })).toEqual({
      g: [{ n: 'x', v: 1 }, { n: 'y', v: 12 }],
    });
    expect(await apply({ a: [1, 2, 3] }, { $inc: { 'a.$[]': 1 } })).toEqual({ a: [2, 3, 4] });
    expect(await apply({ a: [1, 5, 9] }, { $set: { 'a.$[big]': 0 } }, { arrayFilters: [{ big: { $gte: 5 } }] })).toEqual({ a: [1, 0, 0] });
    expect(await apply({ g: [{ t: 'a', n: 1 }, { t: 'b', n: 1 }] }, { $inc: { 'g.$[e].n': 5 } }, { arrayFilters: [{ 'e.t': 'b' }] })).toEqual({
      g: [{ t: 'a', n: 1 }, { t: 'b', n: 6 }],
    });
  });

  it('pipeline updates', async () => {
    expect(await apply({ a: 2, b: 3 }, [{ $set: { sum: { $add: ['$a', '$b'] } } }, { $unset: 'b' }])).toEqual({ a: 2, sum: 5 });
  });

  it('rejects operators applied to values of the wrong type, like MongoDB', async () => {
    const c = ctx.coll('types');
    await c.insertOne({ _id: 't', s: 'str', n: 1, arr: [1] });
    await expect(c.updateOne({ _id: 't' }, { $inc: { s: 1 } })).rejects.toMatchObject({ code: 14 });
    await expect(c.updateOne({ _id: 't' }, { $mul: { s: 2 } })).rejects.toMatchObject({ code: 14 });
    await expect(c.updateOne({ _id: 't' }, { $push: { n: 2 } } as never)).rejects.toMatchObject({ code: 2 });
    await expect(c.updateOne({ _id: 't' }, { $addToSet: { s: 1 } })).rejects.toMatchObject({ code: 2 });
    await expect(c.updateOne({ _id: 't' }, { $pull: { n: 1 } } as never)).rejects.toMatchObject({ code: 2 });
    await expect(c.updateOne({ _id: 't' }, { $pop: { s: 1 } })).rejects.toMatchObject({ code: 14 });
    await expect(c.updateOne({ _id: 't' }, { $set: { 's.x': 1 } })).rejects.toMatchObject({ code: 28 });
    await expect(c.updateOne({ _id: 't' }, { $set: { 'arr.x': 1 } })).rejects.toMatchObject({ code: 28 });
    expect((await c.updateOne({ _id: 't' }, { $unset: { 's.x': 1 } })).modifiedCount).toBe(0);
    expect(await c.findOne({ _id: 't' })).toEqual({ _id: 't', s: 'str', n: 1, arr: [1] });
  });

  it('rejects unknown operators and mixed documents', async () => {
    const c = ctx.coll('ops');
    await expect(c.updateOne({ _id: 1 }, { $frobnicate: { a: 1 } })).rejects.toMatchObject({ name: 'MongoServerError' });
    const res = await ctx.db().command({ update: 'ops', updates: [{ q: { _id: 1 }, u: { $set: { a: 1 }, b: 2 } }] });
    expect(res.writeErrors[0].code).toBe(9);
  });
});

describe('upserts', () => {
  it('inserts from equality conditions, $setOnInsert and reports upserted ids', async () => {
    const c = ctx.coll('ups');
    const r1 = await c.updateOne({ sku: 'a', qty: { $gt: 1 } }, { $set: { price: 5 }, $setOnInsert: { created: true } }, { upsert: true });
    expect(r1).toMatchObject({ matchedCount: 0, modifiedCount: 0, upsertedCount: 1 });
    expect(await c.findOne({ _id: r1.upsertedId! }, { projection: { _id: 0 } })).toEqual({ sku: 'a', price: 5, created: true });
    const r2 = await c.updateOne({ sku: 'a' }, { $set: { price: 6 }, $setOnInsert: { created: false } }, { upsert: true });
    expect(r2).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    expect((await c.findOne({ sku: 'a' }))?.created).toBe(true);
    const r3 = await c.replaceOne({ _id: 'fixed' }, { v: 1 }, { upsert: true });
    expect(r3.upsertedId).toBe('fixed');
    const r4 = await c.updateOne({ 'meta.k': 1, $and: [{ x: 2 }] }, { $inc: { n: 1 } }, { upsert: true });
    expect(await c.findOne({ _id: r4.upsertedId! }, { projection: { _id: 0 } })).toEqual({ meta: { k: 1 }, x: 2, n: 1 });
    const bulk = await c.bulkWrite([
      { updateOne: { filter: { sku: 'q1' }, update: { $set: { v: 1 } }, upsert: true } },
      { updateOne: { filter: { sku: 'a' }, update: { $set: { v: 1 } }, upsert: true } },
      { updateOne: { filter: { sku: 'q2' }, update: { $set: { v: 1 } }, upsert: true } },
    ]);
    expect(bulk.upsertedCount).toBe(2);
    expect(Object.keys(bulk.upsertedIds)).toEqual(['0', '2']);
    expect(bulk.matchedCount).toBe(1);
  });
});

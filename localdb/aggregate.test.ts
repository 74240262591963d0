import { describe, expect, it } from 'vitest';
import { useLocalDb } from './testing.js';

const ctx = useLocalDb();

describe('aggregation', () => {
  it('runs $match $group $sort $project $unwind $limit $skip $addFields $count', async () => {
    const orders = ctx.coll('orders');
    await orders.insertMany([
      { _id: 1, cust: 'a', items: ['x', 'y'], total: 10 },
      { _id: 2, cust: 'b', items: ['x'], total: 20 },
      { _id: 3, cust: 'a', items: [], total: 5 },
      { _id: 4, cust: 'c', items: ['z'], total: 7 },
    ]);
    const byCust = await orders
      .aggregate([{ $match: { total: { $gte: 5 } } }, { $group: { _id: '$cust', sum: { $sum: '$total' }, n: { $sum: 1 } } }, { $sort: { sum: -1 } }])
      .toArray();
    expect(byCust).toEqual([
      { _id: 'b', sum: 20, n: 1 },
      { _id: 'a', sum: 15, n: 2 },
      { _id: 'c', sum: 7, n: 1 },
    ]);
    const unwound = await orders.aggregate([{ $unwind: '$items' }, { $project: { _id: 0, items: 1 } }, { $skip: 1 }, { $limit: 2 }]).toArray();
    expect(unwound).toEqual([{ items: 'y' }, { items: 'x' }]);
    const added = await orders.aggregate([{ $addFields: { double: { $multiply: ['$total', 2] } } }, { $match: { double: { $gt: 15 } } }, { $count: 'n' }]).toArray();
    expect(added).toEqual([{ n: 2 }]);
    expect((await orders.findOne({ _id: 1 }))?.double).toBeUndefined();
  });

  it('joins with $lookup and fans out with $facet', async () => {
    const custs = ctx.coll('custs');
    await custs.insertMany([{ _id: 'a', name: 'Ann' }, { _id: 'b', name: 'Bob' }]);
    const joined = await ctx
      .coll('orders')
      .aggregate([{ $match: { cust: { $in: ['a', 'b'] } } }, { $lookup: { from: 'custs', localField: 'cust', foreignField: '_id', as: 'c' } }, { $sort: { _id: 1 } }, { $project: { name: { $first: '$c.name' } } }])
      .toArray();
    expect(joined).toEqual([
      { _id: 1, name: 'Ann' },
      { _id: 2, name: 'Bob' },
      { _id: 3, name: 'Ann' },
    ]);
    const [facets] = await ctx
      .coll('orders')
      .aggregate([{ $facet: { count: [{ $count: 'n' }], top: [{ $sort: { total: -1 } }, { $limit: 1 }, { $project: { _id: 1 } }] } }])
      .toArray();
    expect(facets).toEqual({ count: [{ n: 4 }], top: [{ _id: 2 }] });
  });

  it('serves countDocuments and estimatedDocumentCount, and $collStats count', async () => {
    const orders = ctx.coll('orders');
    expect(await orders.countDocuments({ cust: 'a' })).toBe(2);
    expect(await orders.countDocuments({ cust: 'nobody' })).toBe(0);
    expect(await orders.estimatedDocumentCount()).toBe(4);
    const [stats] = await orders.aggregate([{ $collStats: { count: {} } }]).toArray();
    expect(stats?.count).toBe(4);
    expect(await ctx.coll('missing').countDocuments()).toBe(0);
    expect(await ctx.coll('missing').aggregate([{ $match: {} }]).toArray()).toEqual([]);
  });

  it('iterates large aggregation results with getMore', async () => {
    const c = ctx.coll('aggmany');
    await c.insertMany(Array.from({ length: 3000 }, (_, i) => ({ i, g: i % 7 })));
    const out = await c.aggregate([{ $match: { g: 3 } }, { $project: { _id: 0, i: 1 } }], { batchSize: 50 }).toArray();
    expect(out).toHaveLength(Math.ceil((3000 - 3) / 7));
  });

  it('refuses change streams, $out and $merge with CommandNotSupported', async () => {
    const orders = ctx.coll('orders');
    await expect(orders.aggregate([{ $out: 'x' }]).toArray()).rejects.toMatchObject({ code: 115 });
    await expect(orders.aggregate([{ $merge: { into: 'x' } }]).toArray()).rejects.toMatchObject({ code: 115 });
    const stream = orders.watch();
    await expect(stream.tryNext()).rejects.toMatchObject({ code: 115 });
    await stream.close();
    await expect(orders.aggregate([{ $bogus: 1 }]).toArray()).rejects.toMatchObject({ code: 40324 });
  });
});

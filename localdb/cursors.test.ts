import { Long } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { useLocalDb } from './testing.js';

const ctx = useLocalDb();

describe('cursors', () => {
  it('iterates 20,000 documents through getMore batches', async () => {
    const c = ctx.coll('many');
    const docs = Array.from({ length: 20_000 }, (_, i) => ({ i, pad: 'x'.repeat(50) }));
    await c.insertMany(docs);
    const first = await ctx.db().command({ find: 'many', filter: {} });
    expect(first.cursor.firstBatch).toHaveLength(101);
    expect(first.cursor.id).toBeInstanceOf(Long);
    expect(first.cursor.id.isZero()).toBe(false);
    const more = await ctx.db().command({ getMore: first.cursor.id, collection: 'many', batchSize: 500 });
    expect(more.cursor.nextBatch).toHaveLength(500);
    expect(more.cursor.nextBatch[0].i).toBe(101);
    await ctx.db().command({ killCursors: 'many', cursors: [first.cursor.id] });
    let n = 0;
    let last = -1;
    for await (const d of c.find({}, { batchSize: 1000 }).sort({ i: 1 })) {
      expect(d.i).toBe(last + 1);
      last = d.i as number;
      n++;
    }
    expect(n).toBe(20_000);
    expect(ctx.server().server.state.cursors.size).toBe(0);
  });

  it('kills a cursor closed early and answers CursorNotFound afterwards', async () => {
    const c = ctx.coll('many');
    const cursor = c.find({}, { batchSize: 10 });
    await cursor.next();
    const id = cursor.id!;
    expect(ctx.server().server.state.cursors.has(id.toBigInt())).toBe(true);
    await cursor.close();
    expect(ctx.server().server.state.cursors.has(id.toBigInt())).toBe(false);
    await expect(ctx.db().command({ getMore: id, collection: 'many' })).rejects.toMatchObject({ code: 43, codeName: 'CursorNotFound' });
    const killed = await ctx.db().command({ killCursors: 'many', cursors: [id] });
    expect(killed.cursorsNotFound).toHaveLength(1);
  });

  it('honours limit, negative limit and singleBatch', async () => {
    expect((await ctx.db().command({ find: 'many', limit: 5 })).cursor).toMatchObject({ firstBatch: { length: 5 } });
    const neg = await ctx.db().command({ find: 'many', limit: -150 });
    expect(neg.cursor.firstBatch).toHaveLength(150);
    expect(String(neg.cursor.id)).toBe('0');
    const limited = await ctx.coll('many').find({}).limit(250).batchSize(100).toArray();
    expect(limited).toHaveLength(250);
    const empty = await ctx.db().command({ find: 'many', batchSize: 0 });
    expect(empty.cursor.firstBatch).toHaveLength(0);
    expect(String(empty.cursor.id)).not.toBe('0');
    await ctx.db().command({ killCursors: 'many', cursors: [empty.cursor.id] });
  });

  it('splits batches so that no reply exceeds 16 MiB', async () => {
    const c = ctx.coll('big');
    const mb = 'y'.repeat(1024 * 1024);
    for (let i = 0; i < 40; i++) await c.insertOne({ i, mb });
    const first = await ctx.db().command({ find: 'big', batchSize: 1000 });
    const n = first.cursor.firstBatch.length;
    expect(n).toBeGreaterThan(5);
    expect(n).toBeLessThan(16);
    expect((await c.find({}).toArray()).length).toBe(40);
    await ctx.db().command({ killCursors: 'big', cursors: [first.cursor.id] });
  });
});

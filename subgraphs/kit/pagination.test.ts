/**
 * Relay connections over a real localdb: `connectionLoader` answers, for many parents at once,
 * exactly the pages `paginate` answers for each parent alone (same cursors, page info and counts),
 * with one database command per batch for the pages and one for the counts.
 */
import { Schema, Types, type Connection, type Model } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalDb } from '../../localdb/index.js';
import { openConnection } from './db.js';
import { badInput } from '../../platform/errors.js';
import { clearLoaders } from './loaders.js';
import { connectionLoader, paginate, type Connection as Page, type PageArgs } from './pagination.js';

interface Child {
  _id: Types.ObjectId;
  parentId: Types.ObjectId;
  day: Date;
  kind: 'A' | 'B';
}

/** Children per parent: none, one, a few, more than a page, more than the largest page. */
const SIZES = [0, 1, 3, 25, 130];
const DAY = 86_400_000;

let db: { uri: string; stop(): Promise<void> };
let conn: Connection;
let Children: Model<Child>;
const parents = SIZES.map(() => new Types.ObjectId());
const commands: string[] = [];

beforeAll(async () => {
  db = await startLocalDb({ port: 0 });
  conn = await openConnection(db.uri, 'pagination_test', { monitorCommands: true });
  conn.getClient().on('commandStarted', (e) => {
    if (['find', 'aggregate', 'getMore', 'count'].includes(e.commandName)) commands.push(e.commandName);
  });
  Children = conn.model<Child>('Child', new Schema<Child>({ parentId: Schema.Types.ObjectId, day: Date, kind: String }, { versionKey: false }));
  // Four children share each day, so ordering by day needs the _id tie-breaker to page correctly.
  const docs = parents.flatMap((parentId, p) =>
    Array.from({ length: SIZES[p]! }, (_, i) => ({ _id: new Types.ObjectId(), parentId, day: new Date(Date.UTC(2030, 0, 1) + Math.floor((i * 7) % 40 / 4) * DAY), kind: i % 3 ? 'A' : 'B' })),
  );
  await Children.insertMany(docs, { lean: true });
});
afterAll(async () => {
  await conn?.close();
  await db?.stop();
});

type Shape = Omit<Page<Child>, 'totalCount'> & { totalCount: number };

async function settle(page: Page<Child>): Promise<Shape> {
  return { edges: page.edges, pageInfo: page.pageInfo, totalCount: await page.totalCount() };
}

/** Counts the data commands `fn` sends. */
async function counted<T>(fn: () => Promise<T>): Promise<{ value: T; commands: string[] }> {
  commands.length = 0;
  const value = await fn();
  return { value, commands: [...commands] };
}

const ORDERS = [
  { sortField: '_id', direction: 1 },
  { sortField: '_id', direction: -1 },
  { sortField: 'day', direction: 1 },
  { sortField: 'day', direction: -1 },
] as const;

describe('connectionLoader', () => {
  for (const order of ORDERS) {
    it(`walks every parent's pages exactly as paginate does (${order.sortField} ${order.direction === 1 ? 'ascending' : 'descending'})`, async () => {
      for (const first of [2, null, 100]) {
        const loader = connectionLoader<Child, { kind?: 'A' | 'B' }>(Children, { parentField: 'parentId', ...order, baseFilter: (a) => (a?.kind ? { kind: a.kind } : {}) });
        const cursors = new Map<number, string | null>(parents.map((_, p) => [p, null]));
        let pages = 0;
        while (cursors.size) {
          const active = [...cursors];
          const [loaded, expected] = await Promise.all([
            Promise.all(active.map(([p, after]) => loader.load({ parentId: parents[p]!.toHexString(), first, after, args: { kind: 'A' } }).then(settle))),
            Promise.all(active.map(([p, after]) => paginate(Children, { filter: { parentId: parents[p], kind: 'A' }, ...order, page: { first, after } }).then(settle))),
          ]);
          expect(loaded).toEqual(expected);
          active.forEach(([p], i) => (loaded[i]!.pageInfo.hasNextPage ? cursors.set(p, loaded[i]!.pageInfo.endCursor) : cursors.delete(p)));
          pages++;
        }
        // The largest parent has 86 children of kind A (130 less every third).
        expect(pages).toBe(Math.ceil(86 / (first ?? 20)));
      }
    });
  }

  it('answers N parents with one aggregate for the pages and one for the counts', async () => {
    const loader = connectionLoader<Child>(Children, { parentField: 'parentId' });
    const { value, commands: sent } = await counted(async () => {
      const pages = await Promise.all(parents.map((p) => loader.load({ parentId: p.toHexString(), first: 2 })));
      return Promise.all(pages.map(settle));
    });
    expect(sent).toEqual(['aggregate', 'aggregate']);
    expect(value.map((c) => c.totalCount)).toEqual(SIZES);
    expect(value.map((c) => c.edges.length)).toEqual(SIZES.map((n) => Math.min(n, 2)));
    expect(value.map((c) => c.pageInfo.hasNextPage)).toEqual(SIZES.map((n) => n > 2));
    const nodes = value.flatMap((c) => c.edges.map((e) => e.node));
    expect(nodes.every((n) => n._id instanceof Types.ObjectId && n.day instanceof Date)).toBe(true);
  });

  it('reads one parent with a plain find and counts nothing unless totalCount is asked', async () => {
    const loader = connectionLoader<Child>(Children, { parentField: 'parentId' });
    const { value, commands: sent } = await counted(() => loader.load({ parentId: parents[4]!.toHexString(), first: 10 }));
    expect(sent).toEqual(['find']);
    expect(value.edges).toHaveLength(10);
  });

  it('runs one query per distinct page and arguments, and caches per request', async () => {
    const loader = connectionLoader<Child, { kind?: 'A' | 'B' }>(Children, { parentField: 'parentId', baseFilter: (a) => (a?.kind ? { kind: a.kind } : {}) });
    const ids = parents.map((p) => p.toHexString());
    const ask = () =>
      Promise.all([
        ...ids.map((parentId) => loader.load({ parentId, first: 1 })),
        ...ids.map((parentId) => loader.load({ parentId, first: 1, args: { kind: 'B' } })),
        ...ids.map((parentId) => loader.load({ parentId, first: 3 })),
      ]);
    const { value, commands: sent } = await counted(ask);
    expect(sent).toEqual(['aggregate', 'aggregate', 'aggregate']);
    expect(value.slice(5, 10).every((c) => c.edges.every((e) => e.node.kind === 'B'))).toBe(true);
    expect(value[14]!.edges).toHaveLength(3);
    expect((await counted(ask)).commands).toEqual([]);
    clearLoaders({ loader });
    expect((await counted(ask)).commands).toHaveLength(3);
  });

  it('forgets one parent on clearParent and everything on clearAll, counts included', async () => {
    const loader = connectionLoader<Child>(Children, { parentField: 'parentId' });
    const [a, b] = [parents[2]!.toHexString(), parents[3]!.toHexString()];
    const both = async () => Promise.all([a, b].map(async (parentId) => (await loader.load({ parentId, first: 1 })).totalCount()));
    await both();
    const extra = await Children.create({ parentId: parents[2], day: new Date(), kind: 'A' });
    try {
      expect((await counted(both)).value).toEqual([3, 25]);
      loader.clearParent(a.toUpperCase());
      const again = await counted(both);
      expect(again.value).toEqual([4, 25]);
      expect(again.commands).toEqual(['find', 'aggregate']);
      loader.clearAll();
      expect((await counted(both)).commands).toEqual(['aggregate', 'aggregate']);
    } finally {
      await Children.deleteOne({ _id: extra._id });
    }
  });

  it('rejects a bad page size, cursor, filter argument or parent id as BAD_USER_INPUT for those keys only', async () => {
    const loader = connectionLoader<Child, { kind?: string }>(Children, {
      parentField: 'parentId',
      baseFilter: (a) => {
        if (a?.kind !== undefined && a.kind !== 'A' && a.kind !== 'B') throw badInput('kind', 'must be A or B');
        return a?.kind ? { kind: a.kind } : {};
      },
    });
    const p = parents[3]!.toHexString();
    const results = await Promise.allSettled([
      loader.load({ parentId: p, first: 101 }),
      loader.load({ parentId: p, first: -1 }),
      loader.load({ parentId: p, first: 2, after: 'not-a-cursor' }),
      loader.load({ parentId: p, first: 2, args: { kind: 'C' } }),
      loader.load({ parentId: 'nope', first: 2 }),
      loader.load({ parentId: p, first: 2 }),
      loader.load({ parentId: p, first: 0 }),
    ]);
    const targets = results.slice(0, 5).map((r) => (r.status === 'rejected' ? (r.reason as { extensions?: { code?: string; target?: string } }).extensions : r.status));
    expect(targets.map((x) => (x as { code?: string }).code)).toEqual(Array(5).fill('BAD_USER_INPUT'));
    expect(targets.map((x) => (x as { target?: string }).target)).toEqual(['first', 'first', 'after', 'kind', 'id']);
    const [fine, empty] = results.slice(5).map((r) => (r.status === 'fulfilled' ? r.value : null));
    expect(fine?.edges).toHaveLength(2);
    expect(empty?.edges).toEqual([]);
    expect(empty?.pageInfo.hasNextPage).toBe(false);
    expect(await empty?.totalCount()).toBe(25);
  });
});

describe('paginate', () => {
  it('still pages a root list with its count', async () => {
    const args: PageArgs = { first: 50 };
    const page = await paginate(Children, { filter: { parentId: parents[4] }, sortField: 'day', page: args });
    expect(page.edges).toHaveLength(50);
    expect(page.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(await page.totalCount()).toBe(130);
  });
});

/**
 * Relay connections over mongoose queries with opaque, stable cursors.
 *
 * Order is (sortField, _id), so cursors stay valid while documents are inserted; a cursor encodes
 * the sort value and the _id of the last edge. Page size defaults to 20 and is capped at 100.
 * `paginate` answers one connection (root lists); `connectionLoader` answers the connections of
 * many parents at once (a connection under each item of a list) with one query per batch.
 */
import DataLoader from 'dataloader';
import type { Model, QueryFilter } from 'mongoose';
import { Types } from 'mongoose';
import { badInput } from '../../platform/errors.js';
import { maybeObjectId } from './ids.js';

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

/** Relay page arguments as a list field receives them. */
export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** A Relay connection: one page of nodes with opaque cursors. */
export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null; hasPreviousPage: boolean; startCursor: string | null };
  /** Resolved lazily: only counted when the client selects it. */
  totalCount: () => Promise<number>;
}

/** What to page through, in which order. */
export interface PaginateOptions<T> {
  filter?: QueryFilter<T>;
  /** Field to order by (besides _id as tie-breaker). Default `_id`. */
  sortField?: string;
  direction?: 1 | -1;
  page: PageArgs;
}

type CursorValue = string | number | boolean | null | { $date: string };

function encodeValue(v: unknown): CursorValue {
  if (v instanceof Date) return { $date: v.toISOString() };
  if (v instanceof Types.ObjectId) return v.toHexString();
  if (v === undefined) return null;
  return v as CursorValue;
}

function decodeValue(v: CursorValue): unknown {
  if (v && typeof v === 'object' && '$date' in v) return new Date(v.$date);
  return v;
}

/** Validates `first`: default 20, 0..100, BAD_USER_INPUT otherwise. */
function pageSize(first: number | null | undefined, target = 'first'): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badInput(target, `first must be between 0 and ${MAX_PAGE_SIZE}`);
  }
  return first;
}

/** Encodes an opaque cursor. */
function encodeCursor(sortValue: unknown, id: unknown): string {
  const payload = JSON.stringify([encodeValue(sortValue), String(id)]);
  return Buffer.from(payload, 'utf8').toString('base64url');
}

/** Decodes a cursor; a malformed one is BAD_USER_INPUT at `after`. */
export function decodeCursor(cursor: string, target = 'after'): { value: unknown; id: Types.ObjectId } {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string' && /^[0-9a-f]{24}$/.test(parsed[1])) {
      return { value: decodeValue(parsed[0] as CursorValue), id: new Types.ObjectId(parsed[1]) };
    }
  } catch {
    /* fall through */
  }
  throw badInput(target, 'The cursor is not valid for this list');
}

/** A validated page request: size, order, and the condition that starts the page after its cursor. */
export interface PagePlan {
  first: number;
  sortField: string;
  sort: Record<string, 1 | -1>;
  /** Documents strictly after the `after` cursor in (sortField, _id) order; null without a cursor. */
  afterFilter: Record<string, unknown> | null;
}

/** Validates `first` and `after` (BAD_USER_INPUT at the argument) and plans the page's order. */
function planPage(page: PageArgs, sortField = '_id', dir: 1 | -1 = 1): PagePlan {
  const first = pageSize(page.first);
  let afterFilter: Record<string, unknown> | null = null;
  if (page.after) {
    const { value, id } = decodeCursor(page.after);
    const cmp = dir === 1 ? '$gt' : '$lt';
    afterFilter =
      sortField === '_id'
        ? { _id: { [cmp]: id } }
        : { $or: [{ [sortField]: { [cmp]: value } }, { [sortField]: value, _id: { [cmp]: id } }] };
  }
  const sort: Record<string, 1 | -1> = sortField === '_id' ? { _id: dir } : { [sortField]: dir, _id: dir };
  return { first, sortField, sort, afterFilter };
}

/**
 * The conjunction of filters, kept flat where the fields do not collide (so an index on the first
 * filter's fields still applies); colliding conditions go under `$and`.
 */
function allOf(first: Record<string, unknown>, ...more: Array<Record<string, unknown> | null | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...first };
  const extra: Array<Record<string, unknown>> = [];
  for (const f of more) {
    if (!f) continue;
    for (const [k, v] of Object.entries(f)) {
      if (k in out) extra.push({ [k]: v });
      else out[k] = v;
    }
  }
  if (extra.length) out.$and = [...(Array.isArray(out.$and) ? (out.$and as unknown[]) : []), ...extra];
  return out;
}

/** Builds a connection from the documents of a page read with `limit(first + 1)`. */
function toConnection<T extends { _id: unknown }>(docs: T[], plan: PagePlan, page: PageArgs, totalCount: () => Promise<number>): Connection<T> {
  const page0 = docs.slice(0, plan.first);
  const edges = page0.map((node) => ({
    cursor: encodeCursor(plan.sortField === '_id' ? null : (node as Record<string, unknown>)[plan.sortField], node._id),
    node,
  }));
  return {
    edges,
    pageInfo: {
      hasNextPage: docs.length > plan.first,
      endCursor: edges.at(-1)?.cursor ?? null,
      hasPreviousPage: Boolean(page.after),
      startCursor: edges[0]?.cursor ?? null,
    },
    totalCount,
  };
}

/** Runs one page of a connection: one query for the page (+1 to know hasNextPage). */
export async function paginate<T extends { _id: unknown }>(model: Model<T>, opts: PaginateOptions<T>): Promise<Connection<T>> {
  const plan = planPage(opts.page, opts.sortField ?? '_id', opts.direction ?? 1);
  const base = (opts.filter ?? {}) as Record<string, unknown>;
  const filter = allOf(base, plan.afterFilter) as QueryFilter<T>;
  const docs = plan.first === 0 ? [] : ((await model.find(filter).sort(plan.sort).limit(plan.first + 1).lean().exec()) as unknown as T[]);
  return toConnection(docs, plan, opts.page, () => model.countDocuments(base as QueryFilter<T>).exec());
}

/** One connection asked of a ConnectionLoader: the parent's id, the page, and the other field arguments. */
export interface ConnectionKey<A = undefined> extends PageArgs {
  parentId: string;
  /** Further field arguments (JSON values), turned into a filter by `baseFilter`. */
  args?: A;
}

/** How a ConnectionLoader finds the children of a parent. */
export interface ConnectionLoaderOptions<A> {
  /** The children's field holding the parent's ObjectId. */
  parentField: string;
  /** Field to order by (besides _id as tie-breaker). Default `_id`. */
  sortField?: string;
  direction?: 1 | -1;
  /** Filter from the other field arguments; may throw coded errors (they reject those keys). */
  baseFilter?: (args: A | undefined) => Record<string, unknown>;
}

type CountKey<A> = Pick<ConnectionKey<A>, 'parentId' | 'args'>;

const argsKey = (k: { args?: unknown }) => JSON.stringify(k.args ?? null);
const pageGroupKey = (k: ConnectionKey<unknown>) => JSON.stringify([k.first ?? null, k.after ?? null, k.args ?? null]);
const parentKey = (id: unknown) => String(id).toLowerCase();

/**
 * A DataLoader batch function that runs `run` once per group of keys sharing everything but the
 * parent, with all their parents' ids; a group's error rejects that group's keys only.
 */
function perGroup<K extends CountKey<unknown>, V>(groupOf: (k: K) => string, run: (sample: K, ids: Types.ObjectId[]) => Promise<(parentId: string) => V>) {
  return async (keys: readonly K[]): Promise<Array<V | Error>> => {
    const answers = new Map<K, V | Error>();
    /** Keys answered by one query, with the first of them, whose arguments the query uses. */
    const groups = new Map<string, { first: K; members: K[]; ids: Map<string, Types.ObjectId> }>();
    for (const k of keys) {
      const id = maybeObjectId(k.parentId);
      if (!id) {
        answers.set(k, badInput('id', `'${String(k.parentId).slice(0, 64)}' is not a valid ID`));
        continue;
      }
      const g = groupOf(k);
      const group = groups.get(g) ?? { first: k, members: [] as K[], ids: new Map<string, Types.ObjectId>() };
      group.members.push(k);
      group.ids.set(id.toHexString(), id);
      groups.set(g, group);
    }
    await Promise.all(
      [...groups.values()].map(async ({ first, members, ids }) => {
        try {
          const answer = await run(first, [...ids.values()]);
          for (const m of members) answers.set(m, answer(parentKey(m.parentId)));
        } catch (err) {
          for (const m of members) answers.set(m, err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
    return keys.map((k) => answers.get(k) as V | Error);
  };
}

/** Deletes the entries of one parent from a loader cache keyed `<parentId>|...`. */
function forgetParent(cache: Map<string, unknown>, parentId: unknown): void {
  const prefix = `${parentKey(parentId)}|`;
  for (const k of [...cache.keys()]) if (k.startsWith(prefix)) cache.delete(k);
}

/**
 * Per-request loader of Relay connections under many parents (e.g. an event's registrations for
 * every event of a list). Keys with the same page and arguments share one query for all their
 * parents: a single parent is read with find + limit; several with one aggregate that keeps the
 * first `first + 1` children of each parent (`$group` + `$topN`, MongoDB 5.2+). `totalCount` is
 * batched the same way (one `$group` count per batch) and only read when selected. Cursors, page
 * size and errors are those of `paginate`; `after` applies to each parent. `clearAll` (as called by
 * `clearLoaders`) empties the counts too.
 */
export class ConnectionLoader<T extends { _id: unknown }, A = undefined> extends DataLoader<ConnectionKey<A>, Connection<T>, string> {
  private readonly pageCache: Map<string, Promise<Connection<T>>>;
  private readonly counts: DataLoader<CountKey<A>, number, string>;
  private readonly countCache: Map<string, Promise<number>>;

  constructor(model: Model<T>, opts: ConnectionLoaderOptions<A>) {
    const { parentField, sortField = '_id', direction = 1 } = opts;
    const filterOf = (args: A | undefined) => opts.baseFilter?.(args) ?? {};
    const parentIs = (ids: Types.ObjectId[]) => ({ [parentField]: ids.length === 1 ? ids[0] : { $in: ids } });
    const countCache = new Map<string, Promise<number>>();
    const counts = new DataLoader<CountKey<A>, number, string>(
      perGroup<CountKey<A>, number>(argsKey, async (sample, ids) => {
        const rows = await model
          .aggregate<{ _id: unknown; n: number }>([{ $match: allOf(parentIs(ids), filterOf(sample.args)) }, { $group: { _id: `$${parentField}`, n: { $sum: 1 } } }])
          .option({ batchSize: ids.length })
          .exec();
        const byParent = new Map(rows.map((r) => [parentKey(r._id), Number(r.n)]));
        return (parentId) => byParent.get(parentId) ?? 0;
      }),
      { cacheKeyFn: (k) => `${parentKey(k.parentId)}|${argsKey(k)}`, cacheMap: countCache },
    );
    const pageCache = new Map<string, Promise<Connection<T>>>();
    super(
      perGroup<ConnectionKey<A>, Connection<T>>(pageGroupKey, async (sample, ids) => {
        const plan = planPage(sample, sortField, direction);
        const match = allOf(parentIs(ids), filterOf(sample.args), plan.afterFilter);
        let docs: T[] = [];
        if (plan.first > 0 && ids.length === 1) {
          docs = await model.find(match).sort(plan.sort).limit(plan.first + 1).lean().exec();
        } else if (plan.first > 0) {
          const topN = { n: plan.first + 1, sortBy: plan.sort, output: '$$ROOT' };
          docs = await model
            .aggregate<T>([{ $match: match }, { $group: { _id: `$${parentField}`, docs: { $topN: topN } } }, { $unwind: '$docs' }, { $replaceWith: '$docs' }])
            .option({ batchSize: ids.length * (plan.first + 1) })
            .exec();
        }
        const byParent = new Map<string, T[]>();
        for (const d of docs) {
          const p = parentKey((d as Record<string, unknown>)[parentField]);
          const children = byParent.get(p);
          if (children) children.push(d);
          else byParent.set(p, [d]);
        }
        return (parentId) => toConnection(byParent.get(parentId) ?? [], plan, sample, () => counts.load({ parentId, args: sample.args }));
      }),
      { cacheKeyFn: (k) => `${parentKey(k.parentId)}|${pageGroupKey(k)}`, cacheMap: pageCache },
    );
    this.pageCache = pageCache;
    this.counts = counts;
    this.countCache = countCache;
  }

  /** Forgets every connection and count of one parent, e.g. after a write under it. */
  clearParent(parentId: unknown): this {
    forgetParent(this.pageCache, parentId);
    forgetParent(this.countCache, parentId);
    return this;
  }

  /** Forgets every connection and count. */
  override clearAll(): this {
    this.counts.clearAll();
    return super.clearAll();
  }
}

/** Builds a ConnectionLoader (call once per request, as part of a subgraph's loaders). */
export function connectionLoader<T extends { _id: unknown }, A = undefined>(model: Model<T>, opts: ConnectionLoaderOptions<A>): ConnectionLoader<T, A> {
  return new ConnectionLoader<T, A>(model, opts);
}

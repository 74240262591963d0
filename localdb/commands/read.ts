import { Long, type Document } from 'bson';
import type { CommandContext, Handler } from '../context.js';
import { CommandError, notSupported } from '../errors.js';
import { parseSort, sortBy, type ExecStats } from '../query.js';
import type { Collection, Rec } from '../storage.js';
import { compareValues, keyOf, valuesAtPath } from '../values.js';
import { checkCollation, collectionName, cursorId, nsOf, optionalCount, optionalDoc, recordRenderer } from './util.js';

/** Result of running a find: the records in result order plus execution statistics. */
export interface FindResult {
  recs: Rec[];
  stats: ExecStats;
}

const UNSUPPORTED_FIND_OPTIONS = ['min', 'max', 'returnKey', 'showRecordId', 'oplogReplay', 'let'];

/** Runs the query part of a find command (filter, sort, skip, limit). */
export function runFind(ctx: CommandContext, coll: Collection | undefined, body: Document): FindResult {
  for (const opt of UNSUPPORTED_FIND_OPTIONS) if (body[opt] !== undefined && body[opt] !== false) throw notSupported(`find option ${opt}`);
  if (body.tailable === true) throw new CommandError(2, 'error processing query: tailable cursor requested on non capped collection');
  checkCollation(body.collation);
  const filter = optionalDoc(body.filter, 'filter') ?? {};
  const sort = parseSort(body.sort);
  const skip = optionalCount(body.skip, 'skip') ?? 0;
  const rawLimit = body.limit instanceof Long ? body.limit.toNumber() : Number(body.limit ?? 0);
  const limit = Math.abs(Math.trunc(rawLimit)) || 0;
  if (!coll) return { recs: [], stats: { stage: 'COLLSCAN', keysExamined: 0, docsExamined: 0, nReturned: 0 } };
  const early = sort.length === 0 && limit > 0 ? skip + limit : 0;
  const { recs, stats } = ctx.view.select(coll, filter, { limit: early });
  let out = sortBy(recs, sort, (r) => r.doc);
  if (skip || limit) out = out.slice(skip, limit ? skip + limit : undefined);
  stats.nReturned = out.length;
  return { recs: out, stats };
}

const find: Handler = (ctx) => {
  const name = collectionName(ctx, 'find');
  const body = ctx.body;
  const coll = ctx.view.collection(ctx.db, name);
  const { recs } = runFind(ctx, coll, body);
  const projection = optionalDoc(body.projection, 'projection');
  const render = recordRenderer(projection, optionalDoc(body.filter, 'filter') ?? {});
  const negativeLimit = Number(body.limit ?? 0) < 0;
  return ctx.state.cursors.open(nsOf(ctx, name), recs, render, {
    batchSize: negativeLimit ? recs.length : optionalCount(body.batchSize, 'batchSize'),
    singleBatch: body.singleBatch === true || negativeLimit,
    lsid: ctx.body.lsid,
  });
};

const getMore: Handler = (ctx) => {
  const id = cursorId(ctx.body.getMore, 'getMore');
  const coll = ctx.body.collection;
  if (typeof coll !== 'string') throw new CommandError(14, "BSON field 'getMore.collection' is missing but a required field");
  return ctx.state.cursors.getMore(id, nsOf(ctx, coll), ctx.body.batchSize);
};

const killCursors: Handler = (ctx) => {
  collectionName(ctx, 'killCursors');
  const ids = ctx.body.cursors;
  if (!Array.isArray(ids)) throw new CommandError(14, "BSON field 'killCursors.cursors' is missing but a required field");
  const { killed, notFound } = ctx.state.cursors.kill(ids.map((v) => cursorId(v, 'cursors')));
  const toLong = (xs: bigint[]): Long[] => xs.map((x) => Long.fromBigInt(x));
  return { cursorsKilled: toLong(killed), cursorsNotFound: toLong(notFound), cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

/** Number of documents a count command would report. */
export function runCount(ctx: CommandContext, body: Document): { n: number; stats?: ExecStats } {
  const name = collectionName(ctx, 'count');
  const coll = ctx.view.collection(ctx.db, name);
  if (!coll) return { n: 0 };
  checkCollation(body.collation);
  const query = optionalDoc(body.query, 'query') ?? {};
  const skip = optionalCount(body.skip, 'skip') ?? 0;
  const limit = Math.abs(Number(body.limit ?? 0)) || 0;
  let n: number;
  let stats: ExecStats | undefined;
  if (Object.keys(query).length === 0) n = ctx.view.count(coll);
  else ({ recs: { length: n }, stats } = ctx.view.select(coll, query));
  n = Math.max(0, n - skip);
  if (limit) n = Math.min(n, limit);
  return { n, stats };
}

const count: Handler = (ctx) => ({ n: runCount(ctx, ctx.body).n, ok: 1 });

/** The distinct values of a field among matching documents. */
export function runDistinct(ctx: CommandContext, body: Record<string, unknown>): { values: unknown[]; stats?: ExecStats } {
  const name = collectionName(ctx, 'distinct');
  const key = body.key;
  if (typeof key !== 'string') throw new CommandError(14, "BSON field 'distinct.key' is missing but a required field");
  checkCollation(body.collation);
  const coll = ctx.view.collection(ctx.db, name);
  if (!coll) return { values: [] };
  const { recs, stats } = ctx.view.select(coll, optionalDoc(body.query, 'query') ?? {});
  const seen = new Map<string, unknown>();
  for (const rec of recs) {
    for (const v of valuesAtPath(rec.doc, key)) {
      for (const x of Array.isArray(v) ? v : [v]) {
        if (x === undefined) continue;
        const k = keyOf(x);
        if (!seen.has(k)) seen.set(k, x);
      }
    }
  }
  return { values: [...seen.values()].sort(compareValues), stats };
}

const distinct: Handler = (ctx) => ({ values: runDistinct(ctx, ctx.body).values, ok: 1 });

/** Query commands. */
export const readCommands: Record<string, Handler> = { find, getMore, killCursors, count, distinct };

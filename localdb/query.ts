import type { Document } from 'bson';
import type { Query } from 'mingo/query';
import { newQuery } from './matcher.js';
import { CommandError, notSupported } from './errors.js';
import { planQuery, type Access } from './planner.js';
import type { Collection, Rec } from './storage.js';
import { compareValues, isPlainObject, keyOf, valuesAtPath } from './values.js';

/** Execution statistics of one query, as reported by explain. */
export interface ExecStats {
  stage: 'COLLSCAN' | 'IXSCAN' | 'IDHACK';
  indexName?: string;
  keyPattern?: Document;
  multiKey?: boolean;
  keysExamined: number;
  docsExamined: number;
  nReturned: number;
}

/** Counters shared by all queries of one server, for tests and diagnostics. */
export interface QueryCounters {
  collScans: number;
  indexScans: number;
  docsExamined: number;
  keysExamined: number;
}

const UNSUPPORTED_QUERY_OPS = new Set(['$text', '$near', '$nearSphere', '$geoWithin', '$geoIntersects', '$where', '$jsonSchema']);

function checkSupported(filter: unknown): void {
  if (Array.isArray(filter)) {
    for (const f of filter) checkSupported(f);
    return;
  }
  if (!isPlainObject(filter)) return;
  for (const [k, v] of Object.entries(filter)) {
    if (UNSUPPORTED_QUERY_OPS.has(k)) throw notSupported(`query operator ${k}`);
    checkSupported(v);
  }
}

/** Compiles a filter into a predicate, mapping mingo errors to BadValue. */
export function compileFilter(filter: Document): (doc: Document) => boolean {
  if (Object.keys(filter).length === 0) return () => true;
  checkSupported(filter);
  let q: Query;
  try {
    q = newQuery(filter);
  } catch (err) {
    throw new CommandError(2, (err as Error).message);
  }
  return (doc) => q.test(doc);
}

function* accessIds(coll: Collection, access: Access, stats: ExecStats): Generator<string> {
  if (access.kind === 'eq') {
    const seen = access.values.length > 1 ? new Set<string>() : null;
    for (const v of access.values) {
      const ids: Iterable<string> = access.index.isId ? [keyOf(v)] : access.index.lookup(v);
      for (const id of ids) {
        stats.keysExamined++;
        if (seen) {
          if (seen.has(id)) continue;
          seen.add(id);
        }
        yield id;
      }
    }
    return;
  }
  const ids: string[] = [];
  stats.keysExamined += access.index.range(access.lower, access.upper, (id) => {
    ids.push(id);
    return true;
  });
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    yield id;
  }
}

/** Options for selecting records. */
export interface SelectOptions {
  /** Stop after this many matches (0 = no limit). */
  limit?: number;
  /** Records to skip entirely (shadowed by a transaction). */
  shadowed?: (key: string) => boolean;
  counters?: QueryCounters;
}

/** Finds the records matching `filter`, using an index when one applies. */
export function selectRecords(coll: Collection, filter: Document, opts: SelectOptions = {}): { recs: Rec[]; stats: ExecStats } {
  const plan = planQuery(coll, filter);
  const test = compileFilter(plan.residual);
  const residualEmpty = Object.keys(plan.residual).length === 0;
  const stats: ExecStats = { stage: 'COLLSCAN', keysExamined: 0, docsExamined: 0, nReturned: 0 };
  const recs: Rec[] = [];
  const limit = opts.limit ?? 0;
  const consider = (rec: Rec | undefined): boolean => {
    if (!rec || (opts.shadowed && opts.shadowed(rec.key))) return true;
    stats.docsExamined++;
    if (residualEmpty || test(rec.doc)) recs.push(rec);
    return limit === 0 || recs.length < limit;
  };
  if (plan.access) {
    const idx = plan.access.index;
    stats.stage = idx.isId && plan.access.kind === 'eq' ? 'IDHACK' : 'IXSCAN';
    stats.indexName = idx.spec.name;
    stats.keyPattern = idx.spec.key;
    stats.multiKey = idx.multikey;
    for (const id of accessIds(coll, plan.access, stats)) if (!consider(coll.records.get(id))) break;
  } else {
    for (const rec of coll.records.values()) if (!consider(rec)) break;
  }
  stats.nReturned = recs.length;
  const c = opts.counters;
  if (c) {
    if (stats.stage === 'COLLSCAN') c.collScans++;
    else c.indexScans++;
    c.docsExamined += stats.docsExamined;
    c.keysExamined += stats.keysExamined;
  }
  return { recs, stats };
}

/** Validates a sort specification and returns its [path, direction] pairs. */
export function parseSort(sort: unknown): [string, 1 | -1][] {
  if (sort === undefined || sort === null) return [];
  if (!isPlainObject(sort)) throw new CommandError(2, 'sort must be an object');
  return Object.entries(sort).map(([k, v]) => {
    if (isPlainObject(v)) throw notSupported('$meta sort');
    const n = Number(v);
    if (n !== 1 && n !== -1) throw new CommandError(2, `$sort key ordering must be 1 (for ascending) or -1 (for descending)`);
    return [k, n];
  });
}

function sortKey(doc: Document, path: string, dir: 1 | -1): unknown {
  const found = valuesAtPath(doc, path);
  let best: unknown;
  let have = false;
  for (const v of found) {
    const items = Array.isArray(v) ? (v.length ? v : [undefined]) : [v];
    for (const x of items) {
      if (!have || compareValues(x, best) * dir < 0) {
        best = x;
        have = true;
      }
    }
  }
  return have ? best : null;
}

/** Sorts items by a MongoDB sort specification (stable; arrays sort by min/max element). */
export function sortBy<T>(items: T[], spec: [string, 1 | -1][], docOf: (item: T) => Document): T[] {
  const [first] = spec;
  if (first === undefined) return items;
  if (first[0] === '$natural') return first[1] === 1 ? items : items.slice().reverse();
  const keyed = items.map((item) => ({ item, keys: spec.map(([p, d]) => sortKey(docOf(item), p, d)) }));
  keyed.sort((a, b) => {
    for (const [i, [, dir]] of spec.entries()) {
      const c = compareValues(a.keys[i], b.keys[i]);
      if (c !== 0) return c * dir;
    }
    return 0;
  });
  return keyed.map((k) => k.item);
}

/** Applies a find-style projection to a batch of documents. */
export function project(docs: Document[], projection: Document): Document[] {
  try {
    return newQuery({}).find(docs, projection).all() as Document[];
  } catch (err) {
    throw new CommandError(2, (err as Error).message);
  }
}

import type { Document } from 'bson';
import type { Index } from './indexes.js';
import type { Bound } from './ordered.js';
import type { Collection } from './storage.js';
import { isPlainObject, typeOrder } from './values.js';

/** How a query reads a collection. */
export type Access =
  | { kind: 'eq'; index: Index; field: string; values: unknown[] }
  | { kind: 'range'; index: Index; field: string; lower?: Bound; upper?: Bound };

/** The chosen access path and what is left to check with the full matcher. */
export interface Plan {
  access: Access | null;
  /** The filter minus conditions the index answers exactly. */
  residual: Document;
}

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte']);
/** Type classes whose index order matches query comparison exactly: numbers, strings, ObjectId, bool, date. */
const EXACT_RANGE_TYPES = new Set([3, 4, 8, 9, 10]);

function isEqValue(v: unknown, dotted: boolean): boolean {
  if (v === null) return !dotted;
  return !Array.isArray(v) && !(v instanceof RegExp) && !(typeof v === 'object' && v !== null && (v as { _bsontype?: string })._bsontype === 'BSONRegExp') && v !== undefined;
}

function isOperatorObject(v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

interface Candidate {
  access: Access;
  exact: boolean;
}

function analyse(field: string, cond: unknown, index: Index): Candidate | null {
  const dotted = field.includes('.');
  if (!isOperatorObject(cond)) {
    if (!isEqValue(cond, dotted)) return null;
    return { access: { kind: 'eq', index, field, values: [cond] }, exact: true };
  }
  const keys = Object.keys(cond);
  if ('$eq' in cond && isEqValue(cond.$eq, dotted)) {
    return { access: { kind: 'eq', index, field, values: [cond.$eq] }, exact: keys.length === 1 };
  }
  if (Array.isArray(cond.$in) && cond.$in.every((v) => isEqValue(v, dotted))) {
    return { access: { kind: 'eq', index, field, values: cond.$in as unknown[] }, exact: keys.length === 1 };
  }
  const rangeKeys = keys.filter((k) => RANGE_OPS.has(k));
  if (rangeKeys.length === 0) return null;
  let lower: Bound | undefined;
  let upper: Bound | undefined;
  let klass = -1;
  for (const k of rangeKeys) {
    const value = cond[k];
    const t = typeOrder(value);
    if (!EXACT_RANGE_TYPES.has(t) || (klass >= 0 && t !== klass)) return null;
    klass = t;
    if (k === '$gt' || k === '$gte') {
      if (lower) return null;
      lower = { value, inclusive: k === '$gte' };
    } else {
      if (upper) return null;
      upper = { value, inclusive: k === '$lte' };
    }
  }
  let exact = rangeKeys.length === keys.length;
  if (index.multikey && lower && upper) {
    upper = undefined;
    exact = false;
  }
  return { access: { kind: 'range', index, field, lower, upper }, exact };
}

function estimate(c: Candidate, coll: Collection): number {
  if (c.access.kind === 'range') return coll.records.size / 3;
  if (c.access.index.isId) return c.access.values.length;
  let n = 0;
  for (const v of c.access.values) {
    const ids = c.access.index.lookup(v);
    n += ids instanceof Set ? ids.size : 0;
  }
  return n;
}

/** Picks the cheapest index for the filter's top-level conditions, or a collection scan. */
export function planQuery(coll: Collection, filter: Document): Plan {
  let best: Candidate | null = null;
  let bestCost = Infinity;
  for (const field of Object.keys(filter)) {
    if (field.startsWith('$')) continue;
    for (const index of coll.indexes.values()) {
      if (!index.usable || index.fields[0] !== field) continue;
      const c = analyse(field, filter[field], index);
      if (!c) continue;
      const cost = estimate(c, coll);
      if (cost < bestCost) {
        best = c;
        bestCost = cost;
      }
    }
  }
  if (!best) return { access: null, residual: filter };
  if (!best.exact) return { access: best.access, residual: filter };
  const residual: Record<string, unknown> = {};
  for (const k of Object.keys(filter)) if (k !== best.access.field) residual[k] = filter[k];
  return { access: best.access, residual };
}

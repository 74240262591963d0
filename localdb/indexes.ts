import type { Document, ObjectId } from 'bson';
import type { Query } from 'mingo/query';
import { newQuery } from './matcher.js';
import { CommandError } from './errors.js';
import { OrderedIndex, type Bound } from './ordered.js';
import { isPlainObject, keyOf, valuesAtPath } from './values.js';

/** An index definition as stored and listed by listIndexes. */
export interface IndexSpec extends Document {
  v: number;
  key: Record<string, unknown>;
  name: string;
  expireAfterSeconds?: unknown;
}

interface DocKeys {
  /** Distinct values of the first key field, each with its hash key. */
  first: { k: string; v: unknown }[];
  /** Full (compound) keys with the tuple of values that produced them. */
  full: { k: string; tuple: unknown[] }[];
  multikey: boolean;
}

/** Supplies every stored (record id, document) pair, for building structures lazily. */
export type RecordSource = () => Iterable<[string, Document]>;

/** Renders a key value the way MongoDB prints it in duplicate key messages. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (Array.isArray(v)) return `[ ${v.map(formatValue).join(', ')} ]`;
  const t = (v as { _bsontype?: string })._bsontype;
  if (t === 'ObjectId') return `ObjectId('${(v as ObjectId).toHexString()}')`;
  if (isPlainObject(v)) return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')} }`;
  // What is left is a scalar or a BSON class (Long, Decimal128, Timestamp, …) that prints itself.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return String(v);
}

/** The error MongoDB reports for a unique index violation. */
export function duplicateKeyError(ns: string, spec: IndexSpec, keyValue: Record<string, unknown>): CommandError {
  const shown = Object.entries(keyValue).map(([k, v]) => `${k}: ${formatValue(v)}`).join(', ');
  return new CommandError(11000, `E11000 duplicate key error collection: ${ns} index: ${spec.name} dup key: { ${shown} }`, {
    keyPattern: spec.key,
    keyValue,
  });
}

function addId(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(id);
}

function removeId(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (set && set.delete(id) && set.size === 0) map.delete(key);
}

/** A secondary index (or the `_id` index) over one collection. */
export class Index {
  readonly spec: IndexSpec;
  readonly fields: string[];
  readonly unique: boolean;
  readonly sparse: boolean;
  readonly partial: Query | null;
  readonly isId: boolean;
  multikey = false;
  private readonly eq = new Map<string, Set<string>>();
  private readonly full: Map<string, Set<string>> | null;
  private tree: OrderedIndex | null = null;

  constructor(spec: IndexSpec, private readonly source: RecordSource) {
    this.spec = spec;
    this.fields = Object.keys(spec.key);
    this.isId = spec.name === '_id_';
    this.unique = this.isId || spec.unique === true;
    this.sparse = spec.sparse === true;
    this.partial = isPlainObject(spec.partialFilterExpression) ? newQuery(spec.partialFilterExpression) : null;
    this.full = this.unique && this.fields.length > 1 ? new Map() : null;
  }

  /** TTL in seconds when this is a TTL index. */
  get expireAfterSeconds(): number | undefined {
    const v = this.spec.expireAfterSeconds;
    return typeof v === 'number' && this.fields.length === 1 ? v : undefined;
  }

  /** Whether the planner may use this index for arbitrary queries on its first field. */
  get usable(): boolean {
    return !this.sparse && !this.partial;
  }

  private keys(doc: Document): DocKeys | null {
    let multikey = false;
    let present = false;
    const perField: unknown[][] = this.fields.map((f) => {
      const found = valuesAtPath(doc, f);
      if (found.length > 0) present = true;
      if (found.length > 1) multikey = true;
      const vals: unknown[] = [];
      for (const v of found) {
        if (Array.isArray(v) && v.length > 0) {
          multikey = true;
          const elements: unknown[] = v;
          vals.push(...elements);
        } else vals.push(v);
      }
      return vals.length ? vals : [null];
    });
    if (this.sparse && !present) return null;
    if (this.partial && !this.partial.test(doc)) return null;
    const [firstVals] = perField;
    if (firstVals === undefined) throw new Error(`index ${this.spec.name} has no key fields`);
    const first = new Map<string, unknown>();
    for (const v of firstVals) first.set(keyOf(v), v);
    let tuples: unknown[][] = [[]];
    if (this.unique) for (const vals of perField) tuples = tuples.flatMap((t) => vals.map((v) => [...t, v]));
    const full = new Map<string, unknown[]>();
    if (this.unique) for (const t of tuples) full.set(t.map(keyOf).join('\u0001'), t);
    return {
      first: [...first].map(([k, v]) => ({ k, v })),
      full: [...full].map(([k, tuple]) => ({ k, tuple })),
      multikey,
    };
  }

  private fullMap(): Map<string, Set<string>> {
    return this.full ?? this.eq;
  }

  /** Throws a duplicate key error if `doc` collides with a document other than `selfId`. */
  checkUnique(ns: string, doc: Document, selfId: string, ignore?: (id: string) => boolean): void {
    if (!this.unique || this.isId) return;
    const keys = this.keys(doc);
    if (!keys) return;
    const map = this.fullMap();
    for (const { k, tuple } of keys.full) {
      const ids = map.get(k);
      if (!ids) continue;
      for (const id of ids) {
        if (id !== selfId && !(ignore && ignore(id))) throw duplicateKeyError(ns, this.spec, this.keyValue(tuple));
      }
    }
  }

  /** The `{ field: value }` document for one key tuple. */
  keyValue(tuple: unknown[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.fields.forEach((f, i) => (out[f] = tuple[i] ?? null));
    return out;
  }

  /** Full keys of a document, for comparing uncommitted documents with each other. */
  fullKeys(doc: Document): { k: string; tuple: unknown[] }[] {
    return this.keys(doc)?.full ?? [];
  }

  add(id: string, doc: Document): void {
    if (this.isId) {
      this.tree?.insert(doc._id, id);
      return;
    }
    const keys = this.keys(doc);
    if (!keys) return;
    if (keys.multikey) this.multikey = true;
    for (const { k, v } of keys.first) {
      addId(this.eq, k, id);
      this.tree?.insert(v, id);
    }
    if (this.full) for (const { k } of keys.full) addId(this.full, k, id);
  }

  remove(id: string, doc: Document): void {
    if (this.isId) {
      this.tree?.remove(doc._id, id);
      return;
    }
    const keys = this.keys(doc);
    if (!keys) return;
    for (const { k, v } of keys.first) {
      removeId(this.eq, k, id);
      this.tree?.remove(v, id);
    }
    if (this.full) for (const { k } of keys.full) removeId(this.full, k, id);
  }

  /** Record ids whose first key field equals `value` (not used for the `_id` index). */
  lookup(value: unknown): Iterable<string> {
    return this.eq.get(keyOf(value)) ?? [];
  }

  /** Scans a value range on the first key field; returns the number of keys examined. */
  range(lower: Bound | undefined, upper: Bound | undefined, visit: (id: string) => boolean): number {
    if (!this.tree) {
      const tree = new OrderedIndex();
      for (const [id, doc] of this.source()) {
        if (this.isId) tree.insert(doc._id, id);
        else for (const { v } of this.keys(doc)?.first ?? []) tree.insert(v, id);
      }
      this.tree = tree;
    }
    return this.tree.scan(lower, upper, visit);
  }

  /** Number of distinct keys, as an approximation of index size. */
  get keyCount(): number {
    return this.eq.size;
  }
}

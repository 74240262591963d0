import { BSON, UUID, type Document } from 'bson';
import { CommandError } from './errors.js';
import { duplicateKeyError, Index, type IndexSpec } from './indexes.js';
import { keyOf } from './values.js';
import { DESERIALIZE_OPTIONS } from './wire.js';

/** One stored document: its `_id` hash key, decoded form and exact BSON bytes. */
export interface Rec {
  readonly key: string;
  readonly doc: Record<string, unknown>;
  readonly raw: Buffer;
}

/** Builds a record from raw BSON bytes. */
export function recFromRaw(raw: Buffer): Rec {
  const doc = BSON.deserialize(raw, DESERIALIZE_OPTIONS);
  return { key: keyOf(doc._id), doc, raw };
}

/** Builds a record from a decoded document, serialising it. */
export function recFromDoc(doc: Document): Rec {
  const raw = Buffer.from(BSON.serialize(doc));
  return { key: keyOf(doc._id), doc, raw };
}

/** Splits `db.collection` at the first dot. */
export function splitNs(ns: string): [string, string] {
  const i = ns.indexOf('.');
  return i < 0 ? [ns, ''] : [ns.slice(0, i), ns.slice(i + 1)];
}

export const ID_INDEX_SPEC: IndexSpec = { v: 2, key: { _id: 1 }, name: '_id_' };

/** A collection: records in insertion order plus its indexes. */
export class Collection {
  readonly records = new Map<string, Rec>();
  readonly indexes = new Map<string, Index>();
  readonly uuid = new UUID();

  constructor(
    readonly db: string,
    readonly name: string,
    readonly options: Document = {},
  ) {
    this.addIndex(ID_INDEX_SPEC);
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  private source = (): Iterable<[string, Document]> => {
    const recs = this.records;
    return (function* () {
      for (const [k, r] of recs) yield [k, r.doc] as [string, Document];
    })();
  };

  /** Adds an index over existing records; throws on duplicate keys for unique indexes. */
  addIndex(spec: IndexSpec): Index {
    const index = new Index(spec, this.source);
    for (const rec of this.records.values()) {
      index.checkUnique(this.ns, rec.doc, rec.key);
      index.add(rec.key, rec.doc);
    }
    this.indexes.set(spec.name, index);
    return index;
  }

  /** Throws duplicate key errors if `doc` (replacing record `selfKey`, if any) violates a unique index. */
  checkUnique(doc: Document, selfKey: string, ignore?: (id: string) => boolean): void {
    for (const index of this.indexes.values()) index.checkUnique(this.ns, doc, selfKey, ignore);
  }

  /** The duplicate key error for `index` and one key tuple. */
  duplicateError(index: Index, tuple: unknown[]): CommandError {
    return duplicateKeyError(this.ns, index.spec, index.keyValue(tuple));
  }

  /** Inserts a new record, enforcing `_id` and unique index constraints. */
  insert(rec: Rec): void {
    const existing = this.records.get(rec.key);
    if (existing) throw duplicateKeyError(this.ns, ID_INDEX_SPEC, { _id: rec.doc._id });
    this.checkUnique(rec.doc, rec.key);
    this.records.set(rec.key, rec);
    for (const index of this.indexes.values()) index.add(rec.key, rec.doc);
  }

  /** Replaces a record with a new version of the same `_id`. */
  replace(old: Rec, rec: Rec): void {
    if (old.key !== rec.key) throw new CommandError(66, "Performing an update on the path '_id' would modify the immutable field '_id'");
    this.checkUnique(rec.doc, rec.key);
    for (const index of this.indexes.values()) index.remove(old.key, old.doc);
    this.records.set(rec.key, rec);
    for (const index of this.indexes.values()) index.add(rec.key, rec.doc);
  }

  /** Removes a record. */
  remove(rec: Rec): void {
    const cur = this.records.get(rec.key);
    if (!cur) return;
    for (const index of this.indexes.values()) index.remove(cur.key, cur.doc);
    this.records.delete(rec.key);
  }

  /** Inserts or replaces by `_id` without constraint checks (journal replay). */
  put(rec: Rec): void {
    const old = this.records.get(rec.key);
    if (old) for (const index of this.indexes.values()) index.remove(old.key, old.doc);
    this.records.set(rec.key, rec);
    for (const index of this.indexes.values()) index.add(rec.key, rec.doc);
  }

  /** Index specs in creation order. */
  indexSpecs(): IndexSpec[] {
    return [...this.indexes.values()].map((i) => i.spec);
  }

  /** Approximate data size in bytes. */
  dataSize(): number {
    let n = 0;
    for (const r of this.records.values()) n += r.raw.length;
    return n;
  }
}

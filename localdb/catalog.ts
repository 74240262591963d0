import type { Document } from 'bson';
import { CommandError } from './errors.js';
import type { IndexSpec } from './indexes.js';
import { Collection, recFromRaw, splitNs, type Rec } from './storage.js';
import { keyOf } from './values.js';

/** A durable state change, as written to the journal. */
export type JournalOp =
  | { op: 'put'; ns: string; raw: Buffer }
  | { op: 'del'; ns: string; id: unknown }
  | { op: 'create'; ns: string; options: Document }
  | { op: 'drop'; ns: string }
  | { op: 'dropDb'; db: string }
  | { op: 'index'; ns: string; spec: IndexSpec }
  | { op: 'dropIndex'; ns: string; name: string }
  | { op: 'rename'; from: string; to: string };

const BAD_DB_CHARS = /[/\\. "$\0]/;

/** Throws InvalidNamespace (73) for names MongoDB rejects. */
export function validateNs(db: string, coll?: string): void {
  if (!db || BAD_DB_CHARS.test(db) || db.length > 63) throw new CommandError(73, `Invalid database name: '${db}'`);
  if (coll === undefined) return;
  if (!coll || coll.includes('\0') || coll.startsWith('.') || (coll.includes('$') && !coll.startsWith('system.'))) {
    throw new CommandError(73, `Invalid collection name: ${coll}`);
  }
}

/** All databases and collections of one server, with every mutation reported as journal ops. */
export class Catalog {
  readonly dbs = new Map<string, Map<string, Collection>>();

  get(db: string, name: string): Collection | undefined {
    return this.dbs.get(db)?.get(name);
  }

  /** Lists the collections of a database. */
  collections(db: string): Collection[] {
    return [...(this.dbs.get(db)?.values() ?? [])];
  }

  private attach(coll: Collection): Collection {
    let db = this.dbs.get(coll.db);
    if (!db) this.dbs.set(coll.db, (db = new Map<string, Collection>()));
    db.set(coll.name, coll);
    return coll;
  }

  /** Returns the collection, creating it implicitly (as a write would) if missing. */
  ensure(db: string, name: string, ops: JournalOp[]): Collection {
    return this.get(db, name) ?? this.create(db, name, {}, ops);
  }

  /** Creates a collection; NamespaceExists (48) if it already exists. */
  create(db: string, name: string, options: Document, ops: JournalOp[]): Collection {
    validateNs(db, name);
    if (this.get(db, name)) throw new CommandError(48, `Collection ${db}.${name} already exists.`);
    ops.push({ op: 'create', ns: `${db}.${name}`, options });
    return this.attach(new Collection(db, name, options));
  }

  drop(db: string, name: string, ops: JournalOp[]): Collection | undefined {
    const coll = this.get(db, name);
    if (!coll) return undefined;
    this.dbs.get(db)?.delete(name);
    if (this.dbs.get(db)?.size === 0) this.dbs.delete(db);
    ops.push({ op: 'drop', ns: coll.ns });
    return coll;
  }

  dropDb(db: string, ops: JournalOp[]): void {
    if (!this.dbs.delete(db)) return;
    ops.push({ op: 'dropDb', db });
  }

  rename(from: string, to: string, dropTarget: boolean, ops: JournalOp[]): void {
    const [fdb, fname] = splitNs(from);
    const [tdb, tname] = splitNs(to);
    validateNs(tdb, tname);
    const src = this.get(fdb, fname);
    if (!src) throw new CommandError(26, 'Source collection does not exist');
    if (this.get(tdb, tname)) {
      if (!dropTarget) throw new CommandError(48, 'target namespace exists');
    }
    this.moveCollection(src, tdb, tname);
    ops.push({ op: 'rename', from, to });
  }

  private moveCollection(src: Collection, tdb: string, tname: string): void {
    this.dbs.get(src.db)?.delete(src.name);
    if (this.dbs.get(src.db)?.size === 0) this.dbs.delete(src.db);
    this.dbs.get(tdb)?.delete(tname);
    const dst = new Collection(tdb, tname, src.options);
    for (const spec of src.indexSpecs()) if (spec.name !== '_id_') dst.addIndex(spec);
    for (const rec of src.records.values()) dst.put(rec);
    this.attach(dst);
  }

  createIndex(coll: Collection, spec: IndexSpec, ops: JournalOp[]): void {
    coll.addIndex(spec);
    ops.push({ op: 'index', ns: coll.ns, spec });
  }

  dropIndex(coll: Collection, name: string, ops: JournalOp[]): void {
    coll.indexes.delete(name);
    ops.push({ op: 'dropIndex', ns: coll.ns, name });
  }

  insert(coll: Collection, rec: Rec, ops: JournalOp[]): void {
    coll.insert(rec);
    ops.push({ op: 'put', ns: coll.ns, raw: rec.raw });
  }

  replace(coll: Collection, old: Rec, rec: Rec, ops: JournalOp[]): void {
    coll.replace(old, rec);
    ops.push({ op: 'put', ns: coll.ns, raw: rec.raw });
  }

  remove(coll: Collection, rec: Rec, ops: JournalOp[]): void {
    coll.remove(rec);
    ops.push({ op: 'del', ns: coll.ns, id: rec.doc._id });
  }

  /** Applies a journal op during recovery, tolerating ops that were already applied. */
  apply(op: JournalOp): void {
    const ignore: JournalOp[] = [];
    switch (op.op) {
      case 'put': {
        const [db, name] = splitNs(op.ns);
        this.ensure(db, name, ignore).put(recFromRaw(op.raw));
        return;
      }
      case 'del': {
        const [db, name] = splitNs(op.ns);
        const coll = this.get(db, name);
        const rec = coll?.records.get(keyOf(op.id));
        if (coll && rec) coll.remove(rec);
        return;
      }
      default:
        this.applyDdl(op, ignore);
    }
  }

  private applyDdl(op: JournalOp, ignore: JournalOp[]): void {
    switch (op.op) {
      case 'create': {
        const [db, name] = splitNs(op.ns);
        if (!this.get(db, name)) this.create(db, name, op.options, ignore);
        return;
      }
      case 'drop': {
        const [db, name] = splitNs(op.ns);
        this.drop(db, name, ignore);
        return;
      }
      case 'dropDb':
        this.dropDb(op.db, ignore);
        return;
      case 'index': {
        const [db, name] = splitNs(op.ns);
        const coll = this.ensure(db, name, ignore);
        if (!coll.indexes.has(op.spec.name)) coll.addIndex(op.spec);
        return;
      }
      case 'dropIndex': {
        const [db, name] = splitNs(op.ns);
        this.get(db, name)?.indexes.delete(op.name);
        return;
      }
      case 'rename': {
        const [fdb, fname] = splitNs(op.from);
        const [tdb, tname] = splitNs(op.to);
        const src = this.get(fdb, fname);
        if (src) this.moveCollection(src, tdb, tname);
        return;
      }
      default:
    }
  }
}

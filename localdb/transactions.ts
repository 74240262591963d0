import type { Document } from 'bson';
import type { Catalog, JournalOp } from './catalog.js';
import { CommandError } from './errors.js';
import { compileFilter, selectRecords, type ExecStats, type QueryCounters, type SelectOptions } from './query.js';
import type { Collection, Rec } from './storage.js';
import { writeConflict, type LockTable, type View } from './view.js';

/** One multi-document transaction: a write set layered over committed state. */
export class Txn {
  state: 'active' | 'committed' | 'aborted' = 'active';
  lastUsed = Date.now();
  /** Uncommitted writes per namespace: record key -> new version, or null when deleted. */
  readonly writes = new Map<string, { coll: Collection; recs: Map<string, Rec | null> }>();
  readonly locked: string[] = [];
  private release!: () => void;
  readonly done = new Promise<void>((resolve) => (this.release = resolve));

  constructor(
    readonly lsidKey: string,
    readonly txnNumber: bigint,
  ) {}

  /** Marks the transaction finished and wakes writers waiting on its locks. */
  finish(state: 'committed' | 'aborted'): void {
    this.state = state;
    this.release();
  }
}

function lockKey(ns: string, key: string): string {
  return ns + '\0' + key;
}

/** All open transactions of a server and the document locks they hold. */
export class Transactions implements LockTable {
  private readonly bySession = new Map<string, Txn>();
  private readonly locks = new Map<string, Txn>();

  constructor(private readonly catalog: Catalog) {}

  lockedBy(ns: string, key: string): Txn | undefined {
    return this.locks.get(lockKey(ns, key));
  }

  /** Takes the document lock for `txn`, failing with WriteConflict if another transaction holds it. */
  lock(txn: Txn, ns: string, key: string): void {
    const k = lockKey(ns, key);
    const holder = this.locks.get(k);
    if (holder === txn) return;
    if (holder) throw writeConflict();
    this.locks.set(k, txn);
    txn.locked.push(k);
  }

  /** Starts a transaction, aborting an older one still open on the same session. */
  begin(lsidKey: string, txnNumber: bigint): Txn {
    const prev = this.bySession.get(lsidKey);
    if (prev && prev.txnNumber >= txnNumber && prev.state === 'active') {
      throw new CommandError(251, `Transaction ${txnNumber} has already been started`, {}, ['TransientTransactionError']);
    }
    if (prev && prev.state === 'active') this.abort(prev);
    const txn = new Txn(lsidKey, txnNumber);
    this.bySession.set(lsidKey, txn);
    return txn;
  }

  /** The transaction a command continues; NoSuchTransaction (251) if there is none. */
  get(lsidKey: string, txnNumber: bigint): Txn {
    const txn = this.bySession.get(lsidKey);
    if (!txn || txn.txnNumber !== txnNumber) {
      throw new CommandError(251, `Transaction with { txnNumber: ${txnNumber} } has been aborted.`, {}, ['TransientTransactionError']);
    }
    txn.lastUsed = Date.now();
    return txn;
  }

  private unlock(txn: Txn): void {
    for (const k of txn.locked) if (this.locks.get(k) === txn) this.locks.delete(k);
    txn.locked.length = 0;
  }

  abort(txn: Txn): void {
    if (txn.state !== 'active') return;
    this.unlock(txn);
    txn.writes.clear();
    txn.finish('aborted');
  }

  /** Applies every write of the transaction to committed state, all or nothing. */
  commit(txn: Txn, ops: JournalOp[]): void {
    if (txn.state !== 'active') return;
    const undo: (() => void)[] = [];
    const mark = ops.length;
    try {
      for (const { coll, recs } of txn.writes.values()) {
        for (const [key, rec] of recs) {
          const base = coll.records.get(key);
          if (rec === null) {
            if (!base) continue;
            this.catalog.remove(coll, base, ops);
            undo.push(() => coll.put(base));
          } else if (base) {
            this.catalog.replace(coll, base, rec, ops);
            undo.push(() => coll.put(base));
          } else {
            this.catalog.insert(coll, rec, ops);
            undo.push(() => coll.remove(rec));
          }
        }
      }
    } catch (err) {
      for (const u of undo.reverse()) u();
      ops.length = mark;
      this.abort(txn);
      throw err;
    }
    this.unlock(txn);
    txn.finish('committed');
  }

  /** Ends the sessions' open transactions (endSessions / killSessions). */
  endSession(lsidKey: string): void {
    const txn = this.bySession.get(lsidKey);
    if (txn) this.abort(txn);
    this.bySession.delete(lsidKey);
  }

  /** Aborts transactions idle for longer than `maxIdleMs`. */
  sweep(maxIdleMs: number): void {
    const cutoff = Date.now() - maxIdleMs;
    for (const txn of this.bySession.values()) if (txn.state === 'active' && txn.lastUsed < cutoff) this.abort(txn);
  }

  abortAll(): void {
    for (const txn of this.bySession.values()) this.abort(txn);
  }
}

/** A transaction's view: reads see its own writes, writes stay private until commit. */
export class TxnView implements View {
  readonly inTransaction = true;

  constructor(
    private readonly catalog: Catalog,
    private readonly txns: Transactions,
    private readonly txn: Txn,
    private readonly ops: JournalOp[],
    private readonly counters: QueryCounters,
  ) {}

  private writesOf(coll: Collection): Map<string, Rec | null> {
    let w = this.txn.writes.get(coll.ns);
    if (!w) this.txn.writes.set(coll.ns, (w = { coll, recs: new Map() }));
    return w.recs;
  }

  collection(db: string, name: string): Collection | undefined {
    return this.catalog.get(db, name);
  }

  ensureCollection(db: string, name: string): Collection {
    return this.catalog.ensure(db, name, this.ops);
  }

  select(coll: Collection, filter: Document, opts: SelectOptions = {}): { recs: Rec[]; stats: ExecStats } {
    const writes = this.txn.writes.get(coll.ns)?.recs;
    if (!writes || writes.size === 0) return selectRecords(coll, filter, { ...opts, counters: this.counters });
    const limit = opts.limit ?? 0;
    const res = selectRecords(coll, filter, { counters: this.counters, shadowed: (k) => writes.has(k) });
    const test = compileFilter(filter);
    for (const rec of writes.values()) if (rec && test(rec.doc)) res.recs.push(rec);
    if (limit > 0 && res.recs.length > limit) res.recs.length = limit;
    res.stats.nReturned = res.recs.length;
    return res;
  }

  count(coll: Collection): number {
    let n = coll.records.size;
    for (const [key, rec] of this.txn.writes.get(coll.ns)?.recs ?? []) {
      const inBase = coll.records.has(key);
      if (rec === null && inBase) n--;
      else if (rec !== null && !inBase) n++;
    }
    return n;
  }

  checkWritable(coll: Collection, keys: string[]): void {
    for (const key of keys) this.txns.lock(this.txn, coll.ns, key);
  }

  private checkUnique(coll: Collection, rec: Rec): void {
    const writes = this.writesOf(coll);
    coll.checkUnique(rec.doc, rec.key, (id) => writes.has(id));
    for (const index of coll.indexes.values()) {
      if (!index.unique || index.isId) continue;
      const mine = new Set(index.fullKeys(rec.doc).map((k) => k.k));
      if (mine.size === 0) continue;
      for (const other of writes.values()) {
        if (!other || other.key === rec.key) continue;
        const hit = index.fullKeys(other.doc).find((k) => mine.has(k.k));
        if (hit) throw coll.duplicateError(index, hit.tuple);
      }
    }
  }

  insert(coll: Collection, rec: Rec): void {
    const writes = this.writesOf(coll);
    const existing = writes.has(rec.key) ? writes.get(rec.key) : coll.records.get(rec.key);
    if (existing) throw coll.duplicateError(coll.indexes.get('_id_')!, [rec.doc._id]);
    this.checkWritable(coll, [rec.key]);
    this.checkUnique(coll, rec);
    writes.set(rec.key, rec);
  }

  replace(coll: Collection, _old: Rec, rec: Rec): void {
    this.checkWritable(coll, [rec.key]);
    this.checkUnique(coll, rec);
    this.writesOf(coll).set(rec.key, rec);
  }

  remove(coll: Collection, rec: Rec): void {
    this.checkWritable(coll, [rec.key]);
    this.writesOf(coll).set(rec.key, null);
  }
}

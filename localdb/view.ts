import type { Document } from 'bson';
import type { Catalog, JournalOp } from './catalog.js';
import { CommandError } from './errors.js';
import { selectRecords, type ExecStats, type QueryCounters, type SelectOptions } from './query.js';
import type { Collection, Rec } from './storage.js';

/** Thrown by a non-transactional write that touches a document locked by an open transaction. */
export class LockedError extends Error {
  constructor(readonly released: Promise<void>) {
    super('document locked by a transaction');
  }
}

/** Answers whether a document is locked by a transaction other than `self`. */
export interface LockTable {
  lockedBy(ns: string, key: string): { done: Promise<void> } | undefined;
}

/** What command handlers read and write through: the committed state or a transaction's view of it. */
export interface View {
  readonly inTransaction: boolean;
  collection(db: string, name: string): Collection | undefined;
  ensureCollection(db: string, name: string): Collection;
  select(coll: Collection, filter: Document, opts?: SelectOptions): { recs: Rec[]; stats: ExecStats };
  count(coll: Collection): number;
  /** Throws (WriteConflict or LockedError) if any of these documents cannot be written now. */
  checkWritable(coll: Collection, keys: string[]): void;
  insert(coll: Collection, rec: Rec): void;
  replace(coll: Collection, old: Rec, rec: Rec): void;
  remove(coll: Collection, rec: Rec): void;
}

/** Direct access to committed state; every change is recorded as journal ops. */
export class DirectView implements View {
  readonly inTransaction = false;

  constructor(
    private readonly catalog: Catalog,
    private readonly locks: LockTable,
    private readonly ops: JournalOp[],
    private readonly counters: QueryCounters,
  ) {}

  collection(db: string, name: string): Collection | undefined {
    return this.catalog.get(db, name);
  }

  ensureCollection(db: string, name: string): Collection {
    return this.catalog.ensure(db, name, this.ops);
  }

  select(coll: Collection, filter: Document, opts: SelectOptions = {}): { recs: Rec[]; stats: ExecStats } {
    return selectRecords(coll, filter, { ...opts, counters: this.counters });
  }

  count(coll: Collection): number {
    return coll.records.size;
  }

  checkWritable(coll: Collection, keys: string[]): void {
    for (const key of keys) {
      const holder = this.locks.lockedBy(coll.ns, key);
      if (holder) throw new LockedError(holder.done);
    }
  }

  insert(coll: Collection, rec: Rec): void {
    this.checkWritable(coll, [rec.key]);
    this.catalog.insert(coll, rec, this.ops);
  }

  replace(coll: Collection, old: Rec, rec: Rec): void {
    this.catalog.replace(coll, old, rec, this.ops);
  }

  remove(coll: Collection, rec: Rec): void {
    this.catalog.remove(coll, rec, this.ops);
  }
}

/** The error a transaction gets when it touches a document another transaction has written. */
export function writeConflict(): CommandError {
  return new CommandError(
    112,
    'Write conflict during plan execution and yielding is disabled. :: Please retry your operation or multi-document transaction.',
    {},
    ['TransientTransactionError'],
  );
}

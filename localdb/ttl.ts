import type { Catalog, JournalOp } from './catalog.js';
import type { Rec } from './storage.js';
import type { Transactions } from './transactions.js';

/** Deletes documents whose TTL-indexed date is older than the index's expireAfterSeconds. */
export function sweepExpired(catalog: Catalog, locks: Transactions, ops: JournalOp[], now = Date.now()): number {
  let removed = 0;
  for (const db of catalog.dbs.values()) {
    for (const coll of db.values()) {
      for (const index of coll.indexes.values()) {
        const ttl = index.expireAfterSeconds;
        if (ttl === undefined) continue;
        const cutoff = new Date(now - ttl * 1000);
        const expired: Rec[] = [];
        index.range(undefined, { value: cutoff, inclusive: false }, (id) => {
          const rec = coll.records.get(id);
          if (rec && !locks.lockedBy(coll.ns, id)) expired.push(rec);
          return true;
        });
        for (const rec of expired) {
          if (!coll.records.has(rec.key)) continue;
          catalog.remove(coll, rec, ops);
          removed++;
        }
      }
    }
  }
  return removed;
}

import { compareValues, typeOrder } from './values.js';

interface Entry {
  value: unknown;
  id: string;
}

const MAX_CHUNK = 512;

/** The entry at `pos`, which the caller keeps within the chunk's bounds. */
function entryAt(chunk: Entry[], pos: number): Entry {
  const e = chunk[pos];
  if (e === undefined) throw new Error(`ordered index: no entry at ${pos} of a chunk of ${chunk.length}`);
  return e;
}

function cmpEntry(a: Entry, b: Entry): number {
  const c = compareValues(a.value, b.value);
  if (c !== 0) return c;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** A lower or upper range bound on index values. */
export interface Bound {
  value: unknown;
  inclusive: boolean;
}

/**
 * A sorted multiset of (value, record id) pairs stored as a list of bounded chunks,
 * giving O(log n) lookups and cheap inserts and removals without a full re-sort.
 */
export class OrderedIndex {
  private chunks: Entry[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The chunk at `ci`, which the caller keeps within the list's bounds. */
  private chunkAt(ci: number): Entry[] {
    const chunk = this.chunks[ci];
    if (chunk === undefined) throw new Error(`ordered index: no chunk at ${ci} of ${this.chunks.length}`);
    return chunk;
  }

  /** Index of the first chunk whose last entry satisfies `atOrAfter` (chunks are never empty). */
  private chunkFor(atOrAfter: (e: Entry) => boolean): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const chunk = this.chunkAt(mid);
      if (atOrAfter(entryAt(chunk, chunk.length - 1))) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private static posIn(chunk: Entry[], atOrAfter: (e: Entry) => boolean): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (atOrAfter(entryAt(chunk, mid))) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  insert(value: unknown, id: string): void {
    const entry = { value, id };
    const pred = (e: Entry): boolean => cmpEntry(e, entry) >= 0;
    this.count++;
    if (this.chunks.length === 0) {
      this.chunks.push([entry]);
      return;
    }
    let ci = this.chunkFor(pred);
    if (ci === this.chunks.length) ci--;
    const chunk = this.chunkAt(ci);
    chunk.splice(OrderedIndex.posIn(chunk, pred), 0, entry);
    if (chunk.length > MAX_CHUNK) this.chunks.splice(ci + 1, 0, chunk.splice(MAX_CHUNK >> 1));
  }

  remove(value: unknown, id: string): boolean {
    const entry = { value, id };
    const pred = (e: Entry): boolean => cmpEntry(e, entry) >= 0;
    const ci = this.chunkFor(pred);
    const chunk = this.chunks[ci];
    if (!chunk) return false;
    const pos = OrderedIndex.posIn(chunk, pred);
    const found = chunk[pos];
    if (found === undefined || cmpEntry(found, entry) !== 0) return false;
    chunk.splice(pos, 1);
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    this.count--;
    return true;
  }

  /**
   * Record ids whose value lies within the bounds, restricted to the BSON type class
   * of the bounds (MongoDB's type bracketing). `visit` returning false stops the scan.
   */
  scan(lower: Bound | undefined, upper: Bound | undefined, visit: (id: string) => boolean): number {
    const anchor = lower ?? upper;
    if (!anchor) return 0;
    const klass = typeOrder(anchor.value);
    const start = lower
      ? (e: Entry): boolean => {
          const c = compareValues(e.value, lower.value);
          return lower.inclusive ? c >= 0 : c > 0;
        }
      : (e: Entry): boolean => typeOrder(e.value) >= klass;
    let ci = this.chunkFor(start);
    if (ci >= this.chunks.length) return 0;
    let pos = OrderedIndex.posIn(this.chunkAt(ci), start);
    let examined = 0;
    for (; ci < this.chunks.length; ci++, pos = 0) {
      const chunk = this.chunkAt(ci);
      for (; pos < chunk.length; pos++) {
        const e = entryAt(chunk, pos);
        if (typeOrder(e.value) !== klass) return examined;
        if (upper) {
          const c = compareValues(e.value, upper.value);
          if (upper.inclusive ? c > 0 : c >= 0) return examined;
        }
        examined++;
        if (!visit(e.id)) return examined;
      }
    }
    return examined;
  }
}

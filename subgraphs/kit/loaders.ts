/** Generic batch loaders for subgraphs: one `$in` query per batch, results in key order. */
import DataLoader from 'dataloader';
import type { Types } from 'mongoose';
import { maybeObjectId } from './ids.js';

/** Loads documents by id with one `$in` query; invalid ids resolve to null. */
export function byIdLoader<T extends { _id: Types.ObjectId }>(find: (ids: Types.ObjectId[]) => Promise<T[]>): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (keys) => {
    const ids = keys.map(maybeObjectId).filter((id): id is Types.ObjectId => id !== null);
    const docs = ids.length ? await find(ids) : [];
    const byId = new Map(docs.map((d) => [d._id.toHexString(), d]));
    return keys.map((k) => byId.get(String(k).toLowerCase()) ?? null);
  });
}

/** Loads lists grouped by a foreign key with one `$in` query. */
export function groupLoader<T>(find: (ids: Types.ObjectId[]) => Promise<T[]>, keyOf: (doc: T) => unknown): DataLoader<string, T[]> {
  return new DataLoader<string, T[]>(async (keys) => {
    const ids = keys.map(maybeObjectId).filter((id): id is Types.ObjectId => id !== null);
    const docs = ids.length ? await find(ids) : [];
    const groups = new Map<string, T[]>();
    for (const d of docs) {
      const k = String(keyOf(d));
      const list = groups.get(k);
      if (list) list.push(d);
      else groups.set(k, [d]);
    }
    return keys.map((k) => groups.get(String(k).toLowerCase()) ?? []);
  });
}

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
  return reducedGroupLoader(find, keyOf, (docs) => docs);
}

/**
 * Like groupLoader, but each key's group is reduced to one value (e.g. the first document, or the
 * one that matters among several) inside the same batch.
 */
export function reducedGroupLoader<T, V>(find: (ids: Types.ObjectId[]) => Promise<T[]>, keyOf: (doc: T) => unknown, reduce: (docs: T[]) => V): DataLoader<string, V> {
  return new DataLoader<string, V>(async (keys) => {
    const ids = keys.map(maybeObjectId).filter((id): id is Types.ObjectId => id !== null);
    const docs = ids.length ? await find(ids) : [];
    const groups = new Map<string, T[]>();
    for (const d of docs) {
      const k = String(keyOf(d));
      const list = groups.get(k);
      if (list) list.push(d);
      else groups.set(k, [d]);
    }
    return keys.map((k) => reduce(groups.get(String(k).toLowerCase()) ?? []));
  });
}

/**
 * Empties every DataLoader cache in a loader set. A subscription keeps one context (and so one
 * loader set) for its whole life: call this before resolving each event so fields read current data.
 */
export function clearLoaders(loaders: object): void {
  for (const loader of Object.values(loaders)) if (loader instanceof DataLoader) loader.clearAll();
}

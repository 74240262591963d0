import type { Document } from 'bson';
import { newQuery } from '../matcher.js';
import type { CommandContext, Handler } from '../context.js';
import { CommandError, notSupported } from '../errors.js';
import type { IndexSpec } from '../indexes.js';
import { ID_INDEX_SPEC, type Collection } from '../storage.js';
import { isPlainObject } from '../values.js';
import { collectionName, nsOf, optionalDoc, renderDoc } from './util.js';

const UNSUPPORTED_CREATE_OPTIONS = ['capped', 'timeseries', 'validator', 'viewOn', 'pipeline', 'clusteredIndex', 'changeStreamPreAndPostImages', 'encryptedFields'];

const create: Handler = (ctx) => {
  const name = collectionName(ctx, 'create');
  for (const opt of UNSUPPORTED_CREATE_OPTIONS) if (ctx.body[opt] !== undefined && ctx.body[opt] !== false) throw notSupported(`create option ${opt}`);
  const options: Document = {};
  if (isPlainObject(ctx.body.collation)) options.collation = ctx.body.collation;
  ctx.state.catalog.create(ctx.db, name, options, ctx.ops);
  return { ok: 1 };
};

const drop: Handler = (ctx) => {
  const name = collectionName(ctx, 'drop');
  const coll = ctx.state.catalog.drop(ctx.db, name, ctx.ops);
  return coll ? { nIndexesWas: coll.indexes.size, ns: coll.ns, ok: 1 } : { ok: 1 };
};

const dropDatabase: Handler = (ctx) => {
  ctx.state.catalog.dropDb(ctx.db, ctx.ops);
  return { dropped: ctx.db, ok: 1 };
};

/** What listCollections reports for a collection. */
function collectionInfo(coll: Collection) {
  return {
    name: coll.name,
    type: 'collection',
    options: coll.options,
    info: { readOnly: false, uuid: coll.uuid },
    idIndex: ID_INDEX_SPEC,
  };
}

function matcher(filter: Document | undefined): (d: Document) => boolean {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  const q = newQuery(filter);
  return (d) => q.test(d);
}

const listCollections: Handler = (ctx) => {
  const test = matcher(optionalDoc(ctx.body.filter, 'filter'));
  const nameOnly = ctx.body.nameOnly === true;
  const docs = ctx.state.catalog
    .collections(ctx.db)
    .map(collectionInfo)
    .filter(test)
    .map((d) => (nameOnly ? { name: d.name, type: d.type } : d));
  const cursor = optionalDoc(ctx.body.cursor, 'cursor');
  return ctx.state.cursors.open(`${ctx.db}.$cmd.listCollections`, docs, renderDoc, { batchSize: cursor?.batchSize as number | undefined });
};

const listDatabases: Handler = (ctx) => {
  const test = matcher(optionalDoc(ctx.body.filter, 'filter'));
  const dbs = [...ctx.state.catalog.dbs.keys()].map((name) => {
    const size = ctx.state.catalog.collections(name).reduce((n, c) => n + c.dataSize(), 0);
    return { name, sizeOnDisk: size, empty: size === 0 };
  });
  const out = dbs.filter(test).map((d) => (ctx.body.nameOnly === true ? { name: d.name } : d));
  return { databases: out, totalSize: dbs.reduce((n, d) => n + d.sizeOnDisk, 0), totalSizeMb: 0, ok: 1 };
};

const renameCollection: Handler = (ctx) => {
  const from = ctx.body.renameCollection;
  const to = ctx.body.to;
  if (typeof from !== 'string' || typeof to !== 'string') throw new CommandError(14, 'renameCollection and to must be strings');
  ctx.state.catalog.rename(from, to, ctx.body.dropTarget === true, ctx.ops);
  return { ok: 1 };
};

const INDEX_OPTIONS = new Set(['key', 'name', 'unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'v', 'background', 'hidden', 'collation', 'ns']);

function normalizeSpec(raw: unknown): IndexSpec {
  if (!isPlainObject(raw) || !isPlainObject(raw.key) || Object.keys(raw.key).length === 0) {
    throw new CommandError(9, 'The index specification must contain a non-empty key document');
  }
  for (const [field, dir] of Object.entries(raw.key)) {
    if (typeof dir === 'string') throw notSupported(`index type '${dir}' on ${field}`);
    const n = Number(dir);
    if (!Number.isFinite(n) || n === 0) throw new CommandError(67, `Values in the index key pattern can't be 0 or non-numeric: ${field}`);
  }
  for (const k of Object.keys(raw)) if (!INDEX_OPTIONS.has(k)) throw notSupported(`index option '${k}'`);
  if (raw.collation !== undefined && !(isPlainObject(raw.collation) && raw.collation.locale === 'simple')) throw notSupported('index collation');
  if (typeof raw.name !== 'string' || raw.name === '') throw new CommandError(9, 'The index specification must contain a name');
  const spec: IndexSpec = { v: 2, key: raw.key, name: raw.name };
  if (raw.unique === true) spec.unique = true;
  if (raw.sparse === true) spec.sparse = true;
  if (isPlainObject(raw.partialFilterExpression)) spec.partialFilterExpression = raw.partialFilterExpression;
  if (raw.expireAfterSeconds !== undefined) {
    const ttl = Number(raw.expireAfterSeconds);
    if (!Number.isFinite(ttl) || ttl < 0) throw new CommandError(67, 'expireAfterSeconds must be a non-negative number');
    spec.expireAfterSeconds = ttl;
  }
  return spec;
}

const OPTION_KEYS = ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds'];

function sameOptions(a: IndexSpec, b: IndexSpec): boolean {
  return OPTION_KEYS.every((k) => JSON.stringify(a[k] ?? null) === JSON.stringify(b[k] ?? null));
}

const createIndexes: Handler = (ctx) => {
  const name = collectionName(ctx, 'createIndexes');
  if (!Array.isArray(ctx.body.indexes)) throw new CommandError(14, "BSON field 'createIndexes.indexes' is missing but a required field");
  const specs = ctx.body.indexes.map(normalizeSpec);
  const created = !ctx.state.catalog.get(ctx.db, name);
  const coll = ctx.state.catalog.ensure(ctx.db, name, ctx.ops);
  const before = coll.indexes.size;
  for (const spec of specs) {
    const sameKey = JSON.stringify(spec.key);
    const byName = coll.indexes.get(spec.name);
    if (byName) {
      if (JSON.stringify(byName.spec.key) !== sameKey) throw new CommandError(86, `An existing index has the same name as the requested index. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(byName.spec)}`);
      if (!sameOptions(byName.spec, spec)) throw new CommandError(85, `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(byName.spec)}`);
      continue;
    }
    const byKey = [...coll.indexes.values()].find((i) => JSON.stringify(i.spec.key) === sameKey && sameOptions(i.spec, spec));
    if (byKey) throw new CommandError(85, `Index already exists with a different name: ${byKey.spec.name}`);
    ctx.state.catalog.createIndex(coll, spec, ctx.ops);
  }
  const reply: Document = { numIndexesBefore: before, numIndexesAfter: coll.indexes.size, createdCollectionAutomatically: created, ok: 1 };
  if (coll.indexes.size === before) reply.note = 'all indexes already exist';
  return reply;
};

function requireCollection(ctx: CommandContext, field: string): Collection {
  const name = collectionName(ctx, field);
  const coll = ctx.state.catalog.get(ctx.db, name);
  if (!coll) throw new CommandError(26, `ns does not exist: ${nsOf(ctx, name)}`);
  return coll;
}

const listIndexes: Handler = (ctx) => {
  const coll = requireCollection(ctx, 'listIndexes');
  const cursor = optionalDoc(ctx.body.cursor, 'cursor');
  return ctx.state.cursors.open(coll.ns, coll.indexSpecs(), renderDoc, { batchSize: cursor?.batchSize as number | undefined });
};

const dropIndexes: Handler = (ctx) => {
  const coll = requireCollection(ctx, 'dropIndexes');
  const was = coll.indexes.size;
  const arg = ctx.body.index;
  let names: string[];
  if (arg === '*') names = [...coll.indexes.keys()].filter((n) => n !== '_id_');
  else if (typeof arg === 'string') names = [arg];
  else if (Array.isArray(arg)) names = arg.map(String);
  else if (isPlainObject(arg)) {
    const found = [...coll.indexes.values()].find((i) => JSON.stringify(i.spec.key) === JSON.stringify(arg));
    if (!found) throw new CommandError(27, `can't find index with key: ${JSON.stringify(arg)}`);
    names = [found.spec.name];
  } else throw new CommandError(14, 'index must be a string, array or document');
  for (const n of names) {
    if (n === '_id_') throw new CommandError(72, 'cannot drop _id index');
    if (!coll.indexes.has(n)) throw new CommandError(27, `index not found with name [${n}]`);
  }
  for (const n of names) ctx.state.catalog.dropIndex(coll, n, ctx.ops);
  return { nIndexesWas: was, ok: 1 };
};

const dbStats: Handler = (ctx) => {
  const colls = ctx.state.catalog.collections(ctx.db);
  const objects = colls.reduce((n, c) => n + c.records.size, 0);
  const dataSize = colls.reduce((n, c) => n + c.dataSize(), 0);
  return { db: ctx.db, collections: colls.length, views: 0, objects, dataSize, storageSize: dataSize, indexes: colls.reduce((n, c) => n + c.indexes.size, 0), ok: 1 };
};

/** Catalog (DDL) commands. */
export const ddlCommands: Record<string, Handler> = {
  create,
  drop,
  dropDatabase,
  listCollections,
  listDatabases,
  renameCollection,
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
  dbStats,
};

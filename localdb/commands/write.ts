import { BSON, ObjectId, type Document } from 'bson';
import type { CommandContext, Handler } from '../context.js';
import { CommandError, notSupported, toCommandError } from '../errors.js';
import { parseSort, sortBy } from '../query.js';
import { rawArrayDocs } from '../rawbson.js';
import { recFromDoc, type Collection, type Rec } from '../storage.js';
import { applyUpdate, idFirst, parseUpdate, upsertRecord } from '../updates.js';
import { typedDoc } from '../retype.js';
import { isPlainObject, keyOf } from '../values.js';
import { LockedError } from '../view.js';
import { DESERIALIZE_OPTIONS, MAX_BSON_SIZE } from '../wire.js';
import { MAX_WRITE_BATCH_SIZE } from './admin.js';
import { checkCollation, collectionName, optionalDoc } from './util.js';

/** Runs `fn`, waiting and retrying while it hits documents locked by open transactions. */
export async function retryLocked<T>(fn: () => T): Promise<T> {
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof LockedError)) throw err;
      await err.released;
    }
  }
}

/** The statements of a write command, from a document sequence or the command body. */
function statements(ctx: CommandContext, field: string): { docs: Document[]; raws: (Buffer | undefined)[] } {
  const seq = ctx.req.sequences.get(field);
  let docs: Document[];
  let raws: (Buffer | undefined)[];
  if (seq) {
    raws = seq;
    docs = seq.map((raw) => BSON.deserialize(raw, DESERIALIZE_OPTIONS));
  } else {
    const v = ctx.body[field];
    if (!Array.isArray(v)) throw new CommandError(14, `BSON field '${Object.keys(ctx.body)[0]}.${field}' is missing but a required field`);
    docs = v as Document[];
    raws = field === 'deletes' ? [] : rawArrayDocs(ctx.req.bodyRaw, field) ?? [];
  }
  if (docs.length > MAX_WRITE_BATCH_SIZE) throw new CommandError(2, `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH_SIZE}. Got ${docs.length} operations.`);
  for (const d of docs) if (!isPlainObject(d)) throw new CommandError(14, `${field} must contain documents`);
  return { docs, raws };
}

/** Builds the record for an inserted document, adding an ObjectId `_id` when missing. */
export function insertRecord(doc: Document, raw: Buffer | undefined): Rec {
  if (raw && raw.length > MAX_BSON_SIZE) throw new CommandError(10334, `object to insert too large. size in bytes: ${raw.length}, max size: ${MAX_BSON_SIZE}`);
  if (Array.isArray(doc._id)) throw new CommandError(2, "can't use an array for _id");
  if (doc._id === undefined) {
    const id = new ObjectId();
    if (raw) {
      const out = Buffer.allocUnsafe(raw.length + 17);
      out.writeInt32LE(raw.length + 17, 0);
      out[4] = 0x07;
      out.write('_id\0', 5, 'latin1');
      out.set(id.id, 9);
      raw.copy(out, 21, 4);
      return { key: keyOf(id), doc: { _id: id, ...doc }, raw: out };
    }
    return recFromDoc({ _id: id, ...doc });
  }
  if (raw && Object.keys(doc)[0] === '_id') return { key: keyOf(doc._id), doc, raw };
  return recFromDoc(idFirst(doc));
}

interface WriteOutcome {
  n: number;
  writeErrors: Document[];
}

async function eachStatement(
  docs: Document[],
  ordered: boolean,
  fn: (doc: Document, i: number) => number,
): Promise<WriteOutcome> {
  const out: WriteOutcome = { n: 0, writeErrors: [] };
  for (const [i, doc] of docs.entries()) {
    try {
      out.n += await retryLocked(() => fn(doc, i));
    } catch (err) {
      const e = toCommandError(err);
      if (e.code === 112 || e.code === 251) throw e;
      out.writeErrors.push(e.toWriteError(i));
      if (ordered) break;
    }
  }
  return out;
}

function finish(outcome: WriteOutcome, extra: Document = {}): Document {
  const reply: Document = { n: outcome.n, ...extra };
  if (outcome.writeErrors.length) reply.writeErrors = outcome.writeErrors;
  reply.ok = 1;
  return reply;
}

function rejectLet(ctx: CommandContext): void {
  if (ctx.body.let !== undefined) throw notSupported(`'let' variables on ${Object.keys(ctx.body)[0]}`);
}

const insert: Handler = async (ctx) => {
  const name = collectionName(ctx, 'insert');
  const { docs, raws } = statements(ctx, 'documents');
  const coll = ctx.view.ensureCollection(ctx.db, name);
  const outcome = await eachStatement(docs, ctx.body.ordered !== false, (doc, i) => {
    ctx.view.insert(coll, insertRecord(doc, raws[i]));
    return 1;
  });
  return finish(outcome);
};

function updateStatement(ctx: CommandContext, name: string, st: Document, raw: Buffer | undefined, upserted: Document[], index: number): { n: number; nModified: number } {
  const filter = optionalDoc(st.q, 'q') ?? {};
  const spec = parseUpdate(st.u);
  const multi = st.multi === true;
  checkCollation(st.collation);
  if (multi && spec.kind === 'replace') throw new CommandError(9, 'multi update is not supported for replacement-style update');
  const arrayFilters = Array.isArray(st.arrayFilters) ? (st.arrayFilters as Document[]) : undefined;
  const coll: Collection | undefined = ctx.view.collection(ctx.db, name);
  const sort = parseSort(st.sort);
  let recs = coll ? ctx.view.select(coll, filter, { limit: multi || sort.length ? 0 : 1 }).recs : [];
  if (sort.length && !multi) recs = sortBy(recs, sort, (r) => r.doc).slice(0, 1);
  const opts = { filter, arrayFilters, typedUpdate: raw ? typedDoc(raw).u : undefined };
  if (recs.length === 0) {
    if (st.upsert !== true) return { n: 0, nModified: 0 };
    const target = ctx.view.ensureCollection(ctx.db, name);
    const rec = upsertRecord(spec, opts);
    ctx.view.insert(target, rec);
    upserted.push({ index, _id: rec.doc._id });
    return { n: 1, nModified: 0 };
  }
  const changes: [Rec, Rec][] = [];
  for (const old of recs) {
    const { rec, modified } = applyUpdate(old.raw, spec, opts);
    if (modified) changes.push([old, rec]);
  }
  if (coll && changes.length) {
    ctx.view.checkWritable(coll, changes.map(([old]) => old.key));
    for (const [old, rec] of changes) ctx.view.replace(coll, old, rec);
  }
  return { n: recs.length, nModified: changes.length };
}

const update: Handler = async (ctx) => {
  const name = collectionName(ctx, 'update');
  rejectLet(ctx);
  const { docs, raws } = statements(ctx, 'updates');
  const upserted: Document[] = [];
  let nModified = 0;
  const outcome = await eachStatement(docs, ctx.body.ordered !== false, (st, i) => {
    const r = updateStatement(ctx, name, st, raws[i], upserted, i);
    nModified += r.nModified;
    return r.n;
  });
  return finish(outcome, upserted.length ? { nModified, upserted } : { nModified });
};

const del: Handler = async (ctx) => {
  const name = collectionName(ctx, 'delete');
  rejectLet(ctx);
  const { docs } = statements(ctx, 'deletes');
  const coll = ctx.view.collection(ctx.db, name);
  const outcome = await eachStatement(docs, ctx.body.ordered !== false, (st) => {
    const filter = optionalDoc(st.q, 'q') ?? {};
    const limit = Number(st.limit ?? 0);
    if (limit !== 0 && limit !== 1) throw new CommandError(9, `The limit field in delete objects must be 0 or 1. Got ${limit}`);
    checkCollation(st.collation);
    if (!coll) return 0;
    const { recs } = ctx.view.select(coll, filter, { limit });
    ctx.view.checkWritable(coll, recs.map((r) => r.key));
    for (const rec of recs) ctx.view.remove(coll, rec);
    return recs.length;
  });
  return finish(outcome);
};

/** Write commands. */
export const writeCommands: Record<string, Handler> = { insert, update, delete: del };

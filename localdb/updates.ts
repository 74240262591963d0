import { BSON, ObjectId, type Document } from 'bson';
import { update as mingoUpdate, updateOne as mingoUpdateOne } from 'mingo';
import { CommandError, toCommandError } from './errors.js';
import { formatValue } from './indexes.js';
import { checkUpdateTypes } from './update-checks.js';
import { encodeWithHints, hintFromPaths, typedDoc } from './retype.js';
import type { Rec } from './storage.js';
import { isPlainObject, keyOf, setPath } from './values.js';
import { DESERIALIZE_OPTIONS } from './wire.js';

/** A parsed `u` field of an update statement. */
export type UpdateSpec =
  | { kind: 'replace'; doc: Document }
  | { kind: 'ops'; ops: Document }
  | { kind: 'pipeline'; stages: Document[] };

const PIPELINE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

/** Classifies and validates an update document or pipeline. */
export function parseUpdate(u: unknown): UpdateSpec {
  if (Array.isArray(u)) {
    for (const st of u) {
      const op = isPlainObject(st) ? Object.keys(st)[0] : undefined;
      if (!op || !PIPELINE_STAGES.has(op)) throw new CommandError(72, `${op ?? 'stage'} is not allowed to be used within an update`);
    }
    return { kind: 'pipeline', stages: u as Document[] };
  }
  if (!isPlainObject(u)) throw new CommandError(14, "BSON field 'update.updates.u' is the wrong type, expected an object or array");
  const keys = Object.keys(u);
  const dollar = keys.filter((k) => k.startsWith('$'));
  if (dollar.length === 0) return { kind: 'replace', doc: u };
  if (dollar.length !== keys.length) throw new CommandError(9, `Unknown modifier: ${keys.find((k) => !k.startsWith('$'))}. Expected a valid update modifier or pipeline-style update specified as an array`);
  for (const k of keys) {
    if (!isPlainObject(u[k])) throw new CommandError(9, `Modifiers operate on fields but we found type ${typeof u[k]} instead. For example: {$mod: {<field>: ...}} not {$set: 5}`);
  }
  return { kind: 'ops', ops: u };
}

function idAltered(id: unknown): CommandError {
  return new CommandError(66, `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(id)}`);
}

/** Puts `_id` first, as MongoDB stores it. */
export function idFirst(doc: Document): Document {
  if (Object.keys(doc)[0] === '_id' || doc._id === undefined) return doc;
  const { _id, ...rest }: Record<string, unknown> = doc;
  return { _id, ...rest };
}

/** The document an upsert starts from: the equality conditions of its filter. */
export function upsertSeed(filter: Document, out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(filter)) {
    if (k === '$and' && Array.isArray(v)) {
      for (const sub of v) if (isPlainObject(sub)) upsertSeed(sub, out);
      continue;
    }
    if (k.startsWith('$')) continue;
    if (isPlainObject(v) && Object.keys(v).some((x) => x.startsWith('$'))) {
      if ('$eq' in v) setPath(out, k, v.$eq);
      continue;
    }
    setPath(out, k, v);
  }
  return out;
}

function hasPositional(ops: Document): boolean {
  return Object.values(ops).some((fields) => isPlainObject(fields) && Object.keys(fields).some((p) => /(^|\.)\$(\.|$)/.test(p)));
}

function runOps(doc: Document, ops: Document, arrayFilters: Document[] | undefined, filter: Document): void {
  checkUpdateTypes(doc, ops);
  const condition = hasPositional(ops) ? filter : undefined;
  try {
    mingoUpdate(doc, ops, arrayFilters, condition);
  } catch (err) {
    throw toCommandError(err);
  }
}

function runPipeline(doc: Document, stages: Document[]): Document {
  const docs = [doc];
  try {
    mingoUpdateOne(docs, {}, stages as never);
  } catch (err) {
    throw toCommandError(err);
  }
  const [updated] = docs;
  if (updated === undefined) throw new Error('pipeline update left no document');
  return updated;
}

function stripSameId(ops: Record<string, unknown>, id: unknown): Document {
  const set = ops.$set;
  if (!isPlainObject(set) || !('_id' in set)) return ops;
  if (keyOf(set._id) !== keyOf(id)) throw new CommandError(66, "Performing an update on the path '_id' would modify the immutable field '_id'");
  const { _id: _ignored, ...rest } = set;
  return { ...ops, $set: rest };
}

/** Options for applying an update statement. */
export interface ApplyOptions {
  arrayFilters?: Document[];
  filter: Document;
  /** The update (`u`) decoded with numeric types kept, to give new values their exact BSON types. */
  typedUpdate?: unknown;
}

function specHints(spec: UpdateSpec, typed: unknown): Document[] {
  if (!isPlainObject(typed)) return [];
  if (spec.kind === 'replace') return [typed];
  if (spec.kind === 'ops') return [hintFromPaths(typed.$set), hintFromPaths(typed.$setOnInsert)];
  return [];
}

/** Encodes an updated or upserted document as a record, keeping numeric BSON types. */
function encodeRecord(doc: Document, hints: Document[]): Rec {
  return { key: keyOf(doc._id), doc, raw: encodeWithHints(doc, hints) };
}

/**
 * Applies an update to a stored document (given as raw bytes so the result is a fresh copy).
 * Returns the new document and whether anything changed.
 */
export function applyUpdate(raw: Buffer, spec: UpdateSpec, opts: ApplyOptions): { rec: Rec; modified: boolean } {
  const doc = BSON.deserialize(raw, DESERIALIZE_OPTIONS);
  const id: unknown = doc._id;
  let out: Document;
  if (spec.kind === 'replace') {
    if (spec.doc._id !== undefined && keyOf(spec.doc._id) !== keyOf(id)) throw idAltered(spec.doc._id);
    const { _id: _drop, ...rest } = spec.doc;
    out = { _id: id, ...rest };
  } else if (spec.kind === 'ops') {
    const { $setOnInsert: _soi, ...ops } = spec.ops;
    out = doc;
    if (Object.keys(ops).length > 0) runOps(out, stripSameId(ops, id), opts.arrayFilters, opts.filter);
  } else {
    out = runPipeline(doc, spec.stages);
  }
  if (keyOf(out._id) !== keyOf(id)) throw idAltered(out._id);
  const hints = specHints(spec, opts.typedUpdate);
  if (spec.kind !== 'replace') hints.push(typedDoc(raw));
  const rec = encodeRecord(idFirst(out), hints);
  return { rec, modified: !rec.raw.equals(raw) };
}

/** Builds the document inserted by an upsert that matched nothing. */
export function upsertRecord(spec: UpdateSpec, opts: ApplyOptions): Rec {
  const seed = upsertSeed(opts.filter);
  let out: Document;
  if (spec.kind === 'replace') {
    out = { ...spec.doc };
    if (out._id === undefined && seed._id !== undefined) out._id = seed._id;
  } else if (spec.kind === 'ops') {
    const { $setOnInsert, ...ops } = spec.ops;
    out = seed;
    if (isPlainObject($setOnInsert)) ops.$set = { ...(isPlainObject(ops.$set) ? ops.$set : {}), ...$setOnInsert };
    if (Object.keys(ops).length) {
      if (isPlainObject(ops.$set) && '_id' in ops.$set && seed._id === undefined) {
        out._id = ops.$set._id;
        delete ops.$set._id;
      }
      runOps(out, stripSameId(ops, out._id), opts.arrayFilters, opts.filter);
    }
  } else {
    out = runPipeline(seed, spec.stages);
  }
  if (out._id === undefined) out._id = new ObjectId();
  if (Array.isArray(out._id)) throw new CommandError(2, "can't use an array for _id");
  return encodeRecord(idFirst(out), specHints(spec, opts.typedUpdate));
}

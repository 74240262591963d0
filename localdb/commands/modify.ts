import type { Document } from 'bson';
import type { CommandContext, Handler } from '../context.js';
import { CommandError, notSupported } from '../errors.js';
import { parseSort, sortBy } from '../query.js';
import { typedDoc } from '../retype.js';
import type { Rec } from '../storage.js';
import { applyUpdate, parseUpdate, upsertRecord } from '../updates.js';
import { checkCollation, collectionName, commandField, optionalDoc, recordRenderer } from './util.js';
import { retryLocked } from './write.js';
import { BSON } from 'bson';
import { DESERIALIZE_OPTIONS } from '../wire.js';

function render(rec: Rec | null, fields: Document | undefined, filter: Document): Document | null {
  if (!rec) return null;
  const bytes = recordRenderer(fields, filter)(rec);
  return BSON.deserialize(bytes, DESERIALIZE_OPTIONS);
}

function findAndModifyOnce(ctx: CommandContext, name: string): Document {
  const body = ctx.body;
  const filter = optionalDoc(body.query, 'query') ?? {};
  const fields = optionalDoc(body.fields, 'fields');
  const sort = parseSort(body.sort);
  const remove = body.remove === true;
  const returnNew = body.new === true;
  checkCollation(body.collation);
  if (remove && (body.update !== undefined || body.upsert === true || returnNew)) {
    throw new CommandError(9, 'Cannot specify both an update and remove=true, or upsert/new with remove=true');
  }
  if (!remove && body.update === undefined) throw new CommandError(9, 'Either an update or remove=true must be specified');
  const coll = ctx.view.collection(ctx.db, name);
  let target: Rec | undefined;
  if (coll) {
    const { recs } = ctx.view.select(coll, filter, { limit: sort.length ? 0 : 1 });
    target = sortBy(recs, sort, (r) => r.doc)[0];
  }
  if (remove) {
    if (!coll || !target) return { lastErrorObject: { n: 0 }, value: null, ok: 1 };
    ctx.view.checkWritable(coll, [target.key]);
    ctx.view.remove(coll, target);
    return { lastErrorObject: { n: 1 }, value: render(target, fields, filter), ok: 1 };
  }
  const spec = parseUpdate(body.update);
  const arrayFilters = Array.isArray(body.arrayFilters) ? (body.arrayFilters as Document[]) : undefined;
  const opts = { filter, arrayFilters, typedUpdate: typedDoc(ctx.req.bodyRaw).update };
  if (!target || !coll) {
    if (body.upsert !== true) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
    const dest = ctx.view.ensureCollection(ctx.db, name);
    const rec = upsertRecord(spec, opts);
    ctx.view.insert(dest, rec);
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: rec.doc._id },
      value: returnNew ? render(rec, fields, filter) : null,
      ok: 1,
    };
  }
  const { rec, modified } = applyUpdate(target.raw, spec, opts);
  let after = target;
  if (modified) {
    after = rec;
    ctx.view.checkWritable(coll, [target.key]);
    ctx.view.replace(coll, target, after);
  }
  return { lastErrorObject: { n: 1, updatedExisting: true }, value: render(returnNew ? after : target, fields, filter), ok: 1 };
}

const findAndModify: Handler = (ctx) => {
  const name = collectionName(ctx, commandField(ctx));
  if (ctx.body.let !== undefined) throw notSupported("'let' variables on findAndModify");
  return retryLocked(() => findAndModifyOnce(ctx, name));
};

/** findAndModify (also spelled findandmodify). */
export const modifyCommands: Record<string, Handler> = { findAndModify, findandmodify: findAndModify };

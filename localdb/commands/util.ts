import { BSON, Long, type Document } from 'bson';
import type { Query } from 'mingo/query';
import { newQuery } from '../matcher.js';
import type { CommandContext } from '../context.js';
import type { Renderer } from '../cursors.js';
import { CommandError, notSupported, typeMismatch } from '../errors.js';
import type { Rec } from '../storage.js';
import { idFirst } from '../updates.js';
import { isPlainObject } from '../values.js';

/** The collection name held by the command's first field. */
export function collectionName(ctx: CommandContext, field: string): string {
  const v = ctx.body[field];
  if (typeof v !== 'string' || v === '') throw new CommandError(73, `Invalid namespace specified '${ctx.db}.${String(v)}'`);
  return v;
}

/** The command's own field (the first of its body), by which it was dispatched. */
export function commandField(ctx: CommandContext): string {
  const [name] = Object.keys(ctx.body);
  if (name === undefined) throw new Error('command body has no fields');
  return name;
}

/** An optional document argument (undefined when absent). */
export function optionalDoc(v: unknown, field: string): Document | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw typeMismatch(field, 'object');
  return v;
}

/** An optional non-negative integer argument. */
export function optionalCount(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = v instanceof Long ? v.toNumber() : Number(v);
  if (!Number.isFinite(n)) throw typeMismatch(field, 'long');
  if (n < 0) throw new CommandError(51024, `BSON field '${field}' value must be >= 0, actual value '${n}'`);
  return Math.trunc(n);
}

/** Accepts only the simple (binary) collation. */
export function checkCollation(v: unknown): void {
  if (v === undefined || v === null) return;
  if (isPlainObject(v) && (v.locale === 'simple' || Object.keys(v).length === 0)) return;
  throw notSupported('collation');
}

/** Serialises a decoded document to a Buffer. */
export function toBuffer(doc: Document): Buffer {
  const bytes = BSON.serialize(doc);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Renders stored records as their exact stored bytes. */
export const renderRaw: Renderer = (item) => (item as Rec).raw;

/** Renders decoded documents (aggregation output). */
export const renderDoc: Renderer = (item) => toBuffer(idFirst(item as Document));

/** Renders records through a find projection, or as stored when there is none. */
export function recordRenderer(projection: Document | undefined, filter: Document): Renderer {
  if (!projection || Object.keys(projection).length === 0) return renderRaw;
  const positional = Object.keys(projection).some((k) => k.endsWith('.$'));
  let q: Query;
  try {
    q = newQuery(positional ? filter : {});
  } catch (err) {
    throw new CommandError(2, (err as Error).message);
  }
  return (item) => {
    try {
      const [out] = q.find([(item as Rec).doc], projection).all() as Document[];
      return toBuffer(idFirst(out ?? {}));
    } catch (err) {
      throw new CommandError(2, (err as Error).message);
    }
  };
}

/** The namespace string of a collection in the command's database. */
export function nsOf(ctx: CommandContext, name: string): string {
  return `${ctx.db}.${name}`;
}

/** Cursor id argument as bigint. */
export function cursorId(v: unknown, field: string): bigint {
  if (v instanceof Long) return v.toBigInt();
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  throw typeMismatch(field, 'long');
}

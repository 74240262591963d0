import type { Document } from 'bson';
import { CommandError } from './errors.js';
import { formatValue } from './indexes.js';
import { isPlainObject, typeOrder } from './values.js';

/** Operators that create the path they name, and so fail on a path through a scalar. */
const CREATING = new Set(['$set', '$setOnInsert', '$inc', '$mul', '$min', '$max', '$currentDate', '$push', '$addToSet']);
const NUMERIC = new Set(['$inc', '$mul']);
const ARRAY_OPS = new Set(['$push', '$addToSet', '$pull', '$pullAll', '$pop']);

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? 'int' : 'double';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  const t = (v as { _bsontype?: string })?._bsontype;
  if (t) return t === 'ObjectId' ? 'objectId' : t.toLowerCase();
  return 'object';
}

interface Resolved {
  /** The value at the path, or undefined when the path does not exist yet. */
  value: unknown;
  /** Set when an intermediate element cannot hold the next field. */
  blocked?: { part: string; field: string | undefined; holder: unknown };
}

function resolvePath(doc: Document, path: string): Resolved {
  const parts = path.split('.');
  let cur: unknown = doc;
  /** The part before `part`: the field that holds `cur`. */
  let field: string | undefined;
  for (const part of parts) {
    if (cur === undefined) return { value: undefined };
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(part)) return { value: undefined, blocked: { part, field, holder: cur } };
      cur = cur[Number(part)];
    } else if (isPlainObject(cur)) {
      cur = Object.prototype.hasOwnProperty.call(cur, part) ? cur[part] : undefined;
    } else {
      return { value: undefined, blocked: { part, field, holder: cur } };
    }
    field = part;
  }
  return { value: cur };
}

/**
 * Rejects updates MongoDB rejects because of the types found in the document (mingo would
 * skip them silently): arithmetic on non-numbers, array operators on non-arrays, and new
 * fields inside scalars.
 */
export function checkUpdateTypes(doc: Document, ops: Document): void {
  const idShown = `{ _id: ${formatValue(doc._id)} }`;
  for (const [op, fields] of Object.entries(ops)) {
    if (!isPlainObject(fields)) continue;
    for (const [path, arg] of Object.entries(fields)) {
      if (path.includes('$')) continue;
      const { value, blocked } = resolvePath(doc, path);
      if (blocked) {
        if (CREATING.has(op)) throw new CommandError(28, `Cannot create field '${blocked.part}' in element {${blocked.field}: ${formatValue(blocked.holder)}}`);
        continue;
      }
      if (value === undefined) continue;
      if (NUMERIC.has(op) && typeOrder(value) !== 3) {
        throw new CommandError(14, `Cannot apply ${op} to a value of non-numeric type. ${idShown} has the field '${path}' of non-numeric type ${typeName(value)}`);
      }
      if (ARRAY_OPS.has(op) && !Array.isArray(value)) {
        if (op === '$pop') throw new CommandError(14, `Path '${path}' contains an element of non-array type '${typeName(value)}'`);
        if (op === '$pull' || op === '$pullAll') throw new CommandError(2, `Cannot apply ${op} to a non-array value`);
        throw new CommandError(2, `The field '${path}' must be an array but is of type ${typeName(value)} in document ${idShown}`);
      }
      if (op === '$rename' && typeof arg === 'string' && resolvePath(doc, arg).blocked) {
        throw new CommandError(28, `Cannot create field for rename target '${arg}'`);
      }
    }
  }
}

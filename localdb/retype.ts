import { BSON, Double, Long, type Document } from 'bson';
import { isPlainObject, setPath } from './values.js';

/**
 * Decoded documents hold plain JS numbers, which would re-encode as int32 or double by value.
 * These helpers carry each number's original BSON type (int32, double, int64) over to the
 * re-encoded document, so updates never silently change a field's numeric type.
 */

/** Decodes BSON keeping numeric wrapper types (Int32, Double, Long). */
export function typedDoc(raw: Uint8Array): Record<string, unknown> {
  return BSON.deserialize(raw, { promoteValues: false, promoteLongs: false, promoteBuffers: false });
}

function bsonType(v: unknown): string | undefined {
  return v !== null && typeof v === 'object' ? (v as { _bsontype?: string })._bsontype : undefined;
}

function retypeNumber(v: number, hint: unknown): unknown {
  switch (bsonType(hint)) {
    case 'Double':
      return new Double(v);
    case 'Long':
      return Number.isInteger(v) ? Long.fromNumber(v) : v;
    default:
      return v;
  }
}

function child(hint: unknown, key: string | number): unknown {
  if (Array.isArray(hint)) return typeof key === 'number' ? hint[key] : undefined;
  if (isPlainObject(hint)) return hint[key];
  return undefined;
}

function retypeValue(v: unknown, hints: unknown[]): unknown {
  if (typeof v === 'number') {
    const hint = hints.find((h) => h !== undefined);
    return hint === undefined ? v : retypeNumber(v, hint);
  }
  if (Array.isArray(v)) return v.map((x, i) => retypeValue(x, hints.map((h) => child(h, i))));
  if (isPlainObject(v)) {
    const out: Document = {};
    for (const k of Object.keys(v)) out[k] = retypeValue(v[k], hints.map((h) => child(h, k)));
    return out;
  }
  return v;
}

function needsRetype(v: unknown): boolean {
  const t = bsonType(v);
  if (t === 'Double') return Number.isInteger((v as Double).value) || Object.is((v as Double).value, -0);
  if (t === 'Long') return true;
  if (Array.isArray(v)) return v.some(needsRetype);
  if (isPlainObject(v)) return Object.values(v).some(needsRetype);
  return false;
}

/** Builds a nested hint document from dotted `$set`-style paths (positional paths are skipped). */
export function hintFromPaths(fields: unknown): Document {
  const out: Document = {};
  if (!isPlainObject(fields)) return out;
  for (const [path, value] of Object.entries(fields)) {
    if (path.includes('$')) continue;
    setPath(out, path, value);
  }
  return out;
}

/**
 * Serialises `doc`, giving each number the BSON type found at the same path in the first
 * hint that has one (hints are typed documents, e.g. the previous version and the update's values).
 */
export function encodeWithHints(doc: Document, hints: Document[]): Buffer {
  const relevant = hints.filter(needsRetype);
  const value = relevant.length ? (retypeValue(doc, hints) as Document) : doc;
  const bytes = BSON.serialize(value);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

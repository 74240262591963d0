import { Long, ObjectId, type Decimal128, type Timestamp } from 'bson';

/** A BSON class instance as produced by the `bson` package. */
interface BsonTagged {
  _bsontype: string;
}

function bsonType(v: object): string | undefined {
  const t = (v as Partial<BsonTagged>)._bsontype;
  return typeof t === 'string' ? t : undefined;
}

/** MongoDB's canonical type order used for comparison and sorting. */
export function typeOrder(v: unknown): number {
  if (v === undefined || v === null) return 2;
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 3;
    case 'string':
      return 4;
    case 'boolean':
      return 9;
    case 'object':
      break;
    default:
      return 14;
  }
  if (Array.isArray(v)) return 6;
  if (v instanceof Date) return 10;
  if (v instanceof RegExp) return 12;
  switch (bsonType(v)) {
    case undefined:
    case 'DBRef':
      return 5;
    case 'MinKey':
      return 1;
    case 'Long':
    case 'Int32':
    case 'Double':
    case 'Decimal128':
      return 3;
    case 'BSONSymbol':
      return 4;
    case 'Binary':
      return 7;
    case 'ObjectId':
      return 8;
    case 'Timestamp':
      return 11;
    case 'BSONRegExp':
      return 12;
    case 'MaxKey':
      return 15;
    default:
      return 13;
  }
}

/** Converts any numeric BSON value to a JS number (may lose precision for huge Longs). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object') {
    const t = bsonType(v);
    if (t === 'Long') return (v as Long).toNumber();
    if (t === 'Int32' || t === 'Double') return (v as { value: number }).value;
    if (t === 'Decimal128') return Number.parseFloat((v as Decimal128).toString());
  }
  return Number.NaN;
}

function cmpPrim<T extends string | number>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Byte-wise order, a shorter prefix first. */
function cmpBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

function cmpNumbers(a: unknown, b: unknown): number {
  if (a instanceof Long && b instanceof Long) return a.compare(b);
  const x = toNumber(a);
  const y = toNumber(b);
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : -1;
  if (Number.isNaN(y)) return 1;
  return cmpPrim(x, y);
}

function cmpObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  for (const [i, ki] of ka.entries()) {
    const kj = kb[i];
    if (kj === undefined) break;
    const va = a[ki];
    const vb = b[kj];
    const t = cmpPrim(typeOrder(va), typeOrder(vb));
    if (t !== 0) return t;
    const k = cmpPrim(ki, kj);
    if (k !== 0) return k;
    const c = compareValues(va, vb);
    if (c !== 0) return c;
  }
  return cmpPrim(ka.length, kb.length);
}

/** Compares two BSON values following MongoDB's cross-type comparison order. */
export function compareValues(a: unknown, b: unknown): number {
  const ta = typeOrder(a);
  const tb = typeOrder(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case 3:
      return typeof a === 'number' && typeof b === 'number' ? cmpPrim(a, b) : cmpNumbers(a, b);
    case 4:
      return cmpPrim(String(a), String(b));
    case 5:
      return cmpObjects(a as Record<string, unknown>, b as Record<string, unknown>);
    case 6: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      const n = Math.min(xa.length, xb.length);
      for (let i = 0; i < n; i++) {
        const c = compareValues(xa[i], xb[i]);
        if (c !== 0) return c;
      }
      return cmpPrim(xa.length, xb.length);
    }
    case 7: {
      const ba = a as { buffer: Uint8Array; sub_type: number; position: number };
      const bb = b as { buffer: Uint8Array; sub_type: number; position: number };
      return cmpPrim(ba.position, bb.position) || cmpPrim(ba.sub_type, bb.sub_type) || cmpBytes(ba.buffer, bb.buffer);
    }
    case 8:
      return cmpBytes((a as ObjectId).id, (b as ObjectId).id);
    case 9:
      return cmpPrim(Number(a), Number(b));
    case 10:
      return cmpPrim((a as Date).getTime(), (b as Date).getTime());
    case 11: {
      const x = a as { t: number; i: number };
      const y = b as { t: number; i: number };
      return cmpPrim(x.t, y.t) || cmpPrim(x.i, y.i);
    }
    case 12:
      return cmpPrim(String(a), String(b));
    default:
      return 0;
  }
}

function numberKey(v: unknown): string {
  if (v instanceof Long && !(v.lessThanOrEqual(Number.MAX_SAFE_INTEGER) && v.greaterThanOrEqual(-Number.MAX_SAFE_INTEGER))) {
    return 'n' + v.toString();
  }
  const n = toNumber(v);
  return 'n' + (Object.is(n, -0) ? '0' : String(n));
}

/**
 * A string that is equal for two values exactly when MongoDB considers them equal
 * (numbers of different BSON types compare by value), used as hash key in indexes.
 */
export function keyOf(v: unknown): string {
  if (v === undefined || v === null) return 'z';
  switch (typeof v) {
    case 'string':
      return 's' + v;
    case 'number':
      return Object.is(v, -0) ? 'n0' : 'n' + v;
    case 'boolean':
      return v ? 'b1' : 'b0';
    case 'bigint':
      return 'n' + v.toString();
    case 'symbol':
    case 'function':
      return 'u' + v.toString();
    case 'object':
      break;
  }
  if (Array.isArray(v)) return '[' + v.map((x) => JSON.stringify(keyOf(x))).join(',') + ']';
  if (v instanceof Date) return 'd' + v.getTime();
  if (v instanceof RegExp) return 'r' + v.source + '/' + v.flags;
  switch (bsonType(v)) {
    case 'ObjectId':
      return 'o' + (v as ObjectId).toHexString();
    case 'Long':
    case 'Int32':
    case 'Double':
    case 'Decimal128':
      return numberKey(v);
    case 'Binary': {
      const b = v as { sub_type: number; toString(enc: string): string };
      return 'x' + b.sub_type + ':' + b.toString('base64');
    }
    case 'Timestamp':
      return 't' + (v as Timestamp).toBigInt().toString();
    case 'MinKey':
      return 'm-';
    case 'MaxKey':
      return 'm+';
    case undefined:
    case 'DBRef':
      break;
    default:
      return 'q' + bsonType(v) + ':' + JSON.stringify(v);
  }
  const obj = v as Record<string, unknown>;
  let out = '{';
  for (const k of Object.keys(obj)) out += JSON.stringify(k) + ':' + JSON.stringify(keyOf(obj[k])) + ',';
  return out + '}';
}

/** A logical session id (`lsid` command field) as a map key. */
export function sessionKey(lsid: unknown): string {
  const id = lsid !== null && typeof lsid === 'object' ? (lsid as Record<string, unknown>).id : undefined;
  return keyOf(id);
}

/** True for plain documents (not arrays, dates or BSON class instances). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function collectPath(value: unknown, parts: string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    out.push(value);
    return;
  }
  const part = parts[i];
  if (part === undefined) throw new Error(`path segment ${i} out of range for ${parts.join('.')}`);
  if (Array.isArray(value)) {
    if (/^\d+$/.test(part) && Number(part) < value.length) collectPath(value[Number(part)], parts, i + 1, out);
    for (const el of value) if (isPlainObject(el)) collectPath(el, parts, i, out);
    return;
  }
  if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, part)) {
    collectPath(value[part], parts, i + 1, out);
  }
}

/**
 * Every value reachable at a dotted path, descending through arrays of documents.
 * The final value is returned as is (arrays are not expanded); missing paths give [].
 */
export function valuesAtPath(doc: unknown, path: string): unknown[] {
  const out: unknown[] = [];
  collectPath(doc, path.split('.'), 0, out);
  return out;
}

/** The single value at a dotted path when no arrays are crossed; undefined when missing. */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Sets `value` at a dotted path of `doc`, creating (or replacing non-objects with) the objects on the way. */
export function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  const leaf = parts.pop();
  if (leaf === undefined) throw new Error(`path '${path}' has no segments`);
  let cur: Record<string, unknown> = doc;
  for (const part of parts) {
    const found: unknown = cur[part];
    if (isPlainObject(found)) {
      cur = found;
    } else {
      const created: Record<string, unknown> = {};
      cur[part] = created;
      cur = created;
    }
  }
  cur[leaf] = value;
}

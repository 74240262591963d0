import { BSON, type Document } from 'bson';

/** Thrown when raw BSON bytes are structurally invalid. */
export class RawBsonError extends Error {}

function cstringEnd(buf: Buffer, pos: number, end: number): number {
  const nul = buf.indexOf(0, pos);
  if (nul < 0 || nul >= end) throw new RawBsonError('unterminated cstring');
  return nul;
}

function fixedSize(type: number): number {
  switch (type) {
    case 0x01:
    case 0x09:
    case 0x11:
    case 0x12:
      return 8;
    case 0x06:
    case 0x0a:
    case 0xff:
    case 0x7f:
      return 0;
    case 0x07:
      return 12;
    case 0x08:
      return 1;
    case 0x10:
      return 4;
    case 0x13:
      return 16;
    default:
      return -1;
  }
}

function checked(pos: number, end: number): number {
  if (pos > end) throw new RawBsonError('element overruns document');
  return pos;
}

function valueEnd(buf: Buffer, type: number, pos: number, end: number): number {
  const fixed = fixedSize(type);
  if (fixed >= 0) return checked(pos + fixed, end);
  if (type === 0x0b) return cstringEnd(buf, cstringEnd(buf, pos, end) + 1, end) + 1;
  checked(pos + 4, end);
  const n = buf.readInt32LE(pos);
  if (n < 0) throw new RawBsonError('negative length');
  switch (type) {
    case 0x02:
    case 0x0d:
    case 0x0e:
      return checked(pos + 4 + n, end);
    case 0x03:
    case 0x04:
    case 0x0f:
      return checked(pos + n, end);
    case 0x05:
      return checked(pos + 5 + n, end);
    case 0x0c:
      return checked(pos + 4 + n + 12, end);
    default:
      throw new RawBsonError(`unknown BSON type 0x${type.toString(16)}`);
  }
}

/** One top-level element of a raw BSON document. */
export interface RawElement {
  name: string;
  type: number;
  start: number;
  end: number;
}

/** Lists the top-level elements of a raw BSON document without decoding values. */
export function rawElements(doc: Buffer): RawElement[] {
  if (doc.length < 5) throw new RawBsonError('document too short');
  const size = doc.readInt32LE(0);
  if (size !== doc.length || doc[size - 1] !== 0) throw new RawBsonError('bad document length');
  const out: RawElement[] = [];
  let pos = 4;
  const end = size - 1;
  while (pos < end) {
    const type = doc.readUInt8(pos);
    const nameEnd = cstringEnd(doc, pos + 1, end);
    const name = doc.toString('utf8', pos + 1, nameEnd);
    const start = nameEnd + 1;
    const stop = valueEnd(doc, type, start, end);
    out.push({ name, type, start, end: stop });
    pos = stop;
  }
  return out;
}

/** The raw bytes of every embedded document in the top-level array field `field`. */
export function rawArrayDocs(doc: Buffer, field: string): Buffer[] | undefined {
  const el = rawElements(doc).find((e) => e.name === field);
  if (!el || el.type !== 0x04) return undefined;
  const arr = doc.subarray(el.start, el.end);
  return rawElements(arr).map((e) => {
    if (e.type !== 0x03) throw new RawBsonError(`${field} must contain documents`);
    return arr.subarray(e.start, e.end);
  });
}

/** The serialized elements of a document, without the length prefix and terminator. */
export function elementBytes(doc: Document): Buffer {
  const full = BSON.serialize(doc);
  return Buffer.from(full.buffer, full.byteOffset + 4, full.length - 5);
}

const OK_TAIL = elementBytes({ ok: 1 });
const KEY_CACHE: string[] = Array.from({ length: 1024 }, (_, i) => String(i));

/** The array key (`"0"`, `"1"`, …) of element `i`. */
function arrayKey(i: number): string {
  return KEY_CACHE[i] ?? String(i);
}

/**
 * Builds a command reply `{ cursor: { <batchField>: [...raw docs], id, ns }, ok: 1 }`
 * directly from stored raw document bytes, without re-serialising them.
 */
export function cursorReply(batchField: string, docs: Buffer[], cursorId: bigint, ns: string, extra?: Document): Buffer {
  let arrayLen = 5;
  for (const [i, d] of docs.entries()) arrayLen += 2 + arrayKey(i).length + d.length;
  const nsLen = Buffer.byteLength(ns);
  const cursorLen = 4 + (2 + batchField.length + arrayLen) + (1 + 3 + 8) + (1 + 3 + 4 + nsLen + 1) + 1;
  const tail = extra ? elementBytes({ ok: 1, ...extra }) : OK_TAIL;
  const total = 4 + (1 + 7 + cursorLen) + tail.length + 1;
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  out.writeInt32LE(total, p);
  p += 4;
  out[p++] = 0x03;
  p += out.write('cursor\0', p, 'latin1');
  out.writeInt32LE(cursorLen, p);
  p += 4;
  out[p++] = 0x04;
  p += out.write(batchField + '\0', p, 'latin1');
  out.writeInt32LE(arrayLen, p);
  p += 4;
  for (const [i, d] of docs.entries()) {
    out[p++] = 0x03;
    p += out.write(arrayKey(i) + '\0', p, 'latin1');
    p += d.copy(out, p);
  }
  out[p++] = 0;
  out[p++] = 0x12;
  p += out.write('id\0', p, 'latin1');
  out.writeBigInt64LE(cursorId, p);
  p += 8;
  out[p++] = 0x02;
  p += out.write('ns\0', p, 'latin1');
  out.writeInt32LE(nsLen + 1, p);
  p += 4;
  p += out.write(ns, p, 'utf8');
  out[p++] = 0;
  out[p++] = 0;
  p += tail.copy(out, p);
  out[p++] = 0;
  return out;
}

import { BSON, type Document } from 'bson';
import { crc32c } from './crc.js';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const MAX_BSON_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE = 48_000_000;

const FLAG_CHECKSUM = 1;
const FLAG_MORE_TO_COME = 2;
const FLAG_EXHAUST_ALLOWED = 1 << 16;
const KNOWN_FLAGS = FLAG_CHECKSUM | FLAG_MORE_TO_COME | FLAG_EXHAUST_ALLOWED;

/** Deserialization options that keep every BSON type distinguishable enough for storage. */
export const DESERIALIZE_OPTIONS = { promoteLongs: true, promoteValues: true, promoteBuffers: false } as const;

/** A protocol violation: the connection that sent it is closed. */
export class ProtocolError extends Error {}

/** A decoded client request, either OP_MSG or a legacy OP_QUERY command. */
export interface Request {
  opCode: number;
  requestId: number;
  /** The command document (kind-0 section, or the OP_QUERY query). */
  body: Document;
  /** Raw bytes of the command document. */
  bodyRaw: Buffer;
  /** Kind-1 document sequences, keyed by identifier, as raw BSON documents. */
  sequences: Map<string, Buffer[]>;
  /** OP_MSG flag: the client expects no reply. */
  moreToCome: boolean;
  exhaustAllowed: boolean;
  /** OP_QUERY full collection name (e.g. `admin.$cmd`). */
  collection?: string;
}

function readDoc(buf: Buffer, pos: number, end: number): Buffer {
  if (pos + 4 > end) throw new ProtocolError('truncated document');
  const len = buf.readInt32LE(pos);
  if (len < 5 || pos + len > end) throw new ProtocolError('invalid document length');
  const doc = buf.subarray(pos, pos + len);
  if (doc[len - 1] !== 0) throw new ProtocolError('document not terminated');
  return doc;
}

function decodeDoc(raw: Buffer): Document {
  try {
    return BSON.deserialize(raw, DESERIALIZE_OPTIONS);
  } catch (err) {
    throw new ProtocolError(`invalid BSON: ${(err as Error).message}`);
  }
}

function parseMsg(msg: Buffer, requestId: number): Request {
  if (msg.length < 21) throw new ProtocolError('OP_MSG too short');
  const flags = msg.readUInt32LE(16);
  if ((flags & ~KNOWN_FLAGS) & 0xffff) throw new ProtocolError('unknown required OP_MSG flag');
  let end = msg.length;
  if (flags & FLAG_CHECKSUM) {
    end -= 4;
    if (end < 21) throw new ProtocolError('OP_MSG too short for checksum');
    if (crc32c(msg, 0, end) !== msg.readUInt32LE(end)) throw new ProtocolError('OP_MSG checksum mismatch');
  }
  let pos = 20;
  let bodyRaw: Buffer | undefined;
  const sequences = new Map<string, Buffer[]>();
  while (pos < end) {
    const kind = msg[pos++];
    if (kind === 0) {
      if (bodyRaw) throw new ProtocolError('more than one kind-0 section');
      bodyRaw = readDoc(msg, pos, end);
      pos += bodyRaw.length;
    } else if (kind === 1) {
      if (pos + 4 > end) throw new ProtocolError('truncated document sequence');
      const size = msg.readInt32LE(pos);
      const secEnd = pos + size;
      if (size < 5 || secEnd > end) throw new ProtocolError('invalid document sequence size');
      const nul = msg.indexOf(0, pos + 4);
      if (nul < 0 || nul >= secEnd) throw new ProtocolError('invalid document sequence identifier');
      const id = msg.toString('utf8', pos + 4, nul);
      const docs: Buffer[] = [];
      let p = nul + 1;
      while (p < secEnd) {
        const d = readDoc(msg, p, secEnd);
        docs.push(d);
        p += d.length;
      }
      if (sequences.has(id)) throw new ProtocolError(`duplicate document sequence ${id}`);
      sequences.set(id, docs);
      pos = secEnd;
    } else {
      throw new ProtocolError(`unknown section kind ${kind}`);
    }
  }
  if (!bodyRaw) throw new ProtocolError('OP_MSG without a body section');
  return {
    opCode: OP_MSG,
    requestId,
    body: decodeDoc(bodyRaw),
    bodyRaw,
    sequences,
    moreToCome: (flags & FLAG_MORE_TO_COME) !== 0,
    exhaustAllowed: (flags & FLAG_EXHAUST_ALLOWED) !== 0,
  };
}

function parseQuery(msg: Buffer, requestId: number): Request {
  if (msg.length < 16 + 4 + 2 + 8 + 5) throw new ProtocolError('OP_QUERY too short');
  const nul = msg.indexOf(0, 20);
  if (nul < 0) throw new ProtocolError('OP_QUERY without collection name');
  const collection = msg.toString('utf8', 20, nul);
  const bodyRaw = readDoc(msg, nul + 1 + 8, msg.length);
  return {
    opCode: OP_QUERY,
    requestId,
    body: decodeDoc(bodyRaw),
    bodyRaw,
    sequences: new Map(),
    moreToCome: false,
    exhaustAllowed: false,
    collection,
  };
}

/** Parses one complete message (header included). Throws ProtocolError on anything malformed. */
export function parseMessage(msg: Buffer): Request {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) return parseMsg(msg, requestId);
  if (opCode === OP_QUERY) return parseQuery(msg, requestId);
  throw new ProtocolError(`unsupported opCode ${opCode}`);
}

function withHeader(opCode: number, requestId: number, responseTo: number, extra: number, body: Buffer): { msg: Buffer; at: number } {
  const total = 16 + extra + body.length;
  const msg = Buffer.allocUnsafe(total);
  msg.writeInt32LE(total, 0);
  msg.writeInt32LE(requestId, 4);
  msg.writeInt32LE(responseTo, 8);
  msg.writeInt32LE(opCode, 12);
  body.copy(msg, 16 + extra);
  return { msg, at: 16 };
}

/** Encodes an OP_MSG reply carrying one already-serialized body document. */
export function encodeMsgReply(requestId: number, responseTo: number, body: Buffer, moreToCome = false): Buffer {
  const { msg, at } = withHeader(OP_MSG, requestId, responseTo, 5, body);
  msg.writeUInt32LE(moreToCome ? FLAG_MORE_TO_COME : 0, at);
  msg[at + 4] = 0;
  return msg;
}

/** Encodes a legacy OP_REPLY carrying one document, the answer to an OP_QUERY command. */
export function encodeOpReply(requestId: number, responseTo: number, body: Buffer): Buffer {
  const { msg, at } = withHeader(OP_REPLY, requestId, responseTo, 20, body);
  msg.writeInt32LE(8, at);
  msg.writeBigInt64LE(0n, at + 4);
  msg.writeInt32LE(0, at + 12);
  msg.writeInt32LE(1, at + 16);
  return msg;
}

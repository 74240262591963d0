import { BSON } from 'bson';
import { MongoClient } from 'mongodb';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from './commands/index.js';
import type { Handler } from './context.js';
import { crc32c } from './crc.js';
import { startLocalDb } from './index.js';
import { quietLogger, useLocalDb } from './testing.js';

const ctx = useLocalDb();

function opMsg(doc: object, requestId = 1, flags = 0): Buffer {
  const body = BSON.serialize(doc);
  const checksum = flags & 1 ? 4 : 0;
  const out = Buffer.alloc(21 + body.length + checksum);
  out.writeInt32LE(out.length, 0);
  out.writeInt32LE(requestId, 4);
  out.writeInt32LE(0, 8);
  out.writeInt32LE(2013, 12);
  out.writeUInt32LE(flags, 16);
  out[20] = 0;
  out.set(body, 21);
  if (checksum) out.writeUInt32LE(crc32c(out, 0, out.length - 4), out.length - 4);
  return out;
}

function opQuery(doc: object, requestId = 1): Buffer {
  const body = BSON.serialize(doc);
  const ns = Buffer.from('admin.$cmd\0');
  const out = Buffer.alloc(16 + 4 + ns.length + 8 + body.length);
  out.writeInt32LE(out.length, 0);
  out.writeInt32LE(requestId, 4);
  out.writeInt32LE(2004, 12);
  ns.copy(out, 20);
  out.writeInt32LE(0, 20 + ns.length);
  out.writeInt32LE(-1, 24 + ns.length);
  out.set(body, 28 + ns.length);
  return out;
}

/** Sends bytes and collects everything until the server closes the socket or `ms` passes. */
function exchange(bytes: Buffer[], ms = 1000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(ctx.server().port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    }, ms);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), closed });
    });
    sock.on('connect', () => {
      for (const b of bytes) sock.write(b);
    });
  });
}

function replyDoc(data: Buffer): Record<string, unknown> {
  const opCode = data.readInt32LE(12);
  if (opCode === 1) return BSON.deserialize(data.subarray(36, data.readInt32LE(0)));
  return BSON.deserialize(data.subarray(21, data.readInt32LE(0)));
}

async function stillServes(): Promise<void> {
  expect(await ctx.db().command({ ping: 1 })).toMatchObject({ ok: 1 });
}

describe('wire protocol', () => {
  it('answers the legacy OP_QUERY handshake with OP_REPLY', async () => {
    const { data } = await exchange([opQuery({ isMaster: 1 })], 300);
    expect(data.readInt32LE(12)).toBe(1);
    const doc = replyDoc(data);
    expect(doc).toMatchObject({ ok: 1, ismaster: true, setName: 'localdb', maxWireVersion: 21, minWireVersion: 0 });
    expect(doc.hosts).toEqual([ctx.server().server.state.hostPort]);
  });

  it('accepts OP_MSG with a CRC-32C checksum and rejects a wrong one', async () => {
    const good = await exchange([opMsg({ ping: 1, $db: 'admin' }, 7, 1)], 300);
    expect(replyDoc(good.data)).toMatchObject({ ok: 1 });
    expect(good.data.readInt32LE(8)).toBe(7);
    const bad = opMsg({ ping: 1, $db: 'admin' }, 8, 1);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1);
    expect((await exchange([bad])).closed).toBe(true);
    await stillServes();
  });

  it('answers a failing handler with InternalError (1), logs it and keeps serving', async () => {
    const errors: unknown[] = [];
    const db = await startLocalDb({ logger: { ...quietLogger, error: (...args: unknown[]) => errors.push(args) } });
    const registry = COMMANDS as Map<string, Handler>;
    registry.set('explodeForTest', () => {
      throw new TypeError('boom');
    });
    const client = await MongoClient.connect(db.uri);
    try {
      await expect(client.db('admin').command({ explodeForTest: 1 })).rejects.toMatchObject({ code: 1, codeName: 'InternalError' });
      expect(errors).toHaveLength(1);
      expect(await client.db('admin').command({ ping: 1 })).toMatchObject({ ok: 1 });
    } finally {
      registry.delete('explodeForTest');
      await client.close();
      await db.stop();
    }
  });

  it('answers unknown commands with CommandNotFound (59)', async () => {
    await expect(ctx.db().command({ frobnicate: 1 })).rejects.toMatchObject({ code: 59, codeName: 'CommandNotFound' });
    const { data } = await exchange([opMsg({ frobnicate: 1, $db: 'admin' })], 300);
    expect(replyDoc(data)).toMatchObject({ ok: 0, code: 59, codeName: 'CommandNotFound', errmsg: "no such command: 'frobnicate'" });
  });

  it('closes connections that send garbage, truncated or oversized messages, and keeps serving others', async () => {
    const garbage = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await exchange([garbage])).closed).toBe(true);
    const oversized = Buffer.alloc(16);
    oversized.writeInt32LE(100 * 1024 * 1024, 0);
    expect((await exchange([oversized])).closed).toBe(true);
    const tiny = Buffer.alloc(16);
    tiny.writeInt32LE(3, 0);
    expect((await exchange([tiny])).closed).toBe(true);
    const badBson = opMsg({ ping: 1, $db: 'admin' });
    badBson.writeInt32LE(9999, 21);
    expect((await exchange([badBson])).closed).toBe(true);
    const unknownOp = opMsg({ ping: 1 });
    unknownOp.writeInt32LE(9999, 12);
    expect((await exchange([unknownOp])).closed).toBe(true);
    const truncated = opMsg({ ping: 1, $db: 'admin' }).subarray(0, 30);
    const t = await exchange([truncated], 300);
    expect(t.data.length).toBe(0);
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919) & 0xff;
    random.writeInt32LE(4096, 0);
    random.writeInt32LE(2013, 12);
    expect((await exchange([random])).closed).toBe(true);
    await stillServes();
  });

  it('handles a message split across many packets and several messages in one packet', async () => {
    const one = opMsg({ ping: 1, $db: 'admin' }, 1);
    const two = opMsg({ ping: 1, $db: 'admin' }, 2);
    const parts = [...one].map((b) => Buffer.from([b]));
    const { data } = await exchange([...parts, Buffer.concat([two, opMsg({ ping: 1, $db: 'admin' }, 3)])], 300);
    let pos = 0;
    const ids: number[] = [];
    while (pos < data.length) {
      ids.push(data.readInt32LE(pos + 8));
      pos += data.readInt32LE(pos);
    }
    expect(ids).toEqual([1, 2, 3]);
  });

  it('does not reply to moreToCome requests (w:0 writes)', async () => {
    await ctx.coll('w0').insertOne({ a: 1 }, { writeConcern: { w: 0 } });
    await new Promise((r) => setTimeout(r, 50));
    expect(await ctx.coll('w0').countDocuments()).toBe(1);
  });

  it('streams awaitable hello replies with moreToCome, so driver heartbeats never fail', async () => {
    const client = new MongoClient(ctx.server().uri, { heartbeatFrequencyMS: 200 });
    let ok = 0;
    let failed = 0;
    let cleared = 0;
    client.on('serverHeartbeatSucceeded', () => ok++);
    client.on('serverHeartbeatFailed', () => failed++);
    client.on('connectionPoolCleared', () => cleared++);
    try {
      await client.connect();
      await new Promise((r) => setTimeout(r, 1200));
      await client.db('admin').command({ ping: 1 });
    } finally {
      await client.close();
    }
    expect(ok).toBeGreaterThanOrEqual(3);
    expect(failed).toBe(0);
    expect(cleared).toBe(0);
  });

  it('answers the hello handshake as a replica set primary', async () => {
    const hello = await ctx.db('admin').command({ hello: 1 });
    expect(hello).toMatchObject({ isWritablePrimary: true, secondary: false, setName: 'localdb', logicalSessionTimeoutMinutes: 30, maxBsonObjectSize: 16 * 1024 * 1024, maxWriteBatchSize: 100_000 });
    expect(hello.me).toBe(ctx.server().server.state.hostPort);
    expect((await ctx.db('admin').command({ buildInfo: 1 })).version).toMatch(/^\d+\.\d+/);
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FanOut, writeNextFrames, type FanOutTarget } from './fanout.js';
import { eventually } from '../../test/harness/subscription-fixtures.js';

let url: string;
const http = createServer();
const wss = new WebSocketServer({ server: http });
const serverSockets: WebSocket[] = [];
wss.on('connection', (s) => serverSockets.push(s));

beforeAll(async () => {
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of serverSockets) s.terminate();
  await new Promise((r) => wss.close(r));
  await new Promise((r) => http.close(r));
});

/** A client and the server side of its socket; the client records every text message. */
async function pair(): Promise<{ client: WebSocket; server: WebSocket; messages: string[] }> {
  const before = serverSockets.length;
  const client = new WebSocket(url);
  const messages: string[] = [];
  client.on('message', (data, binary) => {
    expect(binary).toBe(false);
    messages.push((data as Buffer).toString('utf8'));
  });
  await new Promise((r) => client.once('open', r));
  await eventually(() => serverSockets.length > before);
  return { client, server: serverSockets.at(-1)!, messages };
}

const prefix = Buffer.from('{"id":"s1","type":"next","payload":');

describe('writeNextFrames', () => {
  it('writes complete text frames for every header size, several in one write', async () => {
    const { client, server, messages } = await pair();
    const payloads = [10, 1_000, 70_000].map((n) => Buffer.from(JSON.stringify({ data: { s: 'x'.repeat(n) } })));
    writeNextFrames(server, prefix, payloads);
    await eventually(() => messages.length === 3);
    expect(messages.map((m) => JSON.parse(m))).toEqual(payloads.map((p) => ({ id: 's1', type: 'next', payload: JSON.parse(String(p)) })));
    // From an offset: only the payloads after it.
    writeNextFrames(server, prefix, payloads, 2);
    await eventually(() => messages.length === 4);
    expect(JSON.parse(messages[3]!)).toEqual({ id: 's1', type: 'next', payload: JSON.parse(String(payloads[2])) });
    client.close();
  });
});

describe('FanOut', () => {
  it('delivers every event once, in order, to subscribers present when it was pushed', async () => {
    const targets = new Set<FanOutTarget & { got: string[] }>();
    const make = () => ({ position: 0, ended: false, got: [] as string[], write(p: readonly Buffer[], from: number) { this.got.push(...p.slice(from).map(String)); } });
    let written = 0;
    const fan = new FanOut({ subscribers: targets, onWritten: (events) => (written += events) });
    const early = Array.from({ length: 1200 }, make);
    for (const t of early) {
      fan.join(t);
      targets.add(t);
    }
    for (let i = 1; i <= 3; i++) fan.push(`{"n":${i}}`);
    const late = make();
    fan.join(late);
    targets.add(late);
    fan.push('{"n":4}');
    await eventually(() => early.every((t) => t.got.length === 4) && late.got.length === 1);
    expect(early[0]!.got).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
    expect(early[1199]!.got).toEqual(early[0]!.got);
    expect(late.got).toEqual(['{"n":4}']);
    expect(written).toBe(1200 * 4 + 1);
    fan.close();
  });

  it('with a minimum pass interval, events in between reach each subscriber in one write', async () => {
    const writes: number[] = [];
    const target = { position: 0, ended: false, write: (p: readonly Buffer[], from: number) => void writes.push(p.length - from) };
    const fan = new FanOut({ subscribers: new Set([target]), onWritten: () => undefined, minPassIntervalMs: 200 });
    fan.join(target);
    fan.push('{"n":1}');
    await eventually(() => writes.length === 1);
    fan.push('{"n":2}');
    fan.push('{"n":3}');
    fan.push('{"n":4}');
    await eventually(() => writes.length === 2);
    expect(writes).toEqual([1, 3]);
    fan.close();
  });
});

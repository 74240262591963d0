/**
 * `npm run bench:fanout -- --subscribers 10000 --rate 20 --seconds 20 [--pass-ms 0]`
 *
 * Subscription fan-out of one gateway process. Three processes: `subgraphs` (localdb in memory and
 * the fixture subgraphs feed/catalog/people, see gateway/subscriptions/fixtures.ts), `gateway` (the
 * gateway core with the subscriptions extension on one port) and `clients` (N WebSocket clients
 * speaking graphql-transport-ws, all holding the same subscription, whose payload has fields from
 * the three subgraphs; minimal clients — frames parsed by hand, no JSON parsing of events — so that
 * measuring takes little CPU from the gateway). This process sends R tick mutations per second
 * through the gateway's HTTP endpoint for S seconds and prints: delivery latency (mutation sent → payload received by a
 * client) p50/p95/p99, events delivered per second, gateway memory per idle connection (heap and
 * RSS after GC, before/after the clients connected and subscribed), and plan executions per event.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { startLocalDb } from '../localdb/index.js';
import { loadGatewayConfig } from '../gateway/config.js';
import { createGateway } from '../gateway/server.js';
import { createSubscriptionsExtension } from '../gateway/subscriptions/extension.js';
import { FIXTURE_SECRET, TICKED, composeFixtureSupergraph, startCatalog, startFeed, startPeople } from '../gateway/subscriptions/fixtures.js';
import { createLogger } from '../subgraphs/kit/logger.js';

type Msg = { type: string; [k: string]: unknown };
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CHANNEL = 'bench';
const N_KEY = Buffer.from('"n":');

/** Sends a request to a child and waits for the reply of the same type. */
function ask<T extends Msg>(child: ChildProcess, msg: Msg, timeoutMs = 600_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to ${msg.type}`)), timeoutMs);
    const onMessage = (m: Msg) => {
      if (m.type !== msg.type) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.send(msg);
  });
}

function serve(handlers: Record<string, (m: Msg) => Promise<Record<string, unknown>>>): void {
  handlers.cpu ??= async () => {
    const { user, system } = process.cpuUsage();
    return { ms: (user + system) / 1000 };
  };
  process.on('message', (m: Msg) => {
    const h = handlers[m.type];
    if (h) void h(m).then((reply) => process.send!({ type: m.type, ...reply }));
  });
  process.on('disconnect', () => process.exit(0));
}

async function subgraphsRole(): Promise<void> {
  const db = await startLocalDb({ port: 0 });
  const feed = await startFeed({ mongoUri: db.uri, dbName: 'bench' });
  const [catalog, people] = await Promise.all([startCatalog(), startPeople()]);
  serve({ urls: async () => ({ urls: { feed: feed.server.url, catalog: catalog.url, people: people.url } }) });
}

async function gatewayRole(): Promise<void> {
  const config = loadGatewayConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn', INTERNAL_SECRET: FIXTURE_SECRET, PORT: '0' });
  const logger = createLogger('gateway', 'warn');
  const subscriptions = createSubscriptionsExtension({ config, logger, tuning: { minPassIntervalMs: Number(process.argv[process.argv.indexOf('--pass-ms') + 1] ?? 0) } });
  let gateway: Awaited<ReturnType<typeof createGateway>> | undefined;
  const gc = (globalThis as { gc?: () => void }).gc;
  serve({
    start: async (m) => {
      gateway = await createGateway({ config, supergraphSdl: m.supergraph as string, extensions: [subscriptions], logger, port: 0, watch: false });
      return { url: gateway.url, wsUrl: gateway.wsUrl };
    },
    mem: async () => {
      for (let i = 0; i < 3; i++) {
        gc?.();
        await sleep(200);
      }
      const { heapUsed, rss } = process.memoryUsage();
      return { heapUsed, rss, gc: Boolean(gc) };
    },
    stats: async () => ({ stats: subscriptions.stats() }),
  });
}

/** A client frame (masked, as RFC 6455 requires from clients). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const mask = randomBytes(4);
  const body = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

/**
 * A minimal graphql-transport-ws client for measuring: HTTP upgrade, masked text frames out, and a
 * frame parser that answers pings and hands each text frame to `onText`. No per-message objects or
 * JSON parsing, so the measuring process takes as little CPU from the machine as it can.
 */
function openRawClient(wsUrl: string, onText: (buf: Buffer, start: number, end: number) => void): Promise<Socket> {
  const url = new URL(wsUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      agent: false,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Protocol': 'graphql-transport-ws' },
    });
    req.once('error', reject);
    req.once('response', (res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    req.once('upgrade', (_res, socket: Socket, head: Buffer) => {
      let pending = head;
      socket.on('data', (chunk: Buffer) => {
        let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        let at = 0;
        for (;;) {
          if (buf.length - at < 2) break;
          const opcode = buf[at] & 0x0f;
          let len = buf[at + 1] & 0x7f;
          let offset = at + 2;
          if (len === 126) {
            if (buf.length - at < 4) break;
            len = buf.readUInt16BE(at + 2);
            offset = at + 4;
          } else if (len === 127) {
            if (buf.length - at < 10) break;
            len = Number(buf.readBigUInt64BE(at + 2));
            offset = at + 10;
          }
          if (buf.length < offset + len) break;
          if (opcode === 0x1) onText(buf, offset, offset + len);
          else if (opcode === 0x9) socket.write(clientFrame(0xa, buf.subarray(offset, offset + len)));
          at = offset + len;
        }
        pending = at < buf.length ? buf.subarray(at) : EMPTY;
        buf = EMPTY;
      });
      resolve(socket);
    });
    req.end();
  });
}

const EMPTY = Buffer.alloc(0);

async function clientsRole(): Promise<void> {
  let received: Float64Array = new Float64Array(0);
  let count = 0;
  let first = 0;
  let last = 0;
  let n = 0;
  const sockets: Socket[] = [];
  serve({
    connect: async (m) => {
      n = m.subscribers as number;
      received = new Float64Array(n * (m.events as number)).fill(NaN);
      const init = clientFrame(0x1, Buffer.from('{"type":"connection_init"}'));
      const subscribe = clientFrame(0x1, Buffer.from(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: TICKED, variables: { channel: CHANNEL } } })));
      const open = (i: number) =>
        new Promise<void>((resolve, reject) => {
          let acked = false;
          openRawClient(m.wsUrl as string, (buf, start, end) => {
            if (!acked) {
              if (buf.indexOf('connection_ack', start) < 0) return;
              acked = true;
              sockets[i].write(subscribe);
              return resolve();
            }
            const t = now();
            const at = buf.indexOf(N_KEY, start);
            if (at < 0 || at >= end) return;
            let e = 0;
            for (let k = at + N_KEY.length; buf[k] >= 0x30 && buf[k] <= 0x39; k++) e = e * 10 + buf[k] - 0x30;
            received[e * n + i] = t;
            count++;
            if (!first) first = t;
            last = t;
          }).then((socket) => {
            sockets[i] = socket;
            socket.write(init);
          }, reject);
        });
      for (let i = 0; i < n; i += 250) await Promise.all(Array.from({ length: Math.min(250, n - i) }, (_, k) => open(i + k)));
      return { connected: sockets.length };
    },
    count: async () => ({ count }),
    results: async (m) => {
      const sentAt = m.sentAt as number[];
      const latencies: number[] = [];
      const firsts: number[] = [];
      let missing = 0;
      for (let e = 0; e < sentAt.length; e++) {
        let firstOfEvent = Infinity;
        for (let i = 0; i < n; i++) {
          const t = received[e * n + i];
          if (Number.isNaN(t)) missing++;
          else {
            latencies.push(t - sentAt[e]);
            firstOfEvent = Math.min(firstOfEvent, t - sentAt[e]);
          }
        }
        if (firstOfEvent !== Infinity) firsts.push(firstOfEvent);
      }
      const pct = (list: number[], p: number) => list[Math.min(list.length - 1, Math.floor((p / 100) * list.length))] ?? NaN;
      latencies.sort((a, b) => a - b);
      firsts.sort((a, b) => a - b);
      for (const socket of sockets) socket.destroy();
      return {
        p50: pct(latencies, 50), p95: pct(latencies, 95), p99: pct(latencies, 99), max: latencies.at(-1) ?? NaN,
        firstP50: pct(firsts, 50), firstP99: pct(firsts, 99),
        delivered: count, missing, spanMs: last - first,
      };
    },
  });
}

async function orchestrate(): Promise<void> {
  const { values } = parseArgs({
    options: { subscribers: { type: 'string', default: '10000' }, rate: { type: 'string', default: '20' }, seconds: { type: 'string', default: '20' }, 'pass-ms': { type: 'string', default: '0' } },
    strict: true,
  });
  const subscribers = Number(values.subscribers);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const events = Math.round(rate * seconds);
  const self = fileURLToPath(import.meta.url);
  const spawn = (role: string, extra: string[] = []) => fork(self, ['--role', role, '--pass-ms', values['pass-ms']!], { execArgv: [...process.execArgv, ...extra], stdio: 'inherit' });
  // BENCH_PROFILE=<role> writes a CPU profile of that process into ./.profiles (for investigations).
  const profile = (role: string) => (process.env.BENCH_PROFILE === role ? ['--cpu-prof', '--cpu-prof-dir=.profiles'] : process.env.BENCH_TRACE_GC === role ? ['--trace-gc'] : []);
  const children = [spawn('subgraphs', profile('subgraphs')), spawn('gateway', ['--expose-gc', '--max-old-space-size=4096', ...profile('gateway')]), spawn('clients', ['--max-old-space-size=4096', ...profile('clients')])];
  const [subgraphs, gateway, clients] = children;
  try {
    const { urls } = await ask<Msg & { urls: { feed: string; catalog: string; people: string } }>(subgraphs, { type: 'urls' });
    const { url, wsUrl } = await ask<Msg & { url: string; wsUrl: string }>(gateway, { type: 'start', supergraph: composeFixtureSupergraph(urls) });
    const before = await ask<Msg & { heapUsed: number; rss: number; gc: boolean }>(gateway, { type: 'mem' });
    const t0 = Date.now();
    await ask(clients, { type: 'connect', wsUrl, subscribers, events });
    const statsOf = async () => (await ask<Msg & { stats: Record<string, number> }>(gateway, { type: 'stats' })).stats;
    while ((await statsOf()).subscribers < subscribers) await sleep(200);
    console.log(`${subscribers} clients connected and subscribed in ${Date.now() - t0} ms`);
    await sleep(1000);
    const after = await ask<Msg & { heapUsed: number; rss: number }>(gateway, { type: 'mem' });
    const statsBefore = await statsOf();

    const mutation = JSON.stringify({ query: 'mutation ($c: ID!, $n: Int!) { tick(channel: $c, n: $n) }', variables: { c: CHANNEL, n: 0 } });
    // Warm-up on another channel: query plans, JIT, connection pools.
    for (let i = 0; i < 20; i++) {
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: mutation.replace(`"c":"${CHANNEL}"`, '"c":"warmup"') }).then((r) => r.text());
    }
    const cpuOf = async () => Promise.all(children.map(async (c) => (await ask<Msg & { ms: number }>(c, { type: 'cpu' })).ms));
    const cpuBefore = await cpuOf();
    const sentAt: number[] = [];
    const started = now();
    const sends: Promise<unknown>[] = [];
    const mutationMs: number[] = [];
    let failed = 0;
    for (let i = 0; i < events; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      sentAt[i] = now();
      const t = sentAt[i];
      sends.push(
        fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: mutation.replace('"n":0', `"n":${i}`) })
          .then((r) => r.json() as Promise<{ errors?: unknown }>)
          .then((body) => {
            mutationMs.push(now() - t);
            if (body.errors) failed++;
          }),
      );
    }
    await Promise.all(sends);
    const deadline = Date.now() + 30_000;
    while ((await ask<Msg & { count: number }>(clients, { type: 'count' })).count < events * subscribers && Date.now() < deadline) await sleep(200);
    const cpuAfter = await cpuOf();
    const wall = (now() - started) / 1000;
    const stats = await statsOf();
    const res = await ask<Msg & Record<string, number>>(clients, { type: 'results', sentAt });
    const planExecutions = stats.planExecutions - statsBefore.planExecutions;
    const kb = (bytes: number) => (bytes / 1024).toFixed(2);
    console.log(`\nfan-out: ${subscribers} subscribers, ${rate} check-ins/s for ${seconds} s (${events} events), one gateway process, fan-out passes at most every ${values['pass-ms']} ms`);
    mutationMs.sort((a, b) => a - b);
    console.log(`mutation latency ms  p50 ${mutationMs[Math.floor(mutationMs.length / 2)].toFixed(1)}  p99 ${mutationMs[Math.floor(mutationMs.length * 0.99)].toFixed(1)}  failed ${failed}`);
    console.log(`delivery latency ms  p50 ${res.p50.toFixed(1)}  p95 ${res.p95.toFixed(1)}  p99 ${res.p99.toFixed(1)}  max ${res.max.toFixed(1)}`);
    console.log(`first subscriber ms  p50 ${res.firstP50.toFixed(1)}  p99 ${res.firstP99.toFixed(1)}  (pipeline before the fan-out spread)`);
    console.log(`events delivered     ${res.delivered} of ${events * subscribers} (missing ${res.missing}); ${(res.delivered / (res.spanMs / 1000)).toFixed(0)}/s over ${(res.spanMs / 1000).toFixed(1)} s`);
    console.log(`memory per idle conn heap ${kb((after.heapUsed - before.heapUsed) / subscribers)} KB, rss ${kb((after.rss - before.rss) / subscribers)} KB${before.gc ? '' : ' (no --expose-gc: noisy)'}`);
    console.log(`fan-out time         ${((stats.fanOutMs - statsBefore.fanOutMs) / events).toFixed(1)} ms per event (writing to ${subscribers} sockets)`);
    const cores = (i: number) => ((cpuAfter[i] - cpuBefore[i]) / 1000 / wall).toFixed(2);
    console.log(`cpu (cores busy)     gateway ${cores(1)}, clients ${cores(2)}, subgraphs+localdb ${cores(0)} over ${wall.toFixed(1)} s`);
    console.log(`plan executions      ${planExecutions} for ${events} events (${(planExecutions / events).toFixed(2)} per event, ${stats.sharedSubscriptions} distinct subscription); upstream subscriptions opened ${stats.upstreamOpened}`);
  } finally {
    for (const c of children) c.disconnect();
  }
}

const roleIndex = process.argv.indexOf('--role');
const role = roleIndex >= 0 ? process.argv[roleIndex + 1] : undefined;
const run = role === 'subgraphs' ? subgraphsRole : role === 'gateway' ? gatewayRole : role === 'clients' ? clientsRole : orchestrate;
run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

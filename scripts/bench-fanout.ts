/**
 * `npm run bench:fanout -- --subscribers 10000 --rate 20 --seconds 20 [--clients auto|c|node] [--pin] [--pass-ms 0]`
 *
 * Subscription fan-out of one gateway process. The gateway runs in its own process (the gateway core
 * with the subscriptions extension on one port), the subgraphs in another (localdb in memory and
 * the fixture subgraphs feed/catalog/people, see test/harness/subscription-fixtures.ts), and N WebSocket
 * clients speaking graphql-transport-ws hold the same subscription, each under its own id, whose
 * payload has fields from the three subgraphs. This process sends R tick mutations per second
 * through the gateway's HTTP endpoint for S seconds and prints: delivery latency (mutation sent →
 * payload received by a client) p50/p95/p99, events delivered per second, gateway memory per idle
 * connection (heap and RSS after GC, before/after the clients connected and subscribed), socket
 * writes and plan executions per event, and the CPU each part used.
 *
 * The clients are the measuring instrument and share the machine with what they measure, so they
 * are made as cheap as possible: by default (`--clients auto`) a small C program
 * (scripts/bench/wsclients.c, built on first use with the system's C compiler), otherwise
 * (`--clients node`, or no compiler) a Node.js process with minimal hand-written clients. `--pin`
 * (Linux, 2+ CPUs) gives the gateway CPU 0 to itself and puts everything else on the other CPUs,
 * as when clients and subgraphs run on other machines.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { startLocalDb } from '../localdb/index.js';
import { loadGatewayConfig } from '../gateway/config.js';
import { createGateway } from '../gateway/server.js';
import { useSubscriptions } from '../gateway/plugins/subscriptions.js';
import { FIXTURE_SECRET, TICKED, composeFixtureSupergraph, startCatalog, startFeed, startPeople } from '../test/harness/subscription-fixtures.js';
import type { SubscriptionStats } from '../gateway/subscriptions/server.js';
import { createLogger } from '../platform/logger.js';
import { NativeClientsUnavailable, buildNativeClients, startNativeClients, type NativeClients } from './bench/native-clients.js';

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

/** Answers one request type from the orchestrator, at once or when a promise settles. */
type RoleHandler = (m: Msg) => Record<string, unknown> | Promise<Record<string, unknown>>;

function serve(handlers: Record<string, RoleHandler>): void {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  handlers.cpu ??= () => {
    const { user, system } = process.cpuUsage();
    const reply = { ms: (user + system) / 1000, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 };
    loop.reset();
    return reply;
  };
  process.on('message', (m: Msg) => {
    const h = handlers[m.type];
    // Run inside the promise chain so a handler that throws rejects like one whose promise rejects.
    if (h) void Promise.resolve(m).then(h).then((reply) => process.send!({ type: m.type, ...reply }));
  });
  process.on('disconnect', () => process.exit(0));
}

async function subgraphsRole(): Promise<void> {
  const db = await startLocalDb({ port: 0 });
  const feed = await startFeed({ mongoUri: db.uri, dbName: 'bench' });
  const [catalog, people] = await Promise.all([startCatalog(), startPeople()]);
  serve({ urls: () => ({ urls: { feed: feed.server.url, catalog: catalog.url, people: people.url } }) });
}

function gatewayRole(): void {
  const config = loadGatewayConfig({ NODE_ENV: 'production', LOG_LEVEL: 'warn', INTERNAL_SECRET: FIXTURE_SECRET, PORT: '0' });
  const logger = createLogger('gateway', 'warn');
  const subscriptions = useSubscriptions({ config, logger, tuning: { minPassIntervalMs: Number(process.argv[process.argv.indexOf('--pass-ms') + 1] ?? 0) } });
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
    stats: () => ({ stats: subscriptions.stats() }),
  });
}

/** A client frame (masked, as RFC 6455 requires from clients). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  const mask = randomBytes(4);
  const body = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) body[i] = payload.readUInt8(i) ^ mask.readUInt8(i & 3);
  return Buffer.concat([head, mask, body]);
}

/** One read buffer shared by every client socket: reads are handled synchronously, frames copied only when split. */
const READ_BUFFER = Buffer.allocUnsafe(1 << 16);
const HEADERS_END = Buffer.from('\r\n\r\n');

/**
 * A minimal graphql-transport-ws client for measuring: the HTTP upgrade written by hand, masked text
 * frames out, and a frame parser that answers pings and hands each text frame to `onText`. Sockets
 * read into one shared buffer (`onread`), bypassing stream objects; no per-message objects or JSON
 * parsing, so the measuring process takes as little CPU from the machine as it can.
 */
function openRawClient(wsUrl: string, onText: (buf: Buffer, start: number, end: number, socket: Socket) => void): Promise<Socket> {
  const url = new URL(wsUrl);
  return new Promise((resolve, reject) => {
    let upgraded = false;
    let pending: Buffer = EMPTY;
    const parseFrames = (buf: Buffer) => {
      let at = 0;
      for (;;) {
        if (buf.length - at < 2) break;
        const opcode = buf.readUInt8(at) & 0x0f;
        let len = buf.readUInt8(at + 1) & 0x7f;
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
        if (opcode === 0x1) onText(buf, offset, offset + len, socket);
        else if (opcode === 0x9) socket.write(clientFrame(0xa, buf.subarray(offset, offset + len)));
        at = offset + len;
      }
      // What is left belongs to the next read: copied out of the shared buffer.
      pending = at < buf.length ? Buffer.from(buf.subarray(at)) : EMPTY;
    };
    const socket: Socket = connect({
      host: url.hostname,
      port: Number(url.port),
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (nread: number, chunk: Uint8Array): boolean => {
          const data = Buffer.from(chunk.buffer, chunk.byteOffset, nread);
          const buf = pending.length ? Buffer.concat([pending, data]) : data;
          if (upgraded) {
            parseFrames(buf);
            return true;
          }
          const headersEnd = buf.indexOf(HEADERS_END);
          if (headersEnd < 0) {
            pending = Buffer.from(buf);
            return true;
          }
          if (!buf.subarray(0, 12).toString('latin1').startsWith('HTTP/1.1 101')) {
            socket.destroy();
            reject(new Error(`upgrade refused: ${buf.subarray(0, buf.indexOf('\r\n')).toString('latin1')}`));
            return false;
          }
          upgraded = true;
          pending = EMPTY;
          resolve(socket);
          parseFrames(buf.subarray(headersEnd + 4));
          return true;
        },
      },
    });
    socket.once('error', reject);
    socket.write(
      `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
    );
  });
}

const EMPTY = Buffer.alloc(0);

/** Delivery figures from arrival times (`received[e * n + i]`: event e at client i, NaN if missing). */
interface Summary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  firstP50: number;
  firstP99: number;
  delivered: number;
  missing: number;
  spanMs: number;
}

/** The value at percentile `p` of an ascending list; NaN for an empty one. */
function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function summarize(received: Float64Array, n: number, sentAt: readonly number[]): Summary {
  const latencies = new Float64Array(n * sentAt.length);
  const firsts: number[] = [];
  let delivered = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const [e, sent] of sentAt.entries()) {
    let firstOfEvent = Infinity;
    for (const t of received.subarray(e * n, (e + 1) * n)) {
      if (Number.isNaN(t)) continue;
      const latency = t - sent;
      latencies[delivered++] = latency;
      if (latency < firstOfEvent) firstOfEvent = latency;
      if (t < first) first = t;
      if (t > last) last = t;
    }
    if (firstOfEvent !== Infinity) firsts.push(firstOfEvent);
  }
  const sorted = latencies.subarray(0, delivered).sort();
  firsts.sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN,
    firstP50: percentile(firsts, 50), firstP99: percentile(firsts, 99),
    delivered, missing: n * sentAt.length - delivered, spanMs: delivered ? last - first : 0,
  };
}

/** The subscribe message of client `id` (each client has its own id, as graphql-ws clients do). */
const subscribeMessage = (id: string) => JSON.stringify({ id, type: 'subscribe', payload: { query: TICKED, variables: { channel: CHANNEL } } });

function clientsRole(): void {
  let received: Float64Array = new Float64Array(0);
  let count = 0;
  let n = 0;
  const sockets: Socket[] = [];
  serve({
    connect: async (m) => {
      n = m.subscribers as number;
      received = new Float64Array(n * (m.events as number)).fill(NaN);
      const init = clientFrame(0x1, Buffer.from('{"type":"connection_init"}'));
      const open = (i: number) =>
        new Promise<void>((resolve, reject) => {
          let acked = false;
          openRawClient(m.wsUrl as string, (buf, start, end, socket) => {
            if (!acked) {
              if (buf.indexOf('connection_ack', start) < 0) return;
              acked = true;
              socket.write(clientFrame(0x1, Buffer.from(subscribeMessage(String(i)))));
              return resolve();
            }
            const t = now();
            const at = buf.indexOf(N_KEY, start);
            if (at < 0 || at >= end) return;
            let e = 0;
            for (let k = at + N_KEY.length; k < end; k++) {
              const digit = buf.readUInt8(k) - 0x30;
              if (digit < 0 || digit > 9) break;
              e = e * 10 + digit;
            }
            if (Number.isNaN(received[e * n + i])) count++;
            received[e * n + i] = t;
          }).then((socket) => {
            sockets[i] = socket;
            socket.write(init);
          }, reject);
        });
      for (let i = 0; i < n; i += 250) await Promise.all(Array.from({ length: Math.min(250, n - i) }, (_, k) => open(i + k)));
      return { connected: sockets.length };
    },
    count: () => ({ count }),
    results: (m) => {
      for (const socket of sockets) socket.destroy();
      return { summary: summarize(received, n, m.sentAt as number[]) };
    },
  });
}

/** The measuring clients, as the orchestrator drives them. */
interface Clients {
  kind: string;
  connect(wsUrl: string, subscribers: number, events: number): Promise<void>;
  count(): Promise<number>;
  /** CPU ms used so far, and event-loop delay p99/max since the previous call (Node clients only). */
  cpu(): Promise<{ ms: number; loop?: string }>;
  results(sentAt: number[]): Promise<Summary>;
  stop(): Promise<void>;
}

function nodeClients(child: ChildProcess): Clients {
  return {
    kind: 'Node.js',
    connect: async (wsUrl, subscribers, events) => void (await ask(child, { type: 'connect', wsUrl, subscribers, events })),
    count: async () => (await ask<Msg & { count: number }>(child, { type: 'count' })).count,
    cpu: async () => {
      const c = await ask<Msg & { ms: number; loopP99: number; loopMax: number }>(child, { type: 'cpu' });
      return { ms: c.ms, loop: `${c.loopP99.toFixed(0)}/${c.loopMax.toFixed(0)}` };
    },
    results: async (sentAt) => (await ask<Msg & { summary: Summary }>(child, { type: 'results', sentAt })).summary,
    stop: () => {
      child.disconnect();
      return Promise.resolve();
    },
  };
}

function cClients(): Clients {
  let clients: NativeClients | undefined;
  let n = 0;
  return {
    kind: 'native (C)',
    async connect(wsUrl, subscribers, events) {
      n = subscribers;
      clients = await startNativeClients({ wsUrl, subscribers, events, subscribeMessage: subscribeMessage('__ID__') });
    },
    count: () => clients!.count(),
    cpu: async () => ({ ms: await clients!.cpuMs() }),
    results: async (sentAt) => summarize(await clients!.times(), n, sentAt),
    stop: async () => clients?.stop(),
  };
}

/** Runs `pid` (and its threads) on the given CPUs. */
function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
}

async function orchestrate(): Promise<void> {
  const { values } = parseArgs({
    options: {
      subscribers: { type: 'string', default: '10000' },
      rate: { type: 'string', default: '20' },
      seconds: { type: 'string', default: '20' },
      'pass-ms': { type: 'string', default: '0' },
      clients: { type: 'string', default: 'auto' },
      pin: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const subscribers = Number(values.subscribers);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const events = Math.round(rate * seconds);
  const self = fileURLToPath(import.meta.url);
  const spawn = (role: string, extra: string[] = []) => fork(self, ['--role', role, '--pass-ms', values['pass-ms']], { execArgv: [...process.execArgv, ...extra], stdio: 'inherit' });
  // BENCH_PROFILE=<role> writes a CPU profile of that process into ./.profiles (for investigations).
  const profile = (role: string) => (process.env.BENCH_PROFILE === role ? ['--cpu-prof', '--cpu-prof-dir=.profiles'] : process.env.BENCH_TRACE_GC === role ? ['--trace-gc'] : []);
  const cpuCount = availableParallelism();
  if (values.pin && cpuCount < 2) throw new Error('--pin needs at least 2 CPUs');
  // --pin: the gateway gets CPU 0 to itself; this process, the subgraphs and the clients share the others.
  const rest = cpuCount > 2 ? `1-${cpuCount - 1}` : '1';
  if (values.pin) pin(process.pid, rest);
  const subgraphs = spawn('subgraphs', profile('subgraphs'));
  const gateway = spawn('gateway', ['--expose-gc', '--max-old-space-size=4096', ...profile('gateway')]);
  const children = [subgraphs, gateway];
  let clients: Clients;
  if (values.clients === 'node') clients = nodeClients(spawn('clients', ['--max-old-space-size=4096', ...profile('clients')]));
  else {
    clients = cClients();
    if (values.clients === 'auto') {
      try {
        await buildNativeClients();
      } catch (err) {
        if (!(err instanceof NativeClientsUnavailable)) throw err;
        console.log(`native clients unavailable (${err.message.split('\n')[0]}); measuring with Node.js clients`);
        clients = nodeClients(spawn('clients', ['--max-old-space-size=4096', ...profile('clients')]));
      }
    }
  }
  if (values.pin) {
    pin(gateway.pid!, '0');
    pin(subgraphs.pid!, rest);
  }
  try {
    const { urls } = await ask<Msg & { urls: { feed: string; catalog: string; people: string } }>(subgraphs, { type: 'urls' });
    const { url, wsUrl } = await ask<Msg & { url: string; wsUrl: string }>(gateway, { type: 'start', supergraph: composeFixtureSupergraph(urls) });
    const before = await ask<Msg & { heapUsed: number; rss: number; gc: boolean }>(gateway, { type: 'mem' });
    const t0 = Date.now();
    await clients.connect(wsUrl, subscribers, events);
    const statsOf = async () => (await ask<Msg & { stats: SubscriptionStats }>(gateway, { type: 'stats' })).stats;
    while ((await statsOf()).subscribers < subscribers) await sleep(200);
    console.log(`${subscribers} clients (${clients.kind}) connected and subscribed in ${Date.now() - t0} ms`);
    await sleep(1000);
    const after = await ask<Msg & { heapUsed: number; rss: number }>(gateway, { type: 'mem' });
    const statsBefore = await statsOf();

    const mutation = JSON.stringify({ query: 'mutation ($c: ID!, $n: Int!) { tick(channel: $c, n: $n) }', variables: { c: CHANNEL, n: 0 } });
    // Warm-up on another channel: query plans, JIT, connection pools.
    for (let i = 0; i < 20; i++) {
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: mutation.replace(`"c":"${CHANNEL}"`, '"c":"warmup"') }).then((r) => r.text());
    }
    const cpuOfChild = async (child: ChildProcess) => {
      const c = await ask<Msg & { ms: number; loopP99: number; loopMax: number }>(child, { type: 'cpu' });
      return { ms: c.ms, loop: `${c.loopP99.toFixed(0)}/${c.loopMax.toFixed(0)}` };
    };
    const cpuOf = async () => {
      const [subgraphsCpu, gatewayCpu] = await Promise.all([cpuOfChild(subgraphs), cpuOfChild(gateway)]);
      return { subgraphs: subgraphsCpu, gateway: gatewayCpu, clients: await clients.cpu() };
    };
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
      const t = now();
      sentAt[i] = t;
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
    while ((await clients.count()) < events * subscribers && Date.now() < deadline) await sleep(200);
    const cpuAfter = await cpuOf();
    const wall = (now() - started) / 1000;
    const stats = await statsOf();
    const res = await clients.results(sentAt);
    const planExecutions = stats.planExecutions - statsBefore.planExecutions;
    const kb = (bytes: number) => (bytes / 1024).toFixed(2);
    console.log(`\nfan-out: ${subscribers} subscribers, ${rate} check-ins/s for ${seconds} s (${events} events), one gateway process${values['pass-ms'] !== '0' ? `, fan-out passes at most every ${values['pass-ms']} ms` : ''}`);
    console.log(`machine: ${cpuCount} CPUs; ${values.pin ? 'gateway pinned to CPU 0, subgraphs + clients + this process on the others' : 'gateway, subgraphs and clients share every CPU'}; ${clients.kind} clients`);
    mutationMs.sort((a, b) => a - b);
    console.log(`mutation latency ms  p50 ${percentile(mutationMs, 50).toFixed(1)}  p99 ${percentile(mutationMs, 99).toFixed(1)}  failed ${failed}`);
    console.log(`delivery latency ms  p50 ${res.p50.toFixed(1)}  p95 ${res.p95.toFixed(1)}  p99 ${res.p99.toFixed(1)}  max ${res.max.toFixed(1)}`);
    console.log(`first subscriber ms  p50 ${res.firstP50.toFixed(1)}  p99 ${res.firstP99.toFixed(1)}  (pipeline before the fan-out spread)`);
    console.log(`events delivered     ${res.delivered} of ${events * subscribers} (missing ${res.missing}); ${(res.delivered / (res.spanMs / 1000)).toFixed(0)}/s over ${(res.spanMs / 1000).toFixed(1)} s`);
    console.log(`memory per idle conn heap ${kb((after.heapUsed - before.heapUsed) / subscribers)} KB, rss ${kb((after.rss - before.rss) / subscribers)} KB${before.gc ? '' : ' (no --expose-gc: noisy)'}`);
    console.log(`fan-out time         ${((stats.fanOutMs - statsBefore.fanOutMs) / events).toFixed(1)} ms per event (writing to ${subscribers} sockets); ${((stats.socketWrites - statsBefore.socketWrites) / events).toFixed(0)} socket writes per event`);
    const cores = (part: keyof typeof cpuAfter) => ((cpuAfter[part].ms - cpuBefore[part].ms) / 1000 / wall).toFixed(2);
    console.log(`cpu (cores busy)     gateway ${cores('gateway')}, clients ${cores('clients')}, subgraphs+localdb ${cores('subgraphs')} over ${wall.toFixed(1)} s`);
    console.log(`event-loop delay ms  p99/max gateway ${cpuAfter.gateway.loop}, subgraphs+localdb ${cpuAfter.subgraphs.loop}${cpuAfter.clients.loop ? `, clients ${cpuAfter.clients.loop}` : ''}`);
    console.log(`plan executions      ${planExecutions} for ${events} events (${(planExecutions / events).toFixed(2)} per event, ${stats.sharedSubscriptions} distinct subscription); upstream subscriptions opened ${stats.upstreamOpened}`);
  } finally {
    await clients.stop();
    for (const c of children) c.disconnect();
  }
}

const roleIndex = process.argv.indexOf('--role');
const role = roleIndex >= 0 ? process.argv[roleIndex + 1] : undefined;
const run: () => void | Promise<void> = role === 'subgraphs' ? subgraphsRole : role === 'gateway' ? gatewayRole : role === 'clients' ? clientsRole : orchestrate;
// Inside the promise chain, so a role that throws while starting is reported like one that rejects.
Promise.resolve().then(run).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

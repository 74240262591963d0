/**
 * The fan-out benchmark's measuring clients in C (wsclients.c next to this file): N
 * graphql-transport-ws clients in one single-threaded epoll process, so that measuring takes as
 * little CPU as possible from the gateway being measured. The binary is compiled once per version
 * of the source into node_modules/.cache/eventgraph-bench and driven over stdin/stdout lines (see
 * the protocol at the top of wsclients.c).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { access, constants, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface NativeClients {
  /** Connections open and subscribed when the clients became ready. */
  connected: number;
  /** Events received so far (first arrivals: one per client and event at most). */
  count(): Promise<number>;
  /** User + system CPU time of the clients process, in ms. */
  cpuMs(): Promise<number>;
  /** Arrival times, ms since the Unix epoch: `times[e * subscribers + i]` for event e at client i, NaN if not received. */
  times(): Promise<Float64Array>;
  /**
   * Counters: open and closed connections, protocol_errors, duplicates, out_of_range and other_texts
   * (text frames that were not a new event), wakeups (epoll) and reads (socket reads).
   */
  stats(): Promise<Record<string, number>>;
  /** Closes every connection and waits for the process to exit. */
  stop(): Promise<void>;
}

/** No working C compiler (or the source did not compile): the benchmark falls back to Node clients. */
export class NativeClientsUnavailable extends Error {
  override name = 'NativeClientsUnavailable';
}

const SOURCE = fileURLToPath(new URL('./wsclients.c', import.meta.url));
const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/eventgraph-bench', import.meta.url));
const STOP_GRACE_MS = 5_000;
/** How long connecting and subscribing may take: at least a minute, more for many clients. */
const readyTimeoutMs = (subscribers: number) => Math.max(60_000, subscribers * 10);

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(`${file}: not found`));
      const output = `${stderr}${stdout}`.trim();
      reject(new Error(output ? `${file}: ${output}` : `${file}: ${err.message}`));
    });
  });
}

let built: Promise<string> | undefined;

/**
 * Compiles wsclients.c (cc, else gcc) unless a binary of this exact source is cached; resolves to
 * the binary's path. Throws NativeClientsUnavailable when no C compiler works.
 */
export function buildNativeClients(): Promise<string> {
  built ??= (async () => {
    const source = await readFile(SOURCE);
    const binary = join(CACHE_DIR, `wsclients-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`);
    try {
      await access(binary, constants.X_OK);
      return binary;
    } catch {
      // not built yet
    }
    await mkdir(CACHE_DIR, { recursive: true });
    // Compiled under a temporary name and renamed, so that concurrent builds never see half a binary.
    const partial = `${binary}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const failures: string[] = [];
    for (const compiler of ['cc', 'gcc']) {
      try {
        await run(compiler, ['-O2', '-o', partial, SOURCE]);
        await rename(partial, binary);
        return binary;
      } catch (err) {
        failures.push((err as Error).message);
        await rm(partial, { force: true });
      }
    }
    // First line: a summary (the first error of each compiler); then everything the compilers said.
    const summary = failures.map((f) => f.split('\n').find((line) => /error/i.test(line)) ?? f.split('\n')[0]).join('; ');
    throw new NativeClientsUnavailable(`cannot compile wsclients.c (${summary})\n${failures.join('\n')}`);
  })();
  return built;
}

/** Builds (once, cached) and starts the C clients; resolves when all are subscribed. Throws NativeClientsUnavailable when no C compiler works. */
export async function startNativeClients(opts: {
  wsUrl: string;
  subscribers: number;
  events: number;
  /** JSON text of the subscribe message; `__ID__` in it is replaced by each client's index. */
  subscribeMessage: string;
}): Promise<NativeClients> {
  const binary = await buildNativeClients();
  const url = new URL(opts.wsUrl);
  if (url.protocol !== 'ws:') throw new Error(`wsclients speaks plain ws:// only, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port || '80';
  const messageFile = join(tmpdir(), `wsclients-subscribe-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  await writeFile(messageFile, opts.subscribeMessage);

  const child: ChildProcess = spawn(binary, [host, port, url.pathname + url.search, String(opts.subscribers), String(opts.events), messageFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const stdin = child.stdin!;
  stdin.on('error', () => {
    // EPIPE when the process is gone: reported through 'close'.
  });

  type Waiter = { resolve: (line: string) => void; reject: (err: Error) => void };
  const queue: Waiter[] = [];
  let ready: Waiter | undefined;
  let failure: Error | undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      void rm(messageFile, { force: true });
      const err = failure ?? new Error(`wsclients exited (${signal ?? `code ${code}`})`);
      for (const w of queue.splice(0)) w.reject(err);
      ready?.reject(err);
      ready = undefined;
      resolve();
    };
    // 'close' rather than 'exit': every line the process wrote (an ERROR) has been read by then.
    child.once('close', done);
    child.once('error', (err) => {
      failure ??= new Error(`wsclients: ${err.message}`);
      done(null, null);
    });
  });

  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('READY ')) {
      ready?.resolve(line);
      ready = undefined;
    } else if (line.startsWith('ERROR ')) {
      failure = new Error(`wsclients: ${line.slice(6)}`);
      ready?.reject(failure);
      ready = undefined;
    } else {
      queue.shift()?.resolve(line);
    }
  });

  const request = (command: string, answer: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      if (exited) return reject(failure ?? new Error('wsclients has exited'));
      queue.push({
        resolve: (line) => (line === answer || line.startsWith(`${answer} `) ? resolve(line.slice(answer.length + 1)) : reject(new Error(`wsclients: ${command}: ${line}`))),
        reject,
      });
      stdin.write(`${command}\n`);
    });

  const stop = async (): Promise<void> => {
    if (!exited) {
      stdin.write('QUIT\n');
      stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exit;
      clearTimeout(timer);
    }
    await rm(messageFile, { force: true });
  };

  let readyLine: string;
  try {
    readyLine = await new Promise<string>((resolve, reject) => {
      if (exited) return reject(failure ?? new Error('wsclients has exited'));
      const ms = readyTimeoutMs(opts.subscribers);
      const timer = setTimeout(() => {
        failure ??= new Error(`wsclients: ${opts.subscribers} clients not connected and subscribed after ${ms} ms`);
        ready?.reject(failure);
        ready = undefined;
      }, ms);
      const settled = () => clearTimeout(timer);
      ready = {
        resolve: (line) => (settled(), resolve(line)),
        reject: (err) => (settled(), reject(err)),
      };
    });
  } catch (err) {
    await stop();
    throw err;
  }
  await rm(messageFile, { force: true });

  return {
    connected: Number(readyLine.slice(6)),
    count: async () => Number(await request('COUNT', 'COUNT')),
    cpuMs: async () => Number(await request('CPU', 'CPU')),
    times: async () => {
      const file = join(tmpdir(), `wsclients-times-${process.pid}-${randomBytes(4).toString('hex')}.f64`);
      try {
        await request(`DUMP ${file}`, 'DUMPED');
        const bytes = await readFile(file);
        const expected = opts.subscribers * opts.events * 8;
        if (bytes.byteLength !== expected) throw new Error(`wsclients: DUMP wrote ${bytes.byteLength} bytes, expected ${expected}`);
        if (endianness() === 'LE' && bytes.byteOffset % 8 === 0) return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        return Float64Array.from({ length: bytes.byteLength / 8 }, (_, k) => view.getFloat64(k * 8, true));
      } finally {
        await rm(file, { force: true });
      }
    },
    stats: async () =>
      Object.fromEntries(
        (await request('STATS', 'STATS')).split(' ').map((kv): [string, number] => {
          const [key = '', value] = kv.split('=');
          return [key, Number(value)];
        }),
      ),
    stop,
  };
}

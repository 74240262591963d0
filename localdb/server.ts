import { ObjectId } from 'bson';
import net from 'node:net';
import { Catalog, type JournalOp } from './catalog.js';
import { Connection } from './connection.js';
import type { Logger, ServerState } from './context.js';
import { CursorStore } from './cursors.js';
import { dispatch } from './dispatch.js';
import { Journal } from './journal.js';
import { RetryCache } from './retry-cache.js';
import { Transactions } from './transactions.js';
import { sweepExpired } from './ttl.js';

/** Options of a localdb server. */
export interface ServerOptions {
  host: string;
  port: number;
  dbPath?: string;
  replSetName: string;
  ttlIntervalMs: number;
  compactBytes: number;
  cursorTimeoutMs: number;
  transactionLifetimeMs: number;
  logger: Logger;
}

/** A running localdb instance: its TCP listener, connections, state and background timers. */
export class LocalDbServer {
  readonly state: ServerState;
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly timers: NodeJS.Timeout[] = [];
  private nextConnId = 1;
  private stopping: Promise<void> | null = null;

  constructor(private readonly opts: ServerOptions) {
    const catalog = new Catalog();
    const journal = opts.dbPath ? Journal.open(opts.dbPath, catalog, { compactBytes: opts.compactBytes, logger: opts.logger }) : null;
    this.state = {
      catalog,
      cursors: new CursorStore(),
      txns: new Transactions(catalog),
      journal,
      counters: { collScans: 0, indexScans: 0, docsExamined: 0, keysExamined: 0 },
      retries: new RetryCache(),
      setName: opts.replSetName,
      processId: new ObjectId(),
      electionId: new ObjectId('7fffffff0000000000000001'),
      startedAt: new Date(),
      logger: opts.logger,
      hostPort: '',
      replyId: 0,
      closing: false,
    };
    this.server = net.createServer((socket) => this.accept(socket));
  }

  private accept(socket: net.Socket): void {
    if (this.state.closing) {
      socket.destroy();
      return;
    }
    const conn = new Connection(
      this.nextConnId++,
      socket,
      (req, c) => dispatch(this.state, req, c),
      this.opts.logger,
      (c) => this.connections.delete(c),
    );
    this.connections.add(conn);
  }

  /** Starts listening; resolves with the bound port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address() as net.AddressInfo;
    const host = this.opts.host === '0.0.0.0' || this.opts.host === '::' ? '127.0.0.1' : this.opts.host;
    this.state.hostPort = `${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
    this.startTimers();
    return addr.port;
  }

  private startTimers(): void {
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(() => {
        try {
          fn();
        } catch (err) {
          this.opts.logger.error('localdb: background task failed', err);
        }
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.ttlIntervalMs, () => this.sweepTtl());
    every(Math.min(60_000, this.opts.cursorTimeoutMs), () => this.state.cursors.sweep(this.opts.cursorTimeoutMs));
    every(Math.min(10_000, this.opts.transactionLifetimeMs), () => this.state.txns.sweep(this.opts.transactionLifetimeMs));
  }

  private sweepTtl(): void {
    const ops: JournalOp[] = [];
    sweepExpired(this.state.catalog, this.state.txns, ops);
    if (ops.length && this.state.journal) {
      this.state.journal.append(ops).catch((err) => this.opts.logger.error('localdb: TTL journal write failed', err));
    }
  }

  /** Stops accepting, closes every connection, flushes the journal. Safe to call more than once. */
  stop(): Promise<void> {
    if (!this.stopping) this.stopping = this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.state.closing = true;
    for (const t of this.timers) clearInterval(t);
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of [...this.connections]) c.close();
    await closed;
    this.state.txns.abortAll();
    this.state.cursors.clear();
    await this.state.journal?.close();
  }
}

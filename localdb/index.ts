import type { Logger } from './context.js';
import { LocalDbServer } from './server.js';

/** Options of {@link startLocalDb}. */
export interface LocalDbOptions {
  /** TCP port; 0 (default) picks a free ephemeral port. */
  port?: number;
  /** Directory for the journal and snapshots; in memory when undefined. */
  dbPath?: string;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Replica set name reported in hello; default `localdb`. */
  replSetName?: string;
  /** How often expired TTL documents are deleted; default 1000 ms. */
  ttlIntervalMs?: number;
  /** Journal size that triggers compaction; default 64 MiB. */
  compactBytes?: number;
  /** Idle cursors are closed after this long; default 10 minutes. */
  cursorTimeoutMs?: number;
  /** Open transactions are aborted after this long idle; default 60 s. */
  transactionLifetimeMs?: number;
  /** Where warnings and errors go; default console. */
  logger?: Logger;
}

/** A running embedded server. */
export interface LocalDb {
  /** Connection string for the MongoDB driver / mongoose (no database name: pass `dbName` or use {@link LocalDb.uriFor}). */
  uri: string;
  port: number;
  /** Connection string selecting a database, e.g. `uriFor('app')`. */
  uriFor(dbName: string): string;
  /** The server object, for diagnostics (query counters, journal). */
  server: LocalDbServer;
  /** Closes all sockets and flushes the journal. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts an embedded MongoDB-compatible server speaking the wire protocol.
 * It presents itself as the primary of a single-node replica set, so sessions,
 * retryable writes and transactions work with the official driver and mongoose.
 */
export async function startLocalDb(options: LocalDbOptions = {}): Promise<LocalDb> {
  const host = options.host ?? '127.0.0.1';
  const server = new LocalDbServer({
    host,
    port: options.port ?? 0,
    dbPath: options.dbPath,
    replSetName: options.replSetName ?? 'localdb',
    ttlIntervalMs: options.ttlIntervalMs ?? 1000,
    compactBytes: options.compactBytes ?? 64 * 1024 * 1024,
    cursorTimeoutMs: options.cursorTimeoutMs ?? 10 * 60_000,
    transactionLifetimeMs: options.transactionLifetimeMs ?? 60_000,
    logger: options.logger ?? console,
  });
  let port: number;
  try {
    port = await server.listen();
  } catch (err) {
    await server.stop();
    throw err;
  }
  const hostPort = server.state.hostPort;
  const uriFor = (dbName: string): string => `mongodb://${hostPort}/${encodeURIComponent(dbName)}?directConnection=true`;
  return { uri: `mongodb://${hostPort}/?directConnection=true`, port, uriFor, server, stop: () => server.stop() };
}

export type { LocalDbServer } from './server.js';

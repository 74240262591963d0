import type { Document, ObjectId } from 'bson';
import type { Catalog, JournalOp } from './catalog.js';
import type { CursorStore } from './cursors.js';
import type { Journal } from './journal.js';
import type { QueryCounters } from './query.js';
import type { RetryCache } from './retry-cache.js';
import type { Transactions, Txn } from './transactions.js';
import type { View } from './view.js';
import type { Request } from './wire.js';

/** Minimal logger interface (console-compatible). */
export interface Logger {
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  info(...args: unknown[]): void;
}

/** Everything one server instance owns. */
export interface ServerState {
  readonly catalog: Catalog;
  readonly cursors: CursorStore;
  readonly txns: Transactions;
  readonly journal: Journal | null;
  readonly counters: QueryCounters;
  readonly retries: RetryCache;
  readonly setName: string;
  readonly processId: ObjectId;
  readonly electionId: ObjectId;
  readonly startedAt: Date;
  readonly logger: Logger;
  /** `host:port` as clients must address this server. */
  hostPort: string;
  /** Id of the last reply message sent. */
  replyId: number;
  /** Set when the server is stopping: long-polling hellos return at once. */
  closing: boolean;
}

/** Per-connection information. */
export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  /** Registers a timer cleared when the connection closes. */
  delay(ms: number): Promise<void>;
}

/** What a command handler receives. */
export interface CommandContext {
  readonly state: ServerState;
  readonly db: string;
  readonly body: Record<string, unknown>;
  readonly req: Request;
  readonly conn: ConnectionInfo;
  readonly view: View;
  readonly txn: Txn | null;
  /** Journal ops produced by this command; made durable before the reply is sent. */
  readonly ops: JournalOp[];
}

/** A reply: a document to serialise, or an already-serialised BSON body. */
export type Reply = Document | Buffer;

/** A command implementation. */
export type Handler = (ctx: CommandContext) => Reply | Promise<Reply>;

/**
 * Audit log of mutations: who ran which mutation, on which ids, when, with which outcome. Stored in
 * MongoDB (database `eventgraph_gateway`, collection `audit_log`) through the mongodb driver, and
 * read back page by page for admins. A failed write never fails the request; it is logged.
 */
import { MongoClient, ObjectId, type Collection } from 'mongodb';
import { Kind, valueFromASTUntyped, type OperationDefinitionNode } from 'graphql';
import type { Logger } from '../../platform/logger.js';
import type { Principal } from '../../platform/principal.js';

/** The database of the audit log. */
export const AUDIT_DB = 'eventgraph_gateway';
/** The collection of the audit log. */
export const AUDIT_COLLECTION = 'audit_log';

/** One audited mutation. */
export interface AuditEntry {
  at: Date;
  correlationId: string;
  actor: { kind: Principal['kind']; sub: string | null; clientId?: string };
  operationName: string | null;
  /** Root mutation fields, e.g. `["checkIn"]`. */
  fields: string[];
  /** Id-like arguments and variables by path, e.g. `{ "checkIn.registrationId": "…" }`. */
  ids: Record<string, string | string[]>;
  outcome: 'ok' | 'error';
  /** Error codes of the response (empty when ok). */
  errorCodes: string[];
}

/** One page of the audit log, newest first. */
export interface AuditPage {
  entries: Array<AuditEntry & { id: string }>;
  /** Pass as `after` for the next (older) page; null at the end. */
  next: string | null;
}

/** The audit log of mutations. */
export interface AuditLog {
  /**
   * Stores an entry; never rejects (failures are logged). Requests need not wait for it: reads and
   * close() wait for the writes still under way.
   */
  record(entry: AuditEntry): Promise<void>;
  /** Newest first; `after` is the `next` of the previous page. */
  list(opts: { limit: number; after?: string }): Promise<AuditPage>;
  /** Waits for pending writes, then closes the connection. */
  close(): Promise<void>;
}

/** Options of `createAuditLog`. */
export interface AuditLogOptions {
  uri: string;
  dbName?: string;
  logger: Logger;
  /** How long a write waits for the database before it is given up (and logged). */
  timeoutMs?: number;
}

const ID_NAME = /^(id|ids)$|Ids?$/;

/** Collects id-like values (arguments named `id`, `…Id`, `ids`, `…Ids`, also inside input objects). */
function collectIds(prefix: string, value: unknown, name: string, out: Record<string, string | string[]>): void {
  if (ID_NAME.test(name)) {
    if (typeof value === 'string' || typeof value === 'number') out[prefix] = String(value);
    else if (Array.isArray(value)) out[prefix] = value.filter((v) => typeof v === 'string' || typeof v === 'number').map(String).slice(0, 100);
    return;
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) collectIds(`${prefix}.${k}`, v, k, out);
  }
}

/** The root fields and id arguments of a mutation, resolving variables. */
export function describeMutation(operation: OperationDefinitionNode, variables: Record<string, unknown> = {}): { fields: string[]; ids: Record<string, string | string[]> } {
  const fields: string[] = [];
  const ids: Record<string, string | string[]> = {};
  for (const sel of operation.selectionSet.selections) {
    if (sel.kind !== Kind.FIELD) continue;
    const key = sel.alias?.value ?? sel.name.value;
    fields.push(sel.name.value);
    for (const arg of sel.arguments ?? []) collectIds(`${key}.${arg.name.value}`, valueFromASTUntyped(arg.value, variables), arg.name.value, ids);
  }
  return { fields, ids };
}

/** Opens the audit log (the connection is made on first use). */
export function createAuditLog({ uri, dbName = AUDIT_DB, logger, timeoutMs = 5_000 }: AuditLogOptions): AuditLog {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, maxPoolSize: 5 });
  const collection: Collection<AuditEntry> = client.db(dbName).collection<AuditEntry>(AUDIT_COLLECTION);
  const pending = new Set<Promise<void>>();
  let indexed: Promise<unknown> | undefined;
  const ensureIndex = () => (indexed ??= collection.createIndex({ at: -1 }).catch((err: unknown) => logger.warn({ err }, 'audit log index could not be created')));

  async function write(entry: AuditEntry): Promise<void> {
    try {
      await ensureIndex();
      await collection.insertOne({ ...entry });
    } catch (err) {
      logger.error({ err, audit: { ...entry, at: entry.at.toISOString() } }, 'audit log write failed');
    }
  }

  return {
    record(entry) {
      const p = write(entry).finally(() => pending.delete(p));
      pending.add(p);
      return p;
    },
    async list({ limit, after }) {
      await Promise.all(pending);
      const filter = after && ObjectId.isValid(after) ? { _id: { $lt: new ObjectId(after) } } : {};
      const docs = await collection.find(filter).sort({ _id: -1 }).limit(limit + 1).toArray();
      const page = docs.slice(0, limit);
      return {
        entries: page.map(({ _id, ...rest }) => ({ id: _id.toHexString(), ...rest })),
        next: docs.length > limit ? (page.at(-1)?._id.toHexString() ?? null) : null,
      };
    },
    async close() {
      await Promise.all(pending);
      await client.close();
    },
  };
}

import { BSON, Long, type Document } from 'bson';
import type { JournalOp } from './catalog.js';
import { COMMANDS, TXN_COMMANDS } from './commands/index.js';
import type { Response } from './connection.js';
import type { CommandContext, ConnectionInfo, Reply, ServerState } from './context.js';
import { CommandError, toCommandError } from './errors.js';
import { RetryCache } from './retry-cache.js';
import { TxnView, type Txn } from './transactions.js';
import { sessionKey } from './values.js';
import { DirectView } from './view.js';
import { encodeMsgReply, encodeOpReply, MAX_BSON_SIZE, OP_QUERY, type Request } from './wire.js';

function commandName(body: Document): string {
  const name = Object.keys(body)[0] ?? '';
  return name === 'ismaster' ? 'isMaster' : name;
}

function toBigInt(v: unknown): bigint | undefined {
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (v instanceof Long) return v.toBigInt();
  if (typeof v === 'bigint') return v;
  return undefined;
}

function resolveTxn(state: ServerState, name: string, body: Document): Txn | null {
  if (body.autocommit !== false) {
    if (name === 'commitTransaction' || name === 'abortTransaction') throw new CommandError(125, 'commitTransaction/abortTransaction must be run within a transaction');
    return null;
  }
  const txnNumber = toBigInt(body.txnNumber);
  const lsidKey = body.lsid ? sessionKey(body.lsid) : undefined;
  if (!lsidKey || txnNumber === undefined) throw new CommandError(50768, 'txnNumber and lsid are required for a transaction');
  if (!TXN_COMMANDS.has(name)) throw new CommandError(263, `Cannot run '${name}' in a multi-document transaction.`);
  if (body.startTransaction === true) return state.txns.begin(lsidKey, txnNumber);
  return state.txns.get(lsidKey, txnNumber);
}

async function run(state: ServerState, req: Request, conn: ConnectionInfo, body: Document, db: string): Promise<Reply> {
  const name = commandName(body);
  const handler = COMMANDS.get(name);
  if (!handler) throw new CommandError(59, `no such command: '${name}'`);
  if (typeof db !== 'string' || db === '') throw new CommandError(73, 'Invalid database name');
  const txn = resolveTxn(state, name, body);
  const txnNumber = txn ? undefined : toBigInt(body.txnNumber);
  const retryKey = txnNumber !== undefined && body.lsid && RetryCache.applies(name) ? sessionKey(body.lsid) : undefined;
  if (retryKey !== undefined) {
    const previous = state.retries.lookup(retryKey, txnNumber!);
    if (previous) return previous;
  }
  const ops: JournalOp[] = [];
  const view = txn ? new TxnView(state.catalog, state.txns, txn, ops, state.counters) : new DirectView(state.catalog, state.txns, ops, state.counters);
  const ctx: CommandContext = { state, db, body, req, conn, view, txn, ops };
  let reply: Reply;
  try {
    reply = await handler(ctx);
  } catch (err) {
    if (txn && name !== 'commitTransaction' && name !== 'abortTransaction') state.txns.abort(txn);
    if (ops.length && state.journal) await state.journal.append(ops);
    throw err;
  }
  if (txn && !Buffer.isBuffer(reply) && Array.isArray(reply.writeErrors)) state.txns.abort(txn);
  if (ops.length && state.journal) await state.journal.append(ops);
  if (retryKey !== undefined) state.retries.record(retryKey, txnNumber!, reply);
  return reply;
}

function encodeBody(reply: Reply): Buffer {
  if (Buffer.isBuffer(reply)) return reply;
  const bytes = BSON.serialize(reply);
  if (bytes.length > MAX_BSON_SIZE) {
    return Buffer.from(BSON.serialize(new CommandError(10334, `BSONObj size: ${bytes.length} is invalid. Size must be between 0 and 16793600(16MB)`).toReply()));
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

function isAwaitableHello(body: Document): boolean {
  const name = commandName(body);
  return (name === 'hello' || name === 'isMaster') && body.topologyVersion !== undefined && Number(body.maxAwaitTimeMS) > 0;
}

/** Runs one request against the server state and encodes the reply message. */
export async function dispatch(state: ServerState, req: Request, conn: ConnectionInfo): Promise<Response | null> {
  let body = req.body;
  let db = body.$db as string;
  if (req.opCode === OP_QUERY) {
    if (body.$query && typeof body.$query === 'object') body = body.$query as Document;
    const ns = req.collection ?? '';
    const dot = ns.indexOf('.');
    db = dot < 0 ? ns : ns.slice(0, dot);
  }
  let reply: Reply;
  try {
    reply = await run(state, req, conn, body, db);
  } catch (err) {
    const cmdErr = toCommandError(err);
    if (cmdErr.code === 1) state.logger.error(`localdb: command ${commandName(body)} failed`, err);
    reply = cmdErr.toReply();
  }
  if (req.moreToCome) return null;
  state.replyId = (state.replyId + 1) & 0x7fffffff;
  const replyId = state.replyId;
  const encoded = encodeBody(reply);
  if (req.opCode === OP_QUERY) return { bytes: encodeOpReply(replyId, req.requestId, encoded), replyId, moreToCome: false };
  const moreToCome = req.exhaustAllowed && !state.closing && isAwaitableHello(body) && !Buffer.isBuffer(reply) && reply.ok === 1;
  return { bytes: encodeMsgReply(replyId, req.requestId, encoded, moreToCome), replyId, moreToCome };
}

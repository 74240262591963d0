import { Long, Timestamp, type Document } from 'bson';
import type { CommandContext, Handler } from '../context.js';
import { CommandError } from '../errors.js';
import { sessionKey } from '../values.js';
import { MAX_BSON_SIZE, MAX_MESSAGE_SIZE } from '../wire.js';

export const VERSION = '7.0.0';
export const MAX_WIRE_VERSION = 21;
export const MAX_WRITE_BATCH_SIZE = 100_000;

/** The cluster time reported to clients: now, as a BSON Timestamp. */
export function clusterTime(): Timestamp {
  return new Timestamp({ t: Math.floor(Date.now() / 1000), i: 1 });
}

function helloReply(ctx: CommandContext, legacy: boolean): Document {
  const { state } = ctx;
  const now = new Date();
  const opTime = { ts: clusterTime(), t: Long.fromNumber(1) };
  const reply: Document = {
    topologyVersion: { processId: state.processId, counter: Long.fromNumber(0) },
    hosts: [state.hostPort],
    setName: state.setName,
    setVersion: 1,
    [legacy ? 'ismaster' : 'isWritablePrimary']: true,
    secondary: false,
    primary: state.hostPort,
    me: state.hostPort,
    electionId: state.electionId,
    lastWrite: { opTime, lastWriteDate: now, majorityOpTime: opTime, majorityWriteDate: now },
    maxBsonObjectSize: MAX_BSON_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE,
    maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
    localTime: now,
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.conn.id,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    ok: 1,
  };
  if (ctx.body.helloOk === true) reply.helloOk = true;
  reply.$clusterTime = { clusterTime: opTime.ts, signature: { hash: Buffer.alloc(20), keyId: Long.fromNumber(0) } };
  reply.operationTime = opTime.ts;
  return reply;
}

async function hello(ctx: CommandContext, legacy: boolean): Promise<Document> {
  const { body, state } = ctx;
  const wait = Number(body.maxAwaitTimeMS);
  if (body.topologyVersion && Number.isFinite(wait) && wait > 0 && !state.closing) {
    await ctx.conn.delay(Math.min(wait, 60_000));
  }
  return helloReply(ctx, legacy);
}

const buildInfo: Handler = () => ({
  version: VERSION,
  gitVersion: 'localdb',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_SIZE,
  storageEngines: ['localdb'],
  javascriptEngine: 'none',
  modules: [],
  openssl: { running: 'disabled' },
  ok: 1,
});

const getParameter: Handler = (ctx) => {
  const out: Document = {};
  const all = ctx.body.getParameter === '*';
  if (all || ctx.body.featureCompatibilityVersion !== undefined) out.featureCompatibilityVersion = { version: '7.0' };
  if (all || ctx.body.transactionLifetimeLimitSeconds !== undefined) out.transactionLifetimeLimitSeconds = 60;
  if (all || ctx.body.authenticationMechanisms !== undefined) out.authenticationMechanisms = [];
  return { ...out, ok: 1 };
};

const endSessions: Handler = (ctx) => {
  const [ids] = Object.values(ctx.body);
  if (!Array.isArray(ids)) throw new CommandError(14, 'endSessions expects an array of session ids');
  for (const lsid of ids) {
    const key = sessionKey(lsid);
    ctx.state.txns.endSession(key);
    ctx.state.cursors.killSession(key);
    ctx.state.retries.forget(key);
  }
  return { ok: 1 };
};

const serverStatus: Handler = (ctx) => ({
  host: ctx.state.hostPort,
  version: VERSION,
  process: 'localdb',
  pid: Long.fromNumber(process.pid),
  uptime: Math.floor((Date.now() - ctx.state.startedAt.getTime()) / 1000),
  localTime: new Date(),
  connections: { current: 0 },
  metrics: { queryExecutor: { ...ctx.state.counters }, cursor: { open: { total: ctx.state.cursors.size } } },
  ok: 1,
});

/** Handshake, diagnostics and session commands. */
export const adminCommands: Record<string, Handler> = {
  hello: (ctx) => hello(ctx, false),
  isMaster: (ctx) => hello(ctx, true),
  ping: () => ({ ok: 1 }),
  buildInfo,
  buildinfo: buildInfo,
  getParameter,
  endSessions,
  killSessions: endSessions,
  refreshSessions: () => ({ ok: 1 }),
  whatsmyuri: (ctx) => ({ you: ctx.conn.remote, ok: 1 }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  hostInfo: () => ({ system: { currentTime: new Date(), hostname: 'localhost' }, os: { type: process.platform }, extra: {}, ok: 1 }),
  getCmdLineOpts: () => ({ argv: ['localdb'], parsed: {}, ok: 1 }),
  getLog: (ctx) => (ctx.body.getLog === '*' ? { names: ['startupWarnings'], ok: 1 } : { totalLinesWritten: 0, log: [], ok: 1 }),
  serverStatus,
  logout: () => ({ ok: 1 }),
};

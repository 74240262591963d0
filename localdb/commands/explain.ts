import type { Document } from 'bson';
import type { CommandContext, Handler } from '../context.js';
import { CommandError, notSupported } from '../errors.js';
import type { ExecStats } from '../query.js';
import { aggregateCommands, runPipeline } from './aggregate.js';
import { runCount, runDistinct, runFind } from './read.js';
import { VERSION } from './admin.js';
import { optionalDoc } from './util.js';

function planStage(stats: ExecStats | undefined, filter: Document): Document {
  if (!stats || stats.stage === 'COLLSCAN') return { stage: 'COLLSCAN', filter, direction: 'forward' };
  if (stats.stage === 'IDHACK') return { stage: 'IDHACK' };
  return { stage: 'FETCH', inputStage: { stage: 'IXSCAN', indexName: stats.indexName, keyPattern: stats.keyPattern, isMultiKey: stats.multiKey === true, direction: 'forward' } };
}

function explainReply(ns: string, filter: Document, stats: ExecStats | undefined, nReturned: number): Document {
  const winningPlan = planStage(stats, filter);
  return {
    explainVersion: '1',
    queryPlanner: { namespace: ns, indexFilterSet: false, parsedQuery: filter, winningPlan, rejectedPlans: [] },
    executionStats: {
      executionSuccess: true,
      nReturned,
      executionTimeMillis: 0,
      totalKeysExamined: stats?.keysExamined ?? 0,
      totalDocsExamined: stats?.docsExamined ?? 0,
      executionStages: { ...winningPlan, nReturned, docsExamined: stats?.docsExamined ?? 0, keysExamined: stats?.keysExamined ?? 0 },
    },
    serverInfo: { host: 'localdb', version: VERSION },
    ok: 1,
  };
}

function explainInner(ctx: CommandContext, inner: Record<string, unknown>): Document {
  const [name] = Object.keys(inner);
  const coll = name === undefined ? undefined : inner[name];
  if (typeof coll !== 'string') throw new CommandError(73, 'Invalid namespace');
  const sub: CommandContext = { ...ctx, body: inner };
  const ns = `${ctx.db}.${coll}`;
  switch (name) {
    case 'find': {
      const { recs, stats } = runFind(sub, ctx.view.collection(ctx.db, coll), inner);
      return explainReply(ns, optionalDoc(inner.filter, 'filter') ?? {}, stats, recs.length);
    }
    case 'count': {
      const { n, stats } = runCount(sub, inner);
      return explainReply(ns, optionalDoc(inner.query, 'query') ?? {}, stats, n);
    }
    case 'distinct': {
      const { values, stats } = runDistinct(sub, inner);
      return explainReply(ns, optionalDoc(inner.query, 'query') ?? {}, stats, values.length);
    }
    case 'aggregate': {
      const pipeline = Array.isArray(inner.pipeline) ? (inner.pipeline as Document[]) : [];
      const { docs, stats } = runPipeline(sub, coll, pipeline);
      const filter = pipeline[0] && '$match' in pipeline[0] ? (pipeline[0].$match as Document) : {};
      return explainReply(ns, filter, stats, docs.length);
    }
    default:
      throw notSupported(`explain of ${name}`);
  }
}

const explain: Handler = (ctx) => {
  const inner = optionalDoc(ctx.body.explain, 'explain');
  if (!inner) throw new CommandError(14, 'explain must be a document');
  return explainInner(ctx, inner);
};

const aggregate: Handler = (ctx) => {
  if (ctx.body.explain === true) return explainInner(ctx, { aggregate: ctx.body.aggregate, pipeline: ctx.body.pipeline });
  return aggregateCommands.aggregate(ctx);
};

/** The explain command, and aggregate with `explain: true`. */
export const explainCommands: Record<string, Handler> = { explain, aggregate };

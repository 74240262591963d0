import { BSON, type Document } from 'bson';
import { newAggregator } from '../matcher.js';
import type { CommandContext, Handler } from '../context.js';
import { CommandError, notSupported, toCommandError } from '../errors.js';
import type { ExecStats } from '../query.js';
import { isPlainObject } from '../values.js';
import { DESERIALIZE_OPTIONS } from '../wire.js';
import { checkCollation, nsOf, optionalCount, optionalDoc, renderDoc } from './util.js';

const KNOWN_STAGES = new Set([
  '$addFields', '$bucket', '$bucketAuto', '$count', '$densify', '$documents', '$facet', '$fill', '$graphLookup', '$group',
  '$limit', '$lookup', '$match', '$project', '$redact', '$replaceRoot', '$replaceWith', '$sample', '$set', '$setWindowFields',
  '$skip', '$sort', '$sortByCount', '$unionWith', '$unset', '$unwind',
]);
const SERVER_STAGES = new Set([
  '$changeStream', '$out', '$merge', '$collStats', '$indexStats', '$currentOp', '$listSessions', '$listLocalSessions',
  '$planCacheStats', '$search', '$searchMeta', '$vectorSearch', '$geoNear', '$listSearchIndexes', '$queryStats',
  '$changeStreamSplitLargeEvent', '$shardedDataDistribution', '$listSampledQueries',
]);
/** Stages that never modify the documents they receive, so stored documents can be fed directly. */
const READ_ONLY_STAGES = new Set(['$match', '$sort', '$skip', '$limit', '$count', '$group', '$sortByCount']);
const NESTED_PIPELINE_KEYS = ['pipeline'];

/** The name of a pipeline stage that `checkStages` accepted (it has exactly one field). */
function stageName(stage: Document): string {
  const [name] = Object.keys(stage);
  if (name === undefined) throw new Error('pipeline stage has no field');
  return name;
}

function checkStages(pipeline: unknown[]): void {
  for (const stage of pipeline) {
    const fields = isPlainObject(stage) ? Object.entries(stage) : [];
    const [only] = fields;
    if (only === undefined || fields.length !== 1) {
      throw new CommandError(40323, 'A pipeline stage specification object must contain exactly one field.');
    }
    const [name, spec] = only;
    if (SERVER_STAGES.has(name)) throw notSupported(`${name} stage`);
    if (!KNOWN_STAGES.has(name)) throw new CommandError(40324, `Unrecognized pipeline stage name: '${name}'`);
    if (name === '$facet' && isPlainObject(spec)) for (const sub of Object.values(spec)) if (Array.isArray(sub)) checkStages(sub);
    if (isPlainObject(spec)) for (const k of NESTED_PIPELINE_KEYS) if (Array.isArray(spec[k])) checkStages(spec[k] as unknown[]);
  }
}

/** Runs a pipeline over a collection; the first $match uses indexes. */
export function runPipeline(ctx: CommandContext, collName: string | null, pipeline: Document[], variables?: Document): { docs: Document[]; stats?: ExecStats } {
  checkStages(pipeline);
  const coll = collName === null ? undefined : ctx.view.collection(ctx.db, collName);
  let input: Document[] = [];
  let stats: ExecStats | undefined;
  let rest = pipeline;
  if (coll) {
    const first = pipeline[0];
    const filter = first && isPlainObject(first.$match) ? (first.$match as Document) : {};
    if (first && filter === first.$match) rest = pipeline.slice(1);
    const selected = ctx.view.select(coll, filter);
    stats = selected.stats;
    const readOnly = rest.every((s) => READ_ONLY_STAGES.has(stageName(s)));
    input = selected.recs.map((r) => (readOnly ? r.doc : BSON.deserialize(r.raw, DESERIALIZE_OPTIONS)));
  }
  if (rest.length === 0) return { docs: input, stats };
  const collectionResolver = (name: string): Document[] => {
    const other = ctx.view.collection(ctx.db, name);
    if (!other) return [];
    return ctx.view.select(other, {}).recs.map((r) => BSON.deserialize(r.raw, DESERIALIZE_OPTIONS));
  };
  try {
    const agg = newAggregator(rest, { collectionResolver, variables });
    return { docs: agg.run<Document>(input), stats };
  } catch (err) {
    throw toCommandError(err);
  }
}

function collStatsCount(ctx: CommandContext, name: string, stage: Record<string, unknown>): Document[] {
  const spec = stage.$collStats;
  if (!isPlainObject(spec) || Object.keys(spec).some((k) => k !== 'count')) throw notSupported('$collStats other than count');
  const coll = ctx.view.collection(ctx.db, name);
  if (!coll) throw new CommandError(26, `Unable to retrieve count in $collStats stage :: caused by :: Collection [${nsOf(ctx, name)}] not found.`);
  return [{ ns: nsOf(ctx, name), localTime: new Date(), count: ctx.view.count(coll) }];
}

const aggregate: Handler = (ctx) => {
  const body = ctx.body;
  const target = body.aggregate;
  if (target !== 1 && (typeof target !== 'string' || target === '')) throw new CommandError(73, 'Invalid aggregate namespace');
  const pipeline = body.pipeline;
  if (!Array.isArray(pipeline)) throw new CommandError(14, "'pipeline' option must be specified as an array");
  const cursorOpt = optionalDoc(body.cursor, 'cursor');
  if (!cursorOpt && body.explain !== true) throw new CommandError(9, "The 'cursor' option is required, except for aggregate with the explain argument");
  checkCollation(body.collation);
  const name = typeof target === 'string' ? target : null;
  let docs: Document[];
  const first = pipeline[0] as Document | undefined;
  if (name && first && isPlainObject(first) && '$collStats' in first) {
    docs = collStatsCount(ctx, name, first);
    if (pipeline.length > 1) docs = runPipelineOn(docs, pipeline.slice(1) as Document[]);
  } else {
    docs = runPipeline(ctx, name, pipeline as Document[], optionalDoc(body.let, 'let')).docs;
  }
  return ctx.state.cursors.open(nsOf(ctx, name ?? '$cmd.aggregate'), docs, renderDoc, {
    batchSize: optionalCount(cursorOpt?.batchSize, 'batchSize'),
    lsid: ctx.body.lsid,
  });
};

function runPipelineOn(docs: Document[], pipeline: Document[]): Document[] {
  checkStages(pipeline);
  try {
    return newAggregator(pipeline).run<Document>(docs);
  } catch (err) {
    throw toCommandError(err);
  }
}

/** The aggregate command. */
export const aggregateCommands = { aggregate } satisfies Record<string, Handler>;

/**
 * Everything the subscription engine derives from one supergraph: API schema, planner, data
 * sources, and caches of parsed documents and plans. A schema reload builds a new state; the old
 * one is dropped with the subscriptions that used it.
 */
import { parse, print, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import { Supergraph, type Schema } from '@apollo/federation-internals';
import { QueryPlanner } from '@apollo/query-planner';
import { planSubscription, type SubscriptionPlan } from './plan.js';
import type { FetchSources } from './sources.js';

/** A subgraph as the engine reaches it. */
interface SubgraphTarget {
  name: string;
  /** HTTP endpoint (per-event fetches); the graphql-ws endpoint is the same URL with ws(s)://. */
  url: string;
}

/** The supergraph the engine serves: the gateway's prepared SDL (without security links). */
export interface SupergraphInput {
  gatewaySdl: string;
  subgraphs: SubgraphTarget[];
}

/** A parsed and validated client document, or the errors that refuse it. */
type CheckedDocument = { document: DocumentNode; normalised: string } | { errors: readonly GraphQLError[] };

/** What the engine serves one supergraph with (see the module comment). */
export interface SchemaState {
  /** Distinguishes states across reloads. */
  version: number;
  apiSchema: Schema;
  apiGraphQLSchema: GraphQLSchema;
  supergraphGraphQLSchema: GraphQLSchema;
  planner: QueryPlanner;
  /** Data sources for the per-event fetches. */
  sources: FetchSources;
  /** Subgraph name → graphql-ws URL. */
  wsUrls: Map<string, string>;
  /** Parses (unless `parsed` is its document already) and validates a query (cached by its text). */
  check(query: string, parsed?: DocumentNode): CheckedDocument;
  /** Plans a checked document (cached by normalised text and operation name). */
  plan(document: DocumentNode, normalised: string, operationName: string | undefined): SubscriptionPlan;
}

/** Checked documents and plans kept per schema (least recently used go first). */
const CACHE_LIMIT = 1000;

function remember<V extends object>(cache: LRUCache<string, V>, key: string, value: V): V {
  cache.set(key, value);
  return value;
}

/** The graphql-ws URL of a subgraph: its HTTP URL with ws:// or wss://. */
function wsUrlOf(httpUrl: string): string {
  return httpUrl.replace(/^http(s?):\/\//i, (_m, s: string) => `ws${s}://`);
}

/** Options of `createSchemaState`. */
export interface SchemaStateOptions {
  supergraph: SupergraphInput;
  /** Distinguishes this state from those of earlier supergraphs. */
  version: number;
  sources: FetchSources;
}

/** Creates the engine's state for one supergraph. Throws when the supergraph cannot be served. */
export function createSchemaState({ supergraph: input, version, sources }: SchemaStateOptions): SchemaState {
  const supergraph = Supergraph.build(input.gatewaySdl);
  const apiSchema = supergraph.apiSchema();
  const apiGraphQLSchema = apiSchema.toGraphQLJSSchema();
  const supergraphGraphQLSchema = supergraph.schema.toGraphQLJSSchema();
  const planner = new QueryPlanner(supergraph);
  const wsUrls = new Map(input.subgraphs.map((s) => [s.name, wsUrlOf(s.url)]));
  const documents = new LRUCache<string, CheckedDocument>({ max: CACHE_LIMIT });
  const plans = new LRUCache<string, SubscriptionPlan>({ max: CACHE_LIMIT });

  return {
    version,
    apiSchema,
    apiGraphQLSchema,
    supergraphGraphQLSchema,
    planner,
    sources,
    wsUrls,
    check(query, parsed) {
      const cached = documents.get(query);
      if (cached) return cached;
      let document: DocumentNode;
      try {
        document = parsed ?? parse(query, { maxTokens: 10_000 });
      } catch (err) {
        return remember(documents, query, { errors: [err as GraphQLError] });
      }
      const errors = validate(apiGraphQLSchema, document);
      return remember(documents, query, errors.length ? { errors } : { document, normalised: print(document) });
    },
    plan(document, normalised, operationName) {
      const key = `${operationName ?? ''}\u0000${normalised}`;
      return plans.get(key) ?? remember(plans, key, planSubscription(planner, apiSchema, apiGraphQLSchema, document, operationName));
    },
  };
}


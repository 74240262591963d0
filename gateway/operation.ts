/**
 * The operation of a request, parsed once. The gateway reads the GraphQL fields of a request (a
 * POST body, a GET query string, a graphql-ws subscribe payload) and parses its text once: the
 * document is cached by the text's sha256 (so a persisted-query hash finds it too) and kept in the
 * request context (`ctx.operation`), where the plugins read it. Apollo Server is handed the same
 * document (`createDocumentPlugin`) and neither parses nor validates it again; a document is
 * validated once per schema.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { GraphQLError, Kind, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode, type ValidationRule } from 'graphql';
import { LRUCache } from 'lru-cache';
import { appError } from '../platform/errors.js';
import type { GatewayContext } from './types.js';

/** The GraphQL request fields of GraphQL over HTTP (and of a graphql-ws subscribe payload). */
export interface GraphQLParams {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
  id?: unknown;
  documentId?: unknown;
}

/** An operation as the gateway parsed it. */
export interface ParsedOperation {
  /** The text that was parsed. */
  source: string;
  /** sha256 (hex) of `source`: the persisted-query hash of the text. */
  hash: string;
  document: DocumentNode;
  operationName?: string;
  /** The operation that runs (by name, or the only one); absent when the document does not say. */
  operation?: OperationDefinitionNode;
  variables: Record<string, unknown>;
}

/** Parses request texts, remembering the documents of recent ones. */
export interface OperationParser {
  /**
   * The operation of a request: its `query` text parsed, or the document cached for its
   * persisted-query hash; undefined when it has neither. Throws GRAPHQL_PARSE_FAILED, or
   * OPERATION_TOO_COMPLEX beyond the token limit, or BAD_USER_INPUT for a `query` that is not a string.
   */
  parse(params: GraphQLParams): ParsedOperation | undefined;
  /** The document of a text (cached); throws like `parse`. */
  document(source: string): DocumentNode;
}

/** Options of `createOperationParser`. */
export interface OperationParserOptions {
  /** Largest number of tokens a text may have (graphql-js `maxTokens`); unlimited when absent. */
  maxTokens?: number;
  /** Documents kept, by text hash. */
  cacheSize?: number;
  /** Called each time a text is actually parsed (not found in the cache). */
  onParse?: (source: string) => void;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The operation a request runs (by name, or the only one). */
export function selectOperation(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return ops.find((o) => o.name?.value === operationName);
  return ops.length === 1 ? ops[0] : undefined;
}

/** The sha256 of `extensions.persistedQuery`, when the request carries one. */
export function persistedHash(extensions: unknown): string | undefined {
  const pq = extensions && typeof extensions === 'object' ? (extensions as Record<string, unknown>).persistedQuery : undefined;
  const hash = pq && typeof pq === 'object' ? (pq as Record<string, unknown>).sha256Hash : undefined;
  return typeof hash === 'string' ? hash : undefined;
}

/** The GraphQL request fields of a GET request's query string. */
export function paramsFromUrl(req: IncomingMessage): GraphQLParams {
  const params = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const json = (name: string) => {
    const raw = params.get(name);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw appError('BAD_USER_INPUT', 'The input is invalid', { target: name, details: `${name} must be JSON` });
    }
  };
  return { query: params.get('query') ?? undefined, operationName: params.get('operationName') ?? undefined, variables: json('variables'), extensions: json('extensions') };
}

/** Creates a parser with its own cache. */
export function createOperationParser({ maxTokens, cacheSize = 2000, onParse }: OperationParserOptions = {}): OperationParser {
  const documents = new LRUCache<string, { source: string; document: DocumentNode }>({ max: cacheSize });

  function documentOf(source: string, hash: string): DocumentNode {
    const hit = documents.get(hash);
    if (hit && hit.source === source) return hit.document;
    onParse?.(source);
    let document: DocumentNode;
    try {
      document = parse(source, maxTokens === undefined ? undefined : { maxTokens });
    } catch (err) {
      const message = err instanceof GraphQLError ? err.message : String(err);
      if (maxTokens !== undefined && /maxTokens|tokens/.test(message) && message.includes(String(maxTokens))) {
        throw appError('OPERATION_TOO_COMPLEX', 'The operation exceeds a limit', { target: 'tokens', details: `The operation has more than ${maxTokens} tokens` });
      }
      throw appError('GRAPHQL_PARSE_FAILED', 'The operation could not be parsed', { details: message });
    }
    documents.set(hash, { source, document });
    return document;
  }

  return {
    parse(params) {
      const { query } = params;
      if (query !== undefined && query !== null && typeof query !== 'string') throw appError('BAD_USER_INPUT', 'The query must be a string', { target: 'query' });
      let source = typeof query === 'string' && query !== '' ? query : undefined;
      let hash: string;
      if (source === undefined) {
        const persisted = persistedHash(params.extensions);
        const known = persisted === undefined ? undefined : documents.get(persisted);
        if (!known || persisted === undefined) return undefined;
        source = known.source;
        hash = persisted;
      } else hash = sha256(source);
      const document = documentOf(source, hash);
      const operationName = typeof params.operationName === 'string' ? params.operationName : undefined;
      const variables = params.variables && typeof params.variables === 'object' ? (params.variables as Record<string, unknown>) : {};
      return { source, hash, document, operationName, operation: selectOperation(document, operationName), variables };
    },
    document: (source) => documentOf(source, sha256(source)),
  };
}

/** Options of `createDocumentPlugin`. */
export interface DocumentPluginOptions {
  parser: OperationParser;
  /** Whether Apollo Server serves introspection (when not, documents that introspect are left to it to refuse). */
  introspection: boolean;
}

/** graphql-js's rules, and the refusal of introspection Apollo Server adds when introspection is off. */
function validationRules(introspection: boolean): readonly ValidationRule[] {
  if (introspection) return specifiedRules;
  const noIntrospection: ValidationRule = (context) => ({
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type') context.reportError(new GraphQLError('Introspection is not allowed', { nodes: [node] }));
    },
  });
  return [...specifiedRules, noIntrospection];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The Apollo Server plugin that hands Apollo Server the request's document: the one in
 * `ctx.operation` when it is the text Apollo Server resolved, else the parser's. A document is
 * validated once per schema with the rules Apollo Server applies; one that does not parse or
 * validate is left to Apollo Server, which reports its errors. Use with `documentStore: null`.
 */
export function createDocumentPlugin({ parser, introspection }: DocumentPluginOptions): ApolloServerPlugin<GatewayContext> {
  const rules = validationRules(introspection);
  const validated = new WeakMap<GraphQLSchema, WeakSet<DocumentNode>>();

  function isValid(schema: GraphQLSchema, document: DocumentNode): boolean {
    let known = validated.get(schema);
    if (!known) {
      known = new WeakSet();
      validated.set(schema, known);
    }
    if (known.has(document)) return true;
    if (validate(schema, document, rules).length > 0) return false;
    known.add(document);
    return true;
  }

  return {
    requestDidStart() {
      return Promise.resolve({
        didResolveSource(rc) {
          const shared = rc.contextValue.operation;
          let document = shared?.source === rc.source ? shared.document : undefined;
          if (!document) {
            try {
              document = parser.document(rc.source);
            } catch {
              return Promise.resolve();
            }
          }
          if (isValid(rc.schema, document)) (rc as unknown as Mutable<GraphQLRequestContext<GatewayContext>>).document = document;
          return Promise.resolve();
        },
      });
    },
  };
}

/**
 * Completes a response executed from a pruned document so it answers the operation as sent: every
 * denied field is `null` with its error at its exact path (list positions included), and a null in
 * a non-null position bubbles to the nearest nullable parent, as GraphQL requires.
 *
 * This is done by executing the original document with graphql-js over the response data: each
 * field reads its value by response key, a denied field throws its shield error, and abstract types
 * resolve by the `__typename` the pruned document selected. graphql-js then applies the null and
 * error rules of the specification.
 */
import { GraphQLError, Kind, execute, visit, type DocumentNode, type FieldNode, type GraphQLFieldResolver, type GraphQLSchema, type GraphQLTypeResolver } from 'graphql';
import type { Authorization } from './authorize.js';

export interface CompletedResult {
  data: Record<string, unknown> | null;
  /** The denial errors, at their paths in the response. */
  errors: GraphQLError[];
}

const INTROSPECTION = new Set(['__schema', '__type']);

/**
 * Applies the denials of `auth` to `data` (the result of executing `auth.document`; `{}` when
 * nothing was executed). Returns the data as the caller's operation shapes it, and the denial errors.
 */
export async function completeResult(
  schema: GraphQLSchema,
  auth: Authorization,
  data: Record<string, unknown> | null | undefined,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
): Promise<CompletedResult> {
  if (auth.denials.length === 0) return { data: data ?? null, errors: [] };
  if (data === null || data === undefined) return { data: null, errors: auth.errors };

  const denied = new Map(auth.denials.map((d) => [d.node, d.error]));
  // graphql-js answers introspection fields itself, so denied ones are taken out and reported here.
  const introspection = auth.denials.filter((d) => INTROSPECTION.has(d.node.name.value));
  const hidden = new Set<FieldNode>(introspection.map((d) => d.node));
  const document: DocumentNode = hidden.size === 0 ? auth.original : visit(auth.original, { Field: (node) => (hidden.has(node) ? null : undefined) });

  const fieldResolver: GraphQLFieldResolver<unknown, unknown> = (source, _args, _ctx, info) => {
    const errors = info.fieldNodes.map((n) => denied.get(n));
    if (errors.every((e) => e !== undefined)) throw errors[0];
    return source !== null && typeof source === 'object' ? (source as Record<string, unknown>)[info.path.key as string] : null;
  };
  const typeResolver: GraphQLTypeResolver<unknown, unknown> = (value) =>
    value !== null && typeof value === 'object' ? ((value as Record<string, unknown>).__typename as string | undefined) : undefined;

  const hasRoot = document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.selectionSet.selections.length > 0);
  const result = hasRoot
    ? await execute({ schema, document, rootValue: data, variableValues: variables, operationName: operationName ?? undefined, fieldResolver, typeResolver })
    : { data: {}, errors: undefined };
  const errors = [...(result.errors ?? []), ...introspection.flatMap((d) => auth.errors.filter((e) => e.nodes?.[0] === d.node))];
  let out = (result.data ?? null) as Record<string, unknown> | null;
  for (const d of introspection) {
    if (!out) break;
    if (d.node.name.value === '__schema') out = null;
    else for (const path of d.paths) out[String(path[0])] = null;
  }
  return { data: out, errors };
}

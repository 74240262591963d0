/**
 * Authorization of a whole operation before it is planned. Every field the document selects —
 * through fragments, inline fragments on interfaces and unions, aliases and nested paths — is
 * visited with graphql-js `TypeInfo` over the API schema and asked of the shield guard. A field on
 * an interface is checked for every implementation (the runtime type is not known yet).
 *
 * Denied fields are removed from the document, so subgraphs never see them; the pruned document is
 * what gets planned, so callers with different rights never share a query plan.
 */
import { GraphQLError, Kind, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type FieldNode, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Principal } from '../../platform/principal.js';
import { possibleObjectTypes, shieldContext, type FieldGuard } from './rules.js';
import { selectOperation } from '../operation.js';
import { pruneDocument } from './prune.js';

/** A selection the caller may not make. */
export interface Denial {
  node: FieldNode;
  /** `Type.field` as written in the operation (the interface for interface fields). */
  coordinate: string;
  error: GraphQLError;
  /** Response paths where the selection appears (list positions are not included). */
  paths: (string | number)[][];
}

/** The outcome of authorizing an operation for a caller. */
export interface Authorization {
  /** The operation as sent. */
  original: DocumentNode;
  /**
   * The operation to execute: `original` when nothing was denied, otherwise a pruned copy;
   * null when no root field is left to execute.
   */
  document: DocumentNode | null;
  denials: Denial[];
  /** One error per denied selection, at its path in the operation. */
  errors: GraphQLError[];
}

/** Response paths of the given field nodes within the operation, following fragment spreads. */
function pathsOf(document: DocumentNode, operation: OperationDefinitionNode, targets: ReadonlySet<FieldNode>): Map<FieldNode, (string | number)[][]> {
  const fragments = new Map(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const out = new Map<FieldNode, (string | number)[][]>();
  const walk = (set: SelectionSetNode, path: string[], seen: ReadonlySet<string>): void => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const here = [...path, sel.alias?.value ?? sel.name.value];
        if (targets.has(sel)) {
          const list = out.get(sel) ?? [];
          if (!list.some((p) => p.join('.') === here.join('.'))) list.push(here);
          out.set(sel, list);
        } else if (sel.selectionSet) walk(sel.selectionSet, here, seen);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) walk(sel.selectionSet, path, seen);
      else {
        const frag = fragments.get(sel.name.value);
        if (frag && !seen.has(frag.name.value)) walk(frag.selectionSet, path, new Set([...seen, frag.name.value]));
      }
    }
  };
  walk(operation.selectionSet, [], new Set());
  return out;
}

/**
 * Checks every selected field of a validated document against the caller's rights.
 * `operationName` picks the operation when the document holds several.
 */
export async function authorizeDocument(
  schema: GraphQLSchema,
  guard: FieldGuard,
  document: DocumentNode,
  principal: Principal,
  operationName?: string | null,
): Promise<Authorization> {
  const ctx = shieldContext(principal);
  const pending: Promise<Denial | null>[] = [];
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        const name = node.name.value;
        if (name === '__typename' || !parent) return;
        const coordinate = `${parent.name}.${name}`;
        if (name === '__schema' || name === '__type') {
          pending.push(guard.checkIntrospection(ctx).then((error) => (error ? { node, coordinate, error, paths: [] } : null)));
          return;
        }
        const candidates = possibleObjectTypes(schema, parent).filter((t) => t.getFields()[name]);
        pending.push(
          Promise.all(candidates.map((t) => guard.check(t, name, ctx))).then((errors) => {
            const error = errors.find((e) => e !== null);
            return error ? { node, coordinate, error, paths: [] } : null;
          }),
        );
      },
    }),
  );
  const denials = (await Promise.all(pending)).filter((d): d is Denial => d !== null);
  if (denials.length === 0) return { original: document, document, denials, errors: [] };

  const operation = selectOperation(document, operationName);
  const paths = operation ? pathsOf(document, operation, new Set(denials.map((d) => d.node))) : new Map<FieldNode, (string | number)[][]>();
  for (const d of denials) d.paths = paths.get(d.node) ?? [];
  const errors = denials.flatMap((d) => d.paths.map((path) => new GraphQLError(d.error.message, { nodes: [d.node], path, extensions: d.error.extensions })));
  return { original: document, document: pruneDocument(document, new Set(denials.map((d) => d.node)), operationName), denials, errors };
}

/**
 * Completes a response executed from a pruned document so it answers the operation as sent: every
 * denied field is `null` with its error at its exact path (list positions included), a null in a
 * non-null position bubbles to the nearest nullable parent, and what only the pruned document
 * selected (the `__typename` it adds below the root) is left out.
 *
 * Nothing is executed a second time: the completion walks the original operation over the data the
 * execution of the pruned document produced, reading each field by its response key and resolving
 * abstract types by the `__typename` the pruned document selected. Fields are collected as
 * graphql-js collects them (fragments, type conditions, `@skip`/`@include`), and errors and null
 * propagation follow its execution rules: the error of a denied non-null field is reported once, at
 * the field's path, and the remaining fields of the object it nulls are not visited.
 */
import {
  GraphQLError,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  getDirectiveValues,
  getOperationAST,
  getVariableValues,
  isAbstractType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  locatedError,
  typeFromAST,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type InlineFragmentNode,
  type SelectionSetNode,
} from 'graphql';
import type { Authorization } from './authorize.js';

/** A response as the caller's operation shapes it. */
export interface CompletedResult {
  data: Record<string, unknown> | null;
  /** The denial errors, at their paths in the response. */
  errors: GraphQLError[];
}

type Path = readonly (string | number)[];

const INTROSPECTION = new Set(['__schema', '__type']);

/** What one completion walk reads and collects. */
interface Walk {
  schema: GraphQLSchema;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  denied: ReadonlyMap<FieldNode, GraphQLError>;
  /** Denied introspection fields: left out of the walk and reported afterwards. */
  hidden: ReadonlySet<FieldNode>;
  errors: GraphQLError[];
}

function included(walk: Walk, node: FieldNode | FragmentSpreadNode | InlineFragmentNode): boolean {
  if (getDirectiveValues(GraphQLSkipDirective, node, walk.variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, walk.variables)?.if !== false;
}

function conditionMatches(walk: Walk, fragment: FragmentDefinitionNode | InlineFragmentNode, type: GraphQLObjectType): boolean {
  if (!fragment.typeCondition) return true;
  const condition = typeFromAST(walk.schema, fragment.typeCondition);
  if (condition === type) return true;
  return isAbstractType(condition) && walk.schema.isSubType(condition, type);
}

/** The fields a selection set selects on `type`, by response key (graphql-js's `collectFields`). */
function collectFields(walk: Walk, type: GraphQLObjectType, set: SelectionSetNode, fields: Map<string, FieldNode[]>, visited: Set<string>): void {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!included(walk, selection) || walk.hidden.has(selection)) continue;
      const key = selection.alias?.value ?? selection.name.value;
      const nodes = fields.get(key);
      if (nodes) nodes.push(selection);
      else fields.set(key, [selection]);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (included(walk, selection) && conditionMatches(walk, selection, type)) collectFields(walk, type, selection.selectionSet, fields, visited);
    } else {
      const name = selection.name.value;
      if (visited.has(name) || !included(walk, selection)) continue;
      visited.add(name);
      const fragment = walk.fragments.get(name);
      if (fragment && conditionMatches(walk, fragment, type)) collectFields(walk, type, fragment.selectionSet, fields, visited);
    }
  }
}

function fieldDefinition(schema: GraphQLSchema, type: GraphQLObjectType, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (schema.getQueryType() === type && name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
  if (schema.getQueryType() === type && name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  return type.getFields()[name];
}

/** An error in a non-null position goes up to the nearest nullable parent; elsewhere it is recorded there. */
function settle(walk: Walk, error: GraphQLError, type: GraphQLOutputType): null {
  if (isNonNullType(type)) throw error;
  walk.errors.push(error);
  return null;
}

function completeFields(walk: Walk, type: GraphQLObjectType, source: unknown, path: Path, fields: ReadonlyMap<string, FieldNode[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, nodes] of fields) {
    const first = nodes[0];
    const definition = first && fieldDefinition(walk.schema, type, first.name.value);
    if (!first || !definition) continue;
    const fieldPath = [...path, key];
    try {
      let value: unknown;
      if (definition === TypeNameMetaFieldDef) value = type.name;
      else {
        const errors = nodes.map((n) => walk.denied.get(n));
        const [denial] = errors;
        if (denial && errors.every((e) => e !== undefined)) throw denial;
        value = source !== null && typeof source === 'object' ? (source as Record<string, unknown>)[key] : null;
      }
      out[key] = completeValue(walk, definition.type, nodes, `${type.name}.${first.name.value}`, fieldPath, value);
    } catch (raw) {
      out[key] = settle(walk, locatedError(raw, nodes, fieldPath), definition.type);
    }
  }
  return out;
}

function completeValue(walk: Walk, type: GraphQLOutputType, nodes: readonly FieldNode[], coordinate: string, path: Path, value: unknown): unknown {
  if (isNonNullType(type)) {
    const completed = completeValue(walk, type.ofType, nodes, coordinate, path, value);
    if (completed === null) throw new Error(`Cannot return null for non-nullable field ${coordinate}.`);
    return completed;
  }
  if (value === null || value === undefined) return null;
  if (isListType(type)) {
    if (!Array.isArray(value)) throw new GraphQLError(`Expected Iterable, but did not find one for field "${coordinate}".`);
    const itemType: GraphQLOutputType = type.ofType;
    return value.map((item: unknown, index) => {
      const itemPath = [...path, index];
      try {
        return completeValue(walk, itemType, nodes, coordinate, itemPath, item);
      } catch (raw) {
        return settle(walk, locatedError(raw, nodes, itemPath), itemType);
      }
    });
  }
  if (isLeafType(type)) return value;
  const runtime = isObjectType(type) ? type : runtimeType(walk, type.name, value, coordinate);
  const fields = new Map<string, FieldNode[]>();
  const visited = new Set<string>();
  for (const node of nodes) if (node.selectionSet) collectFields(walk, runtime, node.selectionSet, fields, visited);
  return completeFields(walk, runtime, value, path, fields);
}

/** The object type of an abstract value: the `__typename` the execution answered with. */
function runtimeType(walk: Walk, abstract: string, value: unknown, coordinate: string): GraphQLObjectType {
  const name = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).__typename : undefined;
  const type = typeof name === 'string' ? walk.schema.getType(name) : undefined;
  if (!isObjectType(type)) throw new GraphQLError(`Abstract type "${abstract}" must resolve to an Object type at runtime for field "${coordinate}".`);
  return type;
}

/**
 * Applies the denials of `auth` to `data` (the result of executing `auth.document`; `{}` when
 * nothing was executed). Returns the data as the caller's operation shapes it, and the denial errors.
 */
export function completeResult(
  schema: GraphQLSchema,
  auth: Authorization,
  data: Record<string, unknown> | null | undefined,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
): CompletedResult {
  if (auth.denials.length === 0) return { data: data ?? null, errors: [] };
  if (data === null || data === undefined) return { data: null, errors: auth.errors };

  // Denied introspection fields are left out of the walk and answered here, as before the plan.
  const introspection = auth.denials.filter((d) => INTROSPECTION.has(d.node.name.value));
  const hidden = new Set<FieldNode>(introspection.map((d) => d.node));
  const introspectionErrors = introspection.flatMap((d) => auth.errors.filter((e) => e.nodes?.[0] === d.node));
  const walk: Walk = {
    schema,
    fragments: new Map(auth.original.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d])),
    variables: {},
    denied: new Map(auth.denials.map((d) => [d.node, d.error])),
    hidden,
    errors: [],
  };

  let out: Record<string, unknown> | null;
  const hasRoot = auth.original.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.selectionSet.selections.some((s) => !(s.kind === Kind.FIELD && hidden.has(s))));
  if (!hasRoot) out = {};
  else {
    const operation = getOperationAST(auth.original, operationName);
    const root = operation && schema.getRootType(operation.operation);
    if (!operation || !root) return { data: null, errors: [new GraphQLError('The operation to complete could not be determined.'), ...introspectionErrors] };
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 50 });
    if (coerced.errors) return { data: null, errors: [...coerced.errors, ...introspectionErrors] };
    walk.variables = coerced.coerced;
    const fields = new Map<string, FieldNode[]>();
    collectFields(walk, root, operation.selectionSet, fields, new Set());
    try {
      out = completeFields(walk, root, data, [], fields);
    } catch (err) {
      walk.errors.push(err as GraphQLError);
      out = null;
    }
  }

  for (const d of introspection) {
    if (!out) break;
    if (d.node.name.value === '__schema') out = null;
    else for (const path of d.paths) out[String(path[0])] = null;
  }
  return { data: out, errors: [...walk.errors, ...introspectionErrors] };
}

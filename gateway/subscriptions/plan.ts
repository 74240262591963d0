/**
 * Plans one client subscription over the supergraph: @apollo/query-planner gives a SubscriptionNode
 * (the `primary` fetch to the subgraph that owns the root field, and the `rest` plan for fields of
 * other subgraphs). The primary fetch is rewritten so it can be resumed: its `after:` argument is
 * bound to a variable the gateway sets to the last cursor it saw, and `cursor` is always selected
 * (under a reserved alias) whether or not the client asked for it.
 */
import {
  Kind,
  getNamedType,
  isObjectType,
  parse,
  print,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';
import { operationFromDocument, type Schema } from '@apollo/federation-internals';
import type { FetchNode, PlanNode, QueryPlan, QueryPlanner } from '@apollo/query-planner';

/** Alias under which the gateway reads the cursor of every upstream event. */
export const CURSOR_ALIAS = '__gw_cursor';
/** Variable the gateway adds when the client gave `after` inline or not at all. */
const AFTER_VARIABLE = '__gw_after';

/** What one distinct subscription needs at run time. */
export interface SubscriptionPlan {
  /** Subgraph owning the root field. */
  serviceName: string;
  /** The primary fetch as planned (the per-event plan replays the upstream event into it). */
  primary: FetchNode;
  /** Primary fetch, then the rest: what runs once per event. */
  perEventPlan: QueryPlan;
  /** The operation sent upstream (the primary fetch, resumable). */
  upstreamQuery: string;
  upstreamOperationName: string | undefined;
  /** Response key of the root field in upstream results. */
  rootKey: string;
  /**
   * The variable carrying the resume cursor, when the root field takes `after: String` and returns
   * a type with `cursor`; undefined for subscriptions that cannot resume.
   */
  afterVariable: string | undefined;
  /** The client's own `after` (literal or variable) when the plan replaced it with a variable. */
  afterLiteral: string | null;
  /** Variable names the primary fetch uses (client variables forwarded upstream). */
  variableUsages: string[];
}

function rootField(op: OperationDefinitionNode): FieldNode {
  const fields = op.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value !== '__typename');
  const [field] = fields;
  if (!field || fields.length !== 1) throw new Error(`expected one root field in the primary fetch, found ${fields.length}`);
  return field;
}

/** True when the subscription field can be resumed: `after: String` and a `cursor` on its type. */
function isResumable(apiSchema: GraphQLSchema, fieldName: string): boolean {
  const field = apiSchema.getSubscriptionType()?.getFields()[fieldName];
  if (!field) return false;
  const after = field.args.find((a) => a.name === 'after');
  if (!after || getNamedType(after.type).name !== 'String') return false;
  const type = getNamedType(field.type);
  return isObjectType(type) && 'cursor' in type.getFields();
}

function literalString(value: ValueNode | undefined): string | null {
  return value?.kind === Kind.STRING ? value.value : null;
}

interface RewrittenPrimary {
  query: string;
  rootKey: string;
  afterVariable: string | undefined;
  afterLiteral: string | null;
}

/** Binds `after:` to a variable and selects the cursor under the reserved alias. */
function rewritePrimary(apiSchema: GraphQLSchema, primary: FetchNode): RewrittenPrimary {
  const doc = parse(primary.operation);
  const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!op) throw new Error('the primary fetch has no operation');
  const field = rootField(op);
  const rootKey = field.alias?.value ?? field.name.value;
  if (!isResumable(apiSchema, field.name.value)) return { query: primary.operation, rootKey, afterVariable: undefined, afterLiteral: null };

  const existing = field.arguments?.find((a) => a.name.value === 'after');
  const reuse = existing?.value.kind === Kind.VARIABLE ? existing.value.name.value : undefined;
  const afterVariable = reuse ?? AFTER_VARIABLE;
  const afterLiteral = reuse ? null : literalString(existing?.value);
  const variableNode = { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: afterVariable } } as const;
  const args = [...(field.arguments ?? []).filter((a) => a.name.value !== 'after'), { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'after' }, value: variableNode } as const];
  const cursorField: FieldNode = { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: CURSOR_ALIAS }, name: { kind: Kind.NAME, value: 'cursor' } };
  const newField: FieldNode = {
    ...field,
    arguments: args,
    selectionSet: { kind: Kind.SELECTION_SET, selections: [cursorField, ...(field.selectionSet?.selections ?? [])] },
  };
  const variableDefinitions = reuse
    ? op.variableDefinitions
    : [
        ...(op.variableDefinitions ?? []),
        { kind: Kind.VARIABLE_DEFINITION, variable: variableNode, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'String' } } } as const,
      ];
  const newOp: OperationDefinitionNode = {
    ...op,
    variableDefinitions,
    selectionSet: { ...op.selectionSet, selections: op.selectionSet.selections.map((s) => (s === field ? newField : s)) },
  };
  const query = print({ ...doc, definitions: doc.definitions.map((d) => (d === op ? newOp : d)) });
  return { query, rootKey, afterVariable, afterLiteral };
}

/**
 * Plans a validated subscription document. Throws when the operation is not a subscription or
 * cannot be planned (the caller reports it as a validation error).
 */
export function planSubscription(
  planner: QueryPlanner,
  apiSchema: Schema,
  apiGraphQLSchema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
): SubscriptionPlan {
  const operation = operationFromDocument(apiSchema, document, { operationName });
  const plan = planner.buildQueryPlan(operation);
  const node = plan.node;
  if (!node || node.kind !== 'Subscription') throw new Error('the operation is not a subscription');
  const primary = node.primary;
  const rewritten = rewritePrimary(apiGraphQLSchema, primary);
  const perEventNode: PlanNode = node.rest ? { kind: 'Sequence', nodes: [primary, node.rest] } : primary;
  return {
    serviceName: primary.serviceName,
    primary,
    perEventPlan: { kind: 'QueryPlan', node: perEventNode },
    upstreamQuery: rewritten.query,
    upstreamOperationName: primary.operationName,
    rootKey: rewritten.rootKey,
    afterVariable: rewritten.afterVariable,
    afterLiteral: rewritten.afterLiteral,
    variableUsages: primary.variableUsages ?? [],
  };
}

/**
 * Static analysis of one operation before it runs: nesting depth, aliases and cost.
 *
 * Cost (points) estimates how many objects the operation can return:
 * - a leaf field (scalar, enum) costs 0; an object field costs 1 plus its selections;
 * - a connection field (its type has `edges`) multiplies by its page size: `first` (or `last`),
 *   default 20, at most 100; the `edges`/`nodes` lists inside a connection do not multiply again;
 * - any other list of objects multiplies by `first`/`limit` when given, else by 10;
 * - nesting multiplies: `events(first: 10) { edges { node { registrations(first: 10) { … } } } }`
 *   costs about 10 × 10 × per-node cost;
 * - each root mutation field adds 10 (writes are dearer than reads);
 * - introspection (`__schema`, `__type`) costs a flat 10 and does not count towards depth.
 * Fragments are expanded where they are spread, and evaluated once each (no blow-up on
 * fragments spread many times).
 */
import { Kind, OperationTypeNode, getNamedType, isListType, isNonNullType, isObjectType, isInterfaceType, valueFromASTUntyped, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLCompositeType, type GraphQLOutputType, type GraphQLSchema, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
const LIST_ESTIMATE = 10;
const MUTATION_FIELD_COST = 10;
const INTROSPECTION_COST = 10;

/** The measures of one operation. */
export interface OperationAnalysis {
  operation: OperationDefinitionNode;
  depth: number;
  aliases: number;
  /** Points, see the module comment. */
  cost: number;
}

interface Measure {
  depth: number;
  aliases: number;
  cost: number;
}

const ZERO: Measure = { depth: 0, aliases: 0, cost: 0 };

function unwrapList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

function isConnection(type: GraphQLOutputType): boolean {
  const named = getNamedType(type);
  return (isObjectType(named) || isInterfaceType(named)) && 'edges' in named.getFields();
}

/**
 * Measures the operation. `schema` gives field types (connections, lists); without it every field
 * with a selection counts as a single object.
 */
export function analyzeOperation(schema: GraphQLSchema | undefined, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> = {}): OperationAnalysis {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const memo = new Map<string, Measure>();
  const active = new Set<string>();

  const pageSize = (field: FieldNode, fallback: number): number => {
    for (const arg of field.arguments ?? []) {
      if (!['first', 'last', 'limit'].includes(arg.name.value)) continue;
      const value = valueFromASTUntyped(arg.value, variables);
      if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, Math.min(MAX_PAGE_SIZE, Math.floor(value)));
    }
    return fallback;
  };

  function measureSet(set: SelectionSetNode, parent: GraphQLCompositeType | undefined, inConnection: boolean): Measure {
    let depth = 0;
    let aliases = 0;
    let cost = 0;
    for (const sel of set.selections) {
      let m: Measure;
      if (sel.kind === Kind.FIELD) m = measureField(sel, parent, inConnection);
      else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const cond = sel.typeCondition ? (schema?.getType(sel.typeCondition.name.value) as GraphQLCompositeType | undefined) : parent;
        m = measureSet(sel.selectionSet, cond, inConnection);
      } else m = measureFragment(sel.name.value, inConnection);
      depth = Math.max(depth, m.depth);
      aliases += m.aliases;
      cost += m.cost;
    }
    return { depth, aliases, cost };
  }

  function measureFragment(name: string, inConnection: boolean): Measure {
    const key = `${name}:${inConnection}`;
    const known = memo.get(key);
    if (known) return known;
    const frag = fragments.get(name);
    if (!frag || active.has(name)) return ZERO;
    active.add(name);
    const m = measureSet(frag.selectionSet, schema?.getType(frag.typeCondition.name.value) as GraphQLCompositeType | undefined, inConnection);
    active.delete(name);
    memo.set(key, m);
    return m;
  }

  function measureField(field: FieldNode, parent: GraphQLCompositeType | undefined, inConnection: boolean): Measure {
    const alias = field.alias ? 1 : 0;
    const name = field.name.value;
    if (name === '__schema' || name === '__type') return { depth: 0, aliases: alias, cost: INTROSPECTION_COST };
    const def = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    if (!field.selectionSet) return { depth: 1, aliases: alias, cost: 0 };
    const type = def?.type;
    const connection = type ? isConnection(type) : false;
    const child = measureSet(field.selectionSet, type ? (getNamedType(type) as GraphQLCompositeType) : undefined, connection);
    let multiplier = 1;
    if (connection) multiplier = pageSize(field, DEFAULT_PAGE_SIZE);
    else if (type && unwrapList(type) && !inConnection) multiplier = pageSize(field, LIST_ESTIMATE);
    return { depth: child.depth + 1, aliases: alias + child.aliases, cost: multiplier * (1 + child.cost) };
  }

  const root = schema ? (operation.operation === OperationTypeNode.QUERY ? schema.getQueryType() : operation.operation === OperationTypeNode.MUTATION ? schema.getMutationType() : schema.getSubscriptionType()) : undefined;
  const m = measureSet(operation.selectionSet, root ?? undefined, false);
  const writes = operation.operation === OperationTypeNode.MUTATION ? operation.selectionSet.selections.length * MUTATION_FIELD_COST : 0;
  return { operation, depth: m.depth, aliases: m.aliases, cost: m.cost + writes };
}

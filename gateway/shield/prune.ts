/**
 * Removes denied selections from an operation document. The copy stays a valid operation:
 * every selection set below the root also selects `__typename` (so an emptied set stays valid and
 * the runtime type of every object is known when the response is completed), and fragments and
 * variables no longer used are dropped. The input document is never modified (it may be shared
 * through the server's document cache).
 */
import { Kind, visit, type DefinitionNode, type DocumentNode, type FieldNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

function withTypename(set: SelectionSetNode): SelectionSetNode {
  const has = set.selections.some((s) => s.kind === Kind.FIELD && !s.alias && s.name.value === '__typename');
  return has ? set : { ...set, selections: [...set.selections, TYPENAME] };
}

/** Names of fragments reachable from the operations, and variables used by each operation. */
function usage(doc: DocumentNode): { fragments: Set<string>; variables: Map<OperationDefinitionNode, Set<string>> } {
  const fragmentDefs = new Map(doc.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const fragments = new Set<string>();
  const variables = new Map<OperationDefinitionNode, Set<string>>();
  for (const op of doc.definitions) {
    if (op.kind !== Kind.OPERATION_DEFINITION) continue;
    const used = new Set<string>();
    const seen = new Set<string>();
    const stack: SelectionSetNode[] = [op.selectionSet];
    const collect = (node: Parameters<typeof visit>[0]) =>
      visit(node, {
        Variable: (v) => void used.add(v.name.value),
        FragmentSpread: (s) => {
          if (!seen.has(s.name.value)) {
            seen.add(s.name.value);
            const def = fragmentDefs.get(s.name.value);
            if (def) stack.push(def.selectionSet);
          }
        },
        VariableDefinition: () => false,
      });
    for (const d of op.directives ?? []) collect(d);
    while (stack.length > 0) collect(stack.pop() as SelectionSetNode);
    for (const name of seen) fragments.add(name);
    variables.set(op, used);
  }
  return { fragments, variables };
}

/**
 * A copy of `document` without the given field nodes. Returns null when the chosen operation has
 * no field left at its root.
 */
export function pruneDocument(document: DocumentNode, denied: ReadonlySet<FieldNode>, operationName?: string | null): DocumentNode | null {
  const pruned = visit(document, {
    Field: (node) => (denied.has(node) ? null : undefined),
    SelectionSet: {
      leave: (node, _key, parent) => (parent && 'kind' in parent && parent.kind === Kind.OPERATION_DEFINITION ? node : withTypename(node)),
    },
  });
  const { fragments, variables } = usage(pruned);
  const definitions: DefinitionNode[] = pruned.definitions
    .filter((d) => d.kind !== Kind.FRAGMENT_DEFINITION || fragments.has(d.name.value))
    .map((d) => {
      if (d.kind !== Kind.OPERATION_DEFINITION) return d;
      const used = variables.get(d) as Set<string>;
      const op: OperationDefinitionNode = { ...d, variableDefinitions: d.variableDefinitions?.filter((v) => used.has(v.variable.name.value)) };
      return op;
    });
  const ops = definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
  if (!op || op.selectionSet.selections.length === 0) return null;
  return { ...pruned, definitions };
}

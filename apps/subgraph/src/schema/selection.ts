import { type FragmentDefinitionNode, type GraphQLResolveInfo, Kind, type SelectionSetNode } from 'graphql';

/**
 * The field names a query selects on the nodes of a connection field (`edges { node { … } }` and
 * `nodes { … }`), through fragments and inline fragments. Used to select only the columns a query reads
 * (data minimisation, GDPR Art 5(1)(c); and less for PostgreSQL to read and Node to parse). Directives
 * such as @skip are ignored: selecting a column too many is harmless, one too few is not.
 */
export function connectionNodeFields(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  for (const node of info.fieldNodes) {
    for (const [name, selection] of fields(node.selectionSet, info.fragments)) {
      if (name === 'nodes') collect(selection, info.fragments, names);
      if (name === 'edges') {
        for (const [edgeField, edgeSelection] of fields(selection, info.fragments)) {
          if (edgeField === 'node') collect(edgeSelection, info.fragments, names);
        }
      }
    }
  }
  return names;
}

type Fragments = Record<string, FragmentDefinitionNode>;

function collect(set: SelectionSetNode | undefined, fragments: Fragments, into: Set<string>): void {
  for (const [name] of fields(set, fragments)) into.add(name);
}

/** [field name, its selection set] for every field of a selection set, fragments flattened. */
function* fields(
  set: SelectionSetNode | undefined,
  fragments: Fragments,
  seen = new Set<string>(),
): Generator<[string, SelectionSetNode | undefined]> {
  if (!set) return;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      yield [selection.name.value, selection.selectionSet];
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      yield* fields(selection.selectionSet, fragments, seen);
    } else {
      const name = selection.name.value;
      const fragment = fragments[name];
      // A fragment spread twice is read once (validation already forbids cycles).
      if (fragment && !seen.has(name)) {
        seen.add(name);
        yield* fields(fragment.selectionSet, fragments, seen);
      }
    }
  }
}

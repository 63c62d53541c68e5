import {
  decideField,
  fieldVisibility,
  PERSONAL_FIELD_NAMES,
  PERSONAL_FIELDS,
  type PersonalField,
  PURPOSE_DEFINITIONS,
  PURPOSES,
  type Purpose,
} from '@custos/policy';
import {
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  isObjectType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from 'graphql';

/** Per purpose, the personal fields no contact's state ever opens to it: decided once, asked per field. */
const NEVER_VISIBLE = new Map<Purpose, ReadonlySet<string>>(
  PURPOSES.map((purpose) => [
    purpose,
    new Set(PERSONAL_FIELD_NAMES.filter((field) => fieldVisibility(purpose, field) === 'never')),
  ]),
);

/** Is `Type.field` a personal field that no contact's state ever opens to `purpose`? */
export function neverVisible(purpose: Purpose, coordinate: string): boolean {
  return NEVER_VISIBLE.get(purpose)?.has(coordinate) ?? false;
}

const TYPENAME: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/**
 * A removed field's reason can still depend on one piece of the row's state: PROCESSING_RESTRICTED outranks
 * the purpose's own reason where the purpose sees restricted rows redacted (customer_support). `restricted` is
 * a field every purpose may read, so the gateway asks for it, under this alias, next to what it removed.
 */
export const RESTRICTED_ALIAS = '__custos_restricted';
/**
 * The redaction entry of a field the purpose never sees, as the subgraph would write it: the policy's reason given
 * the one piece of state it can depend on, read from the object the gateway asked `restricted` for.
 */
export function removedEntry(
  purpose: Purpose,
  field: PersonalField,
  holder: Readonly<Record<string, unknown>> | null | undefined,
  path: readonly (string | number)[],
) {
  const restricted = holder?.[RESTRICTED_ALIAS] === true;
  const decision = decideField(purpose, field, {
    erased: false,
    restricted,
    limitSensitive: false,
    consents: {},
  });
  return {
    path,
    field,
    category: PERSONAL_FIELDS[field].category,
    reason: decision.allowed ? 'PURPOSE_NOT_ALLOWED' : decision.reason,
  };
}

const RESTRICTED: FieldNode = {
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: RESTRICTED_ALIAS },
  name: { kind: Kind.NAME, value: 'restricted' },
};

/**
 * A subgraph request without the personal fields the purpose never sees (data minimisation, GDPR Art 5(1)(c)
 * and 25: what may not be shown is not even fetched). `schema` is the subgraph's schema as the gateway knows
 * it; entity fetches (`_entities { ... on Contact { … } }`) are typed by their fragments. A selection set left
 * empty asks for `__typename`, which every object has. The same document object comes back when nothing was
 * removed.
 */
export function withoutNeverVisible(
  document: DocumentNode,
  schema: GraphQLSchema,
  purpose: Purpose,
): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  const restrictedDecides = PURPOSE_DEFINITIONS[purpose].rows.restricted === 'redact';
  let removed = false;
  // One flag per open selection set: did it lose a field whose reason depends on `restricted`?
  const needsRestricted: boolean[] = [];
  const stripped = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent || !neverVisible(purpose, `${parent.name}.${node.name.value}`)) return undefined;
        removed = true;
        if (restrictedDecides && isObjectType(parent) && parent.getFields().restricted) {
          needsRestricted[needsRestricted.length - 1] = true;
        }
        return null;
      },
      SelectionSet: {
        enter() {
          needsRestricted.push(false);
        },
        leave(node) {
          const selections = needsRestricted.pop() ? [...node.selections, RESTRICTED] : node.selections;
          if (selections.length === 0) return { ...node, selections: [TYPENAME] };
          return selections === node.selections ? undefined : { ...node, selections };
        },
      },
    }),
  );
  return removed ? withoutUnused(stripped) : document;
}

/**
 * A document without the variable definitions and fragments that no kept selection uses any more: a removed
 * relation takes its arguments (`interactions(first: $n)`) and its fragment spreads with it, and a subgraph
 * refuses a document that defines what it never uses.
 */
export function withoutUnused(document: DocumentNode): DocumentNode {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const usedFragments = new Set<string>();
  /** The variables an operation uses, through the fragments it spreads (each noted as used). */
  const variablesOf = (operation: ASTNode): Set<string> => {
    const variables = new Set<string>();
    const seen = new Set<string>();
    const pending: ASTNode[] = [operation];
    while (pending.length) {
      visit(pending.pop()!, {
        VariableDefinition: () => false,
        Variable(variable) {
          variables.add(variable.name.value);
        },
        FragmentSpread(spread) {
          const fragment = fragments.get(spread.name.value);
          if (fragment && !seen.has(fragment.name.value)) {
            seen.add(fragment.name.value);
            usedFragments.add(fragment.name.value);
            pending.push(fragment);
          }
        },
      });
    }
    return variables;
  };
  const definitions = document.definitions.map((definition) => {
    if (definition.kind !== Kind.OPERATION_DEFINITION) return definition;
    const used = variablesOf(definition);
    const declared = definition.variableDefinitions ?? [];
    const kept = declared.filter((v) => used.has(v.variable.name.value));
    return kept.length === declared.length ? definition : { ...definition, variableDefinitions: kept };
  });
  return {
    ...document,
    definitions: definitions.filter(
      (d) => d.kind !== Kind.FRAGMENT_DEFINITION || usedFragments.has(d.name.value),
    ),
  };
}

/**
 * {@link withoutNeverVisible}, remembered per planned document and purpose: the gateway plans a document once
 * and sends the same subgraph documents for every request that runs it.
 */
export function strippedDocuments(): (
  document: DocumentNode,
  schema: GraphQLSchema,
  purpose: Purpose,
) => DocumentNode {
  const memo = new WeakMap<DocumentNode, Map<Purpose, DocumentNode>>();
  return (document, schema, purpose) => {
    let byPurpose = memo.get(document);
    if (!byPurpose) {
      byPurpose = new Map();
      memo.set(document, byPurpose);
    }
    let stripped = byPurpose.get(purpose);
    if (!stripped) {
      stripped = withoutNeverVisible(document, schema, purpose);
      byPurpose.set(purpose, stripped);
    }
    return stripped;
  };
}

import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLDirective,
  GraphQLIncludeDirective,
  type GraphQLObjectType,
  type GraphQLSchema,
  GraphQLSkipDirective,
  getDirectiveValues,
  isAbstractType,
  Kind,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';

/** The fields a selection asks of one object type: response name (alias or name) → the field's name. */
export interface CollectedFields {
  readonly fields: Map<string, { readonly name: string; readonly nodes: FieldNode[] }>;
  /** An `@skip`/`@include` read a variable: the answer holds for this request's variables only. */
  readonly dependsOnVariables: boolean;
}

/** What collecting needs of the operation (a GraphQLResolveInfo has all three). */
export interface Operation {
  readonly schema: GraphQLSchema;
  readonly fragments: Record<string, FragmentDefinitionNode>;
  readonly variableValues: Record<string, unknown>;
}

/**
 * GraphQL's CollectFields (spec §6.3.2) for one object type: the fields that executing the selection sets of
 * `fields` (the nodes of one field, as a resolve info's `fieldNodes`; merged as GraphQL merges them) on a value of
 * `type` resolves — through fragments and inline fragments whose type condition `type` satisfies, and with
 * `@skip`/`@include` evaluated — each under its response name. Exact, because what it answers decides which
 * redaction entries and audit bits a row produces.
 */
export function collectFields(
  operation: Operation,
  type: GraphQLObjectType,
  fields: readonly FieldNode[],
): CollectedFields {
  const collected = new Map<string, { name: string; nodes: FieldNode[] }>();
  let dependsOnVariables = false;
  const visited = new Set<string>();

  const included = (selection: SelectionNode): boolean => {
    if (!selection.directives?.length) return true;
    const flag = (directive: GraphQLDirective) => {
      const node = selection.directives!.find((d) => d.name.value === directive.name);
      if (!node) return undefined;
      if (node.arguments?.some((argument) => argument.value.kind === Kind.VARIABLE))
        dependsOnVariables = true;
      return getDirectiveValues(directive, selection, operation.variableValues)?.if === true;
    };
    return flag(GraphQLSkipDirective) !== true && flag(GraphQLIncludeDirective) !== false;
  };
  const applies = (condition: string | undefined): boolean => {
    if (condition === undefined || condition === type.name) return true;
    const conditionType = operation.schema.getType(condition);
    return (
      conditionType !== undefined &&
      isAbstractType(conditionType) &&
      operation.schema.isSubType(conditionType, type)
    );
  };
  const walk = (set: SelectionSetNode | undefined): void => {
    if (!set) return;
    for (const selection of set.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        const responseName = selection.alias?.value ?? selection.name.value;
        const known = collected.get(responseName);
        if (known) known.nodes.push(selection);
        else collected.set(responseName, { name: selection.name.value, nodes: [selection] });
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (applies(selection.typeCondition?.name.value)) walk(selection.selectionSet);
      } else {
        const name = selection.name.value;
        if (visited.has(name)) continue;
        visited.add(name);
        const fragment = operation.fragments[name];
        if (fragment && applies(fragment.typeCondition.name.value)) walk(fragment.selectionSet);
      }
    }
  };
  for (const field of fields) walk(field.selectionSet);
  return { fields: collected, dependsOnVariables };
}

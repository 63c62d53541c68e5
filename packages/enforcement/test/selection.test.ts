import {
  buildSchema,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { collectFields } from '../src/selection.js';

/**
 * collectFields decides which redaction entries and audit bits a row produces (row-view.ts), so it must answer
 * what GraphQL executes: the spec's CollectFields (§6.3.2). Each case states the expected response names by hand.
 */
const schema = buildSchema(`
  interface Person { name: String }
  type Contact implements Person { id: ID name: String email: String phone: String }
  type Company { id: ID name: String }
  union Row = Contact | Company
  type Query { contact: Contact row: Row }
`);
const contact = schema.getType('Contact') as GraphQLObjectType;

function collect(document: string, variableValues: Record<string, unknown> = {}) {
  const parsed = parse(document);
  const operation = parsed.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  const fragments = Object.fromEntries(
    parsed.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  // The root field's own selection set is what a field's rows are collected from.
  const root = operation.selectionSet.selections[0]!;
  if (root.kind !== Kind.FIELD) throw new Error('the first selection must be a field');
  const collected = collectFields({ schema, fragments, variableValues }, contact, [root]);
  return {
    fields: Object.fromEntries(
      [...collected.fields].map(([response, { name, nodes }]) => [response, [name, nodes.length]]),
    ),
    dependsOnVariables: collected.dependsOnVariables,
  };
}

describe('collectFields', () => {
  it('answers each response name with its field, aliases included, merging repeated names', () => {
    expect(collect('{ contact { id a: email email b: email a: email } }')).toEqual({
      fields: { id: ['id', 1], a: ['email', 2], email: ['email', 1], b: ['email', 1] },
      dependsOnVariables: false,
    });
  });

  it('follows fragments and inline fragments whose condition the type satisfies, and no other', () => {
    const result = collect(`
      { contact { ...C ... on Person { name } ... on Company { x: name } ... { phone } ...K } }
      fragment C on Contact { email }
      fragment K on Company { k: id }
    `);
    expect(result.fields).toEqual({ email: ['email', 1], name: ['name', 1], phone: ['phone', 1] });
    expect(result.fields).not.toHaveProperty('x');
    expect(result.fields).not.toHaveProperty('k');
  });

  it('follows a fragment on a union the type belongs to', () => {
    expect(collect('{ contact { ...R } } fragment R on Row { ... on Contact { email } }').fields).toEqual({
      email: ['email', 1],
    });
  });

  it('reads a fragment spread twice once (as GraphQL does)', () => {
    expect(collect('{ contact { ...C ...C } } fragment C on Contact { email }').fields).toEqual({
      email: ['email', 1],
    });
  });

  it('evaluates @skip and @include, literal and variable, and says when variables decided', () => {
    expect(
      collect('{ contact { email @skip(if: true) phone @include(if: false) id @include(if: true) } }'),
    ).toEqual({
      fields: { id: ['id', 1] },
      dependsOnVariables: false,
    });
    const query = 'query($s: Boolean!) { contact { email @skip(if: $s) ... @include(if: $s) { phone } } }';
    expect(collect(query, { s: true })).toEqual({
      fields: { phone: ['phone', 1] },
      dependsOnVariables: true,
    });
    expect(collect(query, { s: false })).toEqual({
      fields: { email: ['email', 1] },
      dependsOnVariables: true,
    });
  });
});

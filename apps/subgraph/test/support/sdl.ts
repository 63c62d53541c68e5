import { printSubgraphSchema } from '@apollo/subgraph';
import { fieldVisibility, isPersonalField, PERSONAL_FIELDS, PURPOSES } from '@custos/policy';
import { type GraphQLSchema, isObjectType } from 'graphql';
import { expect } from 'vitest';

/** The personal fields (policy coordinates) a subgraph schema serves. */
export function personalFieldsOf(schema: GraphQLSchema): string[] {
  return Object.values(schema.getTypeMap())
    .filter(isObjectType)
    .flatMap((type) => Object.keys(type.getFields()).map((field) => `${type.name}.${field}`))
    .filter(isPersonalField);
}

/**
 * Every personal field a subgraph serves, and only those, carries `@pii(category:)` and `@policy` listing
 * exactly the purposes that may see it somewhere, both as the policy table says; `@pii` is composed.
 */
export function expectPolicyDirectives(schema: GraphQLSchema): void {
  const sdl = printSubgraphSchema(schema);
  const fields = personalFieldsOf(schema);
  for (const field of fields) {
    if (!isPersonalField(field)) continue;
    const [type, name] = field.split('.') as [string, string];
    const block = sdl.slice(sdl.search(new RegExp(`^type ${type}\\b(?!\\w)`, 'm')));
    const line = block
      .split('\n')
      .find((l) => l.trimStart().startsWith(`${name}:`) || l.trimStart().startsWith(`${name}(`));
    expect(line, field).toContain(`@pii(category: "${PERSONAL_FIELDS[field].category}")`);
    const purposes = PURPOSES.filter((p) => fieldVisibility(p, field) !== 'never');
    expect(line, field).toContain(
      `@policy(policies: [${purposes.map((p) => `["purpose:${p}"]`).join(', ')}])`,
    );
  }
  expect(sdl.match(/@pii\(category: "/g)).toHaveLength(fields.length);
  expect(sdl).toContain('@composeDirective(name: "@pii")');
}

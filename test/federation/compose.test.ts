import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fieldVisibility, PERSONAL_FIELDS, type PersonalField, PURPOSES } from '@custos/policy';
import { buildASTSchema, type ConstDirectiveNode, parse, print } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { composeSupergraph, readSubgraphs } from '../../scripts/compose.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = path.join(root, 'test/federation/fixtures');
const out = mkdtempSync(path.join(os.tmpdir(), 'custos-compose-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** `npm run compose` on a config, writing into a scratch directory. */
function compose(config: string) {
  const target = path.join(out, `${path.basename(path.dirname(config))}.graphql`);
  const run = spawnSync(process.execPath, ['scripts/compose.mjs', '--config', config, '--out', target], {
    cwd: root,
    encoding: 'utf8',
  });
  return { ...run, target };
}

describe('compose fails loudly', () => {
  it.each([
    ['type-conflict', /\[FIELD_TYPE_MISMATCH\] .*"Person\.id"/],
    // Guild's composition accepts this one; the build of its output does not.
    ['pii-conflict', /\[INVALID_SUPERGRAPH\] .*@pii/],
  ])('%s: exit code 1, each error by code and message, nothing written', (fixture, message) => {
    const run = compose(path.join(fixtures, fixture, 'supergraph.config.json'));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(() => readFileSync(run.target)).toThrow();
  });

  it('names a subgraph SDL that is missing', () => {
    const run = compose(path.join(fixtures, 'missing.config.json'));
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      'compose: [CONFIG_ERROR] subgraph "gone": cannot read its schema test/federation/fixtures/does-not-exist.graphql\n',
    );
  });
});

describe('the committed supergraph', () => {
  const committed = readFileSync(path.join(root, 'supergraph.graphql'), 'utf8');

  it('is what compose makes of the committed subgraph SDLs (run `npm run compose` after an SDL change)', () => {
    const result = composeSupergraph(readSubgraphs(path.join(root, 'supergraph.config.json')));
    expect(result.errors).toBeUndefined();
    expect(result.supergraphSdl).toBe(committed);
  });

  it('keeps @pii and @policy on every personal field, as the policy says', () => {
    const schema = buildASTSchema(parse(committed));
    const directive = (field: PersonalField, name: string): ConstDirectiveNode | undefined => {
      const [type, fieldName] = field.split('.') as [string, string];
      const definition = schema.getType(type)?.toConfig() as {
        fields?: Record<string, { astNode?: { directives?: readonly ConstDirectiveNode[] } }>;
      };
      return definition.fields?.[fieldName]?.astNode?.directives?.find((d) => d.name.value === name);
    };
    const fields = (Object.keys(PERSONAL_FIELDS) as PersonalField[]).filter((field) =>
      schema.getType(field.split('.')[0]!),
    );
    // Contacts, interactions and tickets: the supergraph holds both subgraphs' personal fields.
    expect(fields.map((f) => f.split('.')[0])).toEqual(
      expect.arrayContaining(['Contact', 'Interaction', 'Ticket']),
    );
    for (const field of fields) {
      expect(print(directive(field, 'pii')!), field).toBe(
        `@pii(category: "${PERSONAL_FIELDS[field].category}")`,
      );
      const purposes = PURPOSES.filter((purpose) => fieldVisibility(purpose, field) !== 'never');
      const policies = purposes.map((purpose) => `["purpose:${purpose}"]`).join(', ');
      expect(print(directive(field, 'policy')!), field).toBe(`@policy(policies: [${policies}])`);
    }
  });
});

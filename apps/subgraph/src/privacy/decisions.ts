import {
  decideField,
  type FieldDecision,
  PERSONAL_FIELD_NAMES,
  type PersonalField,
  PURPOSES,
  type Purpose,
} from '@custos/policy';

/**
 * The policy's field decisions, precomputed for every purpose, personal field and the two pieces of a
 * contact's state that can change a field decision on a visible row: processing restricted (Art 18) and
 * "limit sensitive use" (CCPA). Resolvers run this lookup for every field of every row, so it is a table.
 */
type Four = readonly [FieldDecision, FieldDecision, FieldDecision, FieldDecision];

const index = (restricted: boolean, limitSensitive: boolean) =>
  (restricted ? 2 : 0) + (limitSensitive ? 1 : 0);

const TABLE = new Map<string, Four>(
  PURPOSES.flatMap((purpose) =>
    PERSONAL_FIELD_NAMES.map((field): [string, Four] => {
      const at = (restricted: boolean, limitSensitive: boolean) =>
        decideField(purpose, field, { erased: false, restricted, limitSensitive, consents: {} });
      return [`${purpose} ${field}`, [at(false, false), at(false, true), at(true, false), at(true, true)]];
    }),
  ),
);

export interface RowPrivacyState {
  readonly restricted: boolean;
  readonly limitSensitive: boolean;
}

export function fieldDecision(purpose: Purpose, field: PersonalField, row: RowPrivacyState): FieldDecision {
  return TABLE.get(`${purpose} ${field}`)![index(row.restricted, row.limitSensitive)]!;
}

/**
 * The SQL condition under which `field` is visible to `purpose` on a row (alias `c` is the contact), or
 * `true` / `false` when no state changes the answer. Columns are nulled with it in the same statement that
 * reads them, so that a value the purpose may not see never leaves the database.
 */
export function visibleWhen(purpose: Purpose, field: PersonalField, contact = 'c'): string {
  const decisions = TABLE.get(`${purpose} ${field}`)!;
  const open: string[] = [];
  for (const restricted of [false, true]) {
    for (const limitSensitive of [false, true]) {
      if (decisions[index(restricted, limitSensitive)]!.allowed) {
        open.push(
          `(${restricted ? '' : 'not '}${contact}.restricted and ${limitSensitive ? '' : 'not '}${contact}.limit_sensitive)`,
        );
      }
    }
  }
  if (open.length === 4) return 'true';
  if (open.length === 0) return 'false';
  return open.join(' or ');
}

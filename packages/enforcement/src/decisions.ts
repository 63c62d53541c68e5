import {
  decideField,
  type FieldDecision,
  PERSONAL_FIELD_NAMES,
  type PersonalField,
  PURPOSES,
  type Purpose,
} from '@custos/policy';

/**
 * The policy's field decisions, precomputed for every personal field, purpose and the two pieces of a
 * contact's state that can change a field decision on a visible row: processing restricted (Art 18) and
 * "limit sensitive use" (CCPA). Resolvers consult it for every field of every row, so it is a table.
 */
type Four = readonly [FieldDecision, FieldDecision, FieldDecision, FieldDecision];
export type FieldDecisions = Readonly<Record<Purpose, Four>>;

const index = (restricted: boolean, limitSensitive: boolean) =>
  (restricted ? 2 : 0) + (limitSensitive ? 1 : 0);

const TABLE = Object.fromEntries(
  PERSONAL_FIELD_NAMES.map((field) => [
    field,
    Object.fromEntries(
      PURPOSES.map((purpose) => {
        const at = (restricted: boolean, limitSensitive: boolean) =>
          decideField(purpose, field, { erased: false, restricted, limitSensitive, consents: {} });
        return [purpose, [at(false, false), at(false, true), at(true, false), at(true, true)] as Four];
      }),
    ),
  ]),
) as Readonly<Record<PersonalField, FieldDecisions>>;

export interface RowPrivacyState {
  readonly restricted: boolean;
  readonly limitSensitive: boolean;
}

/** Every purpose's decisions for one field: a guard looks its field up once, when the schema is built. */
export function decisionsFor(field: PersonalField): FieldDecisions {
  return TABLE[field];
}

export function decisionOn(decisions: FieldDecisions, purpose: Purpose, row: RowPrivacyState): FieldDecision {
  return decisions[purpose][stateOf(row)]!;
}

/** The row's state as the tables index it: 0 to 3 (see {@link decisionIn}). */
export function stateOf(row: RowPrivacyState): number {
  return index(row.restricted, row.limitSensitive);
}

/** The decision for a row in state `state` ({@link stateOf}). */
export function decisionIn(decisions: FieldDecisions, purpose: Purpose, state: number): FieldDecision {
  return decisions[purpose][state]!;
}

export function fieldDecision(purpose: Purpose, field: PersonalField, row: RowPrivacyState): FieldDecision {
  return decisionOn(TABLE[field], purpose, row);
}

const conditions = new Map<string, string>();

/**
 * The SQL condition under which `field` is visible to `purpose` on a row (alias `contact`), or `true` /
 * `false` when no state changes the answer. Columns are nulled with it in the same statement that reads
 * them, so that a value the purpose may not see never leaves the database.
 */
export function visibleWhen(purpose: Purpose, field: PersonalField, contact = 'c'): string {
  const key = `${purpose} ${field} ${contact}`;
  let condition = conditions.get(key);
  if (condition === undefined) {
    const decisions = TABLE[field][purpose];
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
    condition = open.length === 4 ? 'true' : open.length === 0 ? 'false' : simplify(open, contact);
    conditions.set(key, condition);
  }
  return condition;
}

/** The two shapes the policy produces today, written plainly; anything else stays a disjunction. */
function simplify(open: string[], contact: string): string {
  const notRestricted = [
    `(not ${contact}.restricted and not ${contact}.limit_sensitive)`,
    `(not ${contact}.restricted and ${contact}.limit_sensitive)`,
  ];
  if (open.length === 2 && open.every((o, i) => o === notRestricted[i])) return `not ${contact}.restricted`;
  const notLimited = [
    `(not ${contact}.restricted and not ${contact}.limit_sensitive)`,
    `(${contact}.restricted and not ${contact}.limit_sensitive)`,
  ];
  if (open.length === 2 && open.every((o, i) => o === notLimited[i])) return `not ${contact}.limit_sensitive`;
  return open.join(' or ');
}

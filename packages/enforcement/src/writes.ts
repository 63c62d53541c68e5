import { query } from '@custos/database';
import type { PersonalField, Purpose } from '@custos/policy';
import { isUuid, ValidationError } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { fieldDecision, type RowPrivacyState } from './decisions.js';
import { rowScope } from './row-scope.js';

/** A new contact's state: nothing restricts it yet. */
export const NEW_CONTACT: RowPrivacyState = { restricted: false, limitSensitive: false };

/**
 * A purpose may write only the personal fields it may read, on rows it may see (no writing blind: what it
 * could not read back it may not set either). `fields` maps input names to policy fields; inputs that were
 * not given are skipped.
 */
export function assertWritable(
  purpose: Purpose,
  input: object,
  fields: Readonly<Record<string, PersonalField>>,
  state: RowPrivacyState,
): void {
  const problems = Object.entries(fields)
    .filter(([name]) => (input as Record<string, unknown>)[name] !== undefined)
    .flatMap(([name, field]) => {
      const decision = fieldDecision(purpose, field, state);
      return decision.allowed
        ? []
        : [
            {
              field: name,
              rule: decision.reason,
              message: `may not be written for purpose ${purpose} (${decision.reason})`,
            },
          ];
    });
  if (problems.length > 0) throw new ValidationError(problems);
}

/**
 * The state of a contact the purpose may see, or null when the row is outside its row rule (or does not
 * exist): writes answer NOT_FOUND for both alike. Locks the row for the rest of the transaction unless told
 * not to (a read that only asks whether the contact exists for the caller). A null purpose is the data subject
 * acting on their own record (the public endpoints): any live contact.
 */
export async function visibleContactState(
  em: EntityManager,
  purpose: Purpose | null,
  id: string,
  options: { readonly lock?: boolean } = {},
): Promise<RowPrivacyState | null> {
  if (!isUuid(id)) return null;
  const [row] = await query<RowPrivacyState>(
    em,
    `select c.restricted, c.limit_sensitive as "limitSensitive" from contact c
     where c.id = $1 and ${purpose === null ? 'c.erased_at is null' : rowScope(purpose)}
     ${options.lock === false ? '' : 'for update of c'}`,
    [id],
  );
  return row ?? null;
}

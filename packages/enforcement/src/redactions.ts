import { PERSONAL_FIELDS, type PersonalField, type RedactionReason } from '@custos/policy';
import { type GraphQLResolveInfo, responsePathAsArray } from 'graphql';

/** One entry of `extensions.redactions` (DESIGN.md, "Redaction semantics"). */
export interface Redaction {
  /** The response path, as in GraphQL errors (aliases as the client wrote them). */
  readonly path: readonly (string | number)[];
  /** The schema coordinate of the field, e.g. `Contact.email`. */
  readonly field: PersonalField;
  readonly category: string;
  readonly reason: RedactionReason;
}

/**
 * The redactions of one request: written by the field guard for every personal field the query asked for
 * and the purpose may not see — whether or not a value exists, so that an entry never reveals one — and
 * returned in `extensions.redactions`.
 */
export class RedactionLog {
  readonly entries: Redaction[] = [];

  record(info: GraphQLResolveInfo, field: PersonalField, reason: RedactionReason): void {
    this.recordAt(responsePathAsArray(info.path), field, reason);
  }

  /** The same, for a field at `path` (a row's field decided where the row was reached: row-view.ts). */
  recordAt(path: readonly (string | number)[], field: PersonalField, reason: RedactionReason): void {
    this.entries.push({ path, field, category: PERSONAL_FIELDS[field].category, reason });
  }
}

import { isSpecialCategory } from './categories.js';
import { isPersonalField, PERSONAL_FIELD_NAMES, PERSONAL_FIELDS, type PersonalField } from './fields.js';
import { isOperation, OPERATIONS } from './operations.js';
import { isPurpose, PURPOSE_DEFINITIONS, PURPOSES, type Purpose } from './purposes.js';
import { isRole, ROLE_PURPOSES, type Role } from './roles.js';
import { type ContactState, ORDINARY_CONTACT } from './state.js';

/** Known roles among the claimed ones; unknown role names grant nothing. */
export function knownRoles(claimed: readonly unknown[]): Role[] {
  return [...new Set(claimed.filter(isRole))];
}

/** Every purpose that at least one of the roles may declare, in policy order. */
export function purposesForRoles(roles: readonly Role[]): Purpose[] {
  const allowed = new Set(roles.flatMap((role) => ROLE_PURPOSES[role]));
  return [...allowed];
}

export type PurposeDecision =
  | { readonly allowed: true; readonly purpose: Purpose }
  | { readonly allowed: false; readonly reason: 'PURPOSE_MISSING' | 'PURPOSE_UNKNOWN' | 'PURPOSE_NOT_HELD' };

/**
 * May a caller holding `roles` declare `declared` as its processing purpose? Purpose limitation,
 * GDPR Art 5(1)(b): a caller must say why it processes, and only purposes its roles hold count.
 */
export function mayDeclarePurpose(roles: readonly Role[], declared: string | undefined): PurposeDecision {
  if (declared === undefined || declared.trim() === '') return { allowed: false, reason: 'PURPOSE_MISSING' };
  if (!isPurpose(declared)) return { allowed: false, reason: 'PURPOSE_UNKNOWN' };
  if (!purposesForRoles(roles).includes(declared)) return { allowed: false, reason: 'PURPOSE_NOT_HELD' };
  return { allowed: true, purpose: declared };
}

/** May `purpose` run the query or mutation `operation` (e.g. `Query.contacts`)? Unknown operations may not run. */
export function mayRunOperation(purpose: Purpose, operation: string): boolean {
  return isOperation(operation) && (OPERATIONS[operation] as readonly Purpose[]).includes(purpose);
}

/**
 * May `purpose` see this contact's row at all? A row it may not see does not exist for the caller: it
 * answers like an id that never existed (DESIGN.md, "Redaction semantics").
 */
export function maySeeRow(purpose: Purpose, state: ContactState): boolean {
  const rule = PURPOSE_DEFINITIONS[purpose].rows;
  if (rule.contacts === 'none') return false;
  if (state.erased && rule.contacts !== 'all') return false;
  if (state.restricted && rule.restricted === 'exclude') return false;
  const status = state.consents[purpose];
  if (rule.objection === 'exclude' && status === 'OBJECTED') return false;
  if (rule.requiresConsent && status !== 'GRANTED') return false;
  return true;
}

/** Why a field is redacted, highest first when several apply (DESIGN.md, "Redaction semantics"). */
export const REDACTION_REASONS = [
  'PROCESSING_RESTRICTED',
  'SENSITIVE_USE_LIMITED',
  'SPECIAL_CATEGORY',
  'PURPOSE_NOT_ALLOWED',
] as const;
export type RedactionReason = (typeof REDACTION_REASONS)[number];

export type FieldDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: RedactionReason };

const ALLOW: FieldDecision = { allowed: true };
const redact = (reason: RedactionReason): FieldDecision => ({ allowed: false, reason });

/**
 * May `purpose` see `field` (e.g. `Contact.email`) of a contact in `state`, on a row it may see? Fields that
 * hold no personal data are always allowed. Reasons are tried highest first:
 * PROCESSING_RESTRICTED (Art 18) > SENSITIVE_USE_LIMITED (CCPA) > SPECIAL_CATEGORY (Art 9) > PURPOSE_NOT_ALLOWED.
 *
 * "Limit the use of my sensitive personal information" limits a purpose that would otherwise use the data: it
 * does not apply to a field the purpose never sees anyway, and reporting it there would tell that purpose a
 * choice of the consumer it may not read (DESIGN.md: no answer may depend on data the caller may not read).
 * Whether a contact is restricted is no such secret: `restricted` is a field every purpose may read.
 *
 * An erased contact's tombstone (seen by compliance only) holds no personal value left to redact: its fields
 * are allowed and empty.
 */
export function decideField(purpose: Purpose, field: string, state: ContactState): FieldDecision {
  if (!isPersonalField(field)) return ALLOW;
  const definition = PURPOSE_DEFINITIONS[purpose];
  const special = isSpecialCategory(PERSONAL_FIELDS[field].category);
  if (state.restricted && definition.rows.restricted !== 'include') return redact('PROCESSING_RESTRICTED');
  if (special && !definition.specialCategories) return redact('SPECIAL_CATEGORY');
  if (!(definition.fields as readonly PersonalField[]).includes(field)) return redact('PURPOSE_NOT_ALLOWED');
  if (special && state.limitSensitive && !definition.overridesSensitiveLimit)
    return redact('SENSITIVE_USE_LIMITED');
  return ALLOW;
}

/**
 * How a field's visibility for a purpose depends on the contact: `never` (no contact's state opens it, so
 * the column need not be read), `always` (every row the purpose may see shows it) or `depends` (the state
 * decides, e.g. a restricted contact under customer_support: the database nulls it per row).
 */
export type FieldVisibility = 'never' | 'always' | 'depends';

export function fieldVisibility(purpose: Purpose, field: PersonalField): FieldVisibility {
  const definition = PURPOSE_DEFINITIONS[purpose];
  if (definition.rows.contacts === 'none') return 'never';
  const open = decideField(purpose, field, ORDINARY_CONTACT);
  if (!open.allowed) return 'never';
  const special = isSpecialCategory(PERSONAL_FIELDS[field].category);
  const restrictedRowsShown = definition.rows.restricted === 'redact';
  const limitApplies = special && !definition.overridesSensitiveLimit;
  return restrictedRowsShown || limitApplies ? 'depends' : 'always';
}

/**
 * The purpose that sees every contact row (erased tombstones too), every personal field whatever the contact's
 * state, and may run every operation — derived from the tables, not named. The benchmark's allow-all switch
 * processes requests as this purpose. Undefined when the policy has none.
 */
export function unrestrictedPurpose(): Purpose | undefined {
  const worst: ContactState = { erased: false, restricted: true, limitSensitive: true, consents: {} };
  return PURPOSES.find((purpose) => {
    const rows = PURPOSE_DEFINITIONS[purpose].rows;
    return (
      rows.contacts === 'all' &&
      rows.restricted === 'include' &&
      !rows.requiresConsent &&
      rows.objection === 'ignore' &&
      PERSONAL_FIELD_NAMES.every((field) => decideField(purpose, field, worst).allowed) &&
      Object.keys(OPERATIONS).every((operation) => mayRunOperation(purpose, operation))
    );
  });
}

/** The reason a field is never visible for a purpose (on an ordinary contact), for UIs and the SDL. */
export function neverReason(purpose: Purpose, field: PersonalField): RedactionReason | undefined {
  const decision = decideField(purpose, field, ORDINARY_CONTACT);
  return decision.allowed ? undefined : decision.reason;
}

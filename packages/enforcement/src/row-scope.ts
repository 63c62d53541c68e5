import {
  CONSENT_BIT,
  fieldVisibility,
  type PersonalField,
  PURPOSE_DEFINITIONS,
  type Purpose,
} from '@custos/policy';
import { visibleWhen } from './decisions.js';

/**
 * A purpose's row rule (packages/policy) as a SQL condition on the contact alias: it goes into the WHERE
 * clause of the very statement that reads the rows, never a filter applied afterwards. A row outside it does
 * not exist for the caller: lists skip it, counts do not count it, `contact(id)` and `_entities` answer null
 * and updates answer NOT_FOUND. Purposes are policy constants, never client input, so they are inlined.
 */
export function rowScope(purpose: Purpose, contact = 'c'): string {
  const key = `${purpose} ${contact}`;
  let scope = scopes.get(key);
  if (scope === undefined) {
    scope = buildScope(purpose, contact);
    scopes.set(key, scope);
  }
  return scope;
}

const scopes = new Map<string, string>();

function buildScope(purpose: Purpose, contact: string): string {
  const rule = PURPOSE_DEFINITIONS[purpose].rows;
  if (rule.contacts === 'none') return 'false';
  const conditions: string[] = [];
  if (rule.contacts === 'live') conditions.push(`${contact}.erased_at is null`);
  if (rule.restricted === 'exclude') conditions.push(`not ${contact}.restricted`);
  // The current ledger status, kept on the contact row (ConsentBits migration): a column test during the scan.
  // One status per contact and purpose: GRANTED already rules out OBJECTED.
  const bit = 1 << CONSENT_BIT[purpose];
  if (rule.requiresConsent) conditions.push(`(${contact}.consent_granted & ${bit}) <> 0`);
  else if (rule.objection === 'exclude') conditions.push(`(${contact}.consent_objected & ${bit}) = 0`);
  return conditions.length ? conditions.join(' and ') : 'true';
}

/**
 * The expression for a personal field as the purpose may see it: the column itself, the column nulled on
 * rows whose state hides it, or nothing at all (never visible: never read — GDPR Art 5(1)(c)).
 */
export function visibleExpression(purpose: Purpose, field: PersonalField, sql: string): string | undefined {
  const visibility = fieldVisibility(purpose, field);
  if (visibility === 'never') return undefined;
  if (visibility === 'always') return sql;
  return `case when ${visibleWhen(purpose, field)} then ${sql} end`;
}

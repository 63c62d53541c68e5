import { DATA_CATEGORIES } from './categories.js';
import { NON_PERSONAL_FIELDS, PERSONAL_FIELDS } from './fields.js';
import { OPERATION_RESULTS, OPERATIONS } from './operations.js';
import { PURPOSE_DEFINITIONS } from './purposes.js';
import { RELATIONS } from './relations.js';
import { ROLE_PURPOSES } from './roles.js';

/** Every table of the policy: what the version identifies. */
export const POLICY_TABLES = {
  categories: DATA_CATEGORIES,
  personalFields: PERSONAL_FIELDS,
  nonPersonalFields: NON_PERSONAL_FIELDS,
  roles: ROLE_PURPOSES,
  purposes: PURPOSE_DEFINITIONS,
  operations: OPERATIONS,
  operationResults: OPERATION_RESULTS,
  relations: RELATIONS,
};

/** JSON with object keys sorted at every level, so that the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * FNV-1a, 64 bits: a content fingerprint (not a security hash — nobody gains by forging a policy version),
 * computed without node:crypto so that the console in the browser derives the same id.
 */
export function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const bytes = new TextEncoder().encode(text);
  for (const byte of bytes) {
    hash ^= BigInt(byte);
    hash = (hash * prime) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * The policy's version id: it changes whenever any table's content changes, and only then. Exposed by the
 * API and stamped on every recorded decision (audit trail, consent receipts), so that a decision can be
 * traced to the exact rules that made it.
 */
export const POLICY_VERSION = `policy-${fnv1a64(canonicalJson(POLICY_TABLES))}`;

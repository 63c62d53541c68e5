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

/**
 * JSON with object keys sorted at every level, so that the same content always gives the same text. Keys sort by
 * UTF-16 code units (the default sort); a key whose value is undefined is left out, as JSON.stringify does. Built
 * in one pass (the audit trail digests every event with it, on the serving process).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) text += ',';
      // As Array.prototype.join: an element with no JSON form (undefined, a function) is empty.
      text += canonicalJson(value[i]) ?? '';
    }
    return `${text}]`;
  }
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object).sort();
    let text = '{';
    let first = true;
    for (const key of keys) {
      const v = object[key];
      if (v === undefined) continue;
      text += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(v)}`;
      first = false;
    }
    return `${text}}`;
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

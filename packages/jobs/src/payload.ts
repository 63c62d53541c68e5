/**
 * A job is a trigger: its payload names rows in Custos' own tables (ids), a purpose or a status, a time — never
 * the personal data itself. pg-boss keeps payloads in its own tables, outside every erasure, retention and
 * access rule Custos applies to its own (GDPR Art 5(1)(c) and (e), Art 25), and shows them to anyone who can
 * read that schema. So a payload is checked before it is stored, and a value that could be personal data is
 * refused, naming the key and the rule, never the value.
 */

/** A value a payload may hold. */
export type PayloadScalar = string | number | boolean | null;
export type PayloadValue = PayloadScalar | readonly PayloadScalar[];
/** A payload: a flat object of ids and triggers (declare it as a `type`, not an `interface`). */
export type JobPayload = { readonly [key: string]: PayloadValue };

/** Most keys, array items and characters a payload may hold. */
const MAX_KEYS = 20;
const MAX_ITEMS = 1000;
const MAX_TOKEN = 64;

const KEY = /^[a-zA-Z][a-zA-Z0-9_]{0,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An ISO 8601 UTC timestamp, as `Date.toISOString()` writes it. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
/**
 * A token: a name from a closed vocabulary (a purpose, a status, a kind), starting with a letter, without spaces
 * or `@`. Strings that start with a digit or `+` (phone numbers, postal codes, card numbers) are not tokens.
 */
const TOKEN = /^[a-zA-Z][a-zA-Z0-9_.:-]*$/;

export class JobPayloadError extends Error {
  override name = 'JobPayloadError';
  constructor(
    readonly queue: string,
    readonly problems: readonly string[],
  ) {
    super(
      `the payload for queue ${queue} is refused: ${problems.join('; ')} (a job carries ids, never data)`,
    );
  }
}

/** Why a string may not be stored, or undefined when it may. */
function stringProblem(value: string): string | undefined {
  if (UUID.test(value) || TIMESTAMP.test(value)) return undefined;
  if (value.includes('@')) return 'looks like an email address';
  if (/\s/.test(value)) return 'is free text (holds white space)';
  if (value.length > MAX_TOKEN) return `is longer than ${MAX_TOKEN} characters`;
  if (!TOKEN.test(value))
    return 'is neither a UUID, an ISO timestamp nor a token (a letter, then letters, digits, _ . : -)';
  return undefined;
}

function scalarProblem(value: unknown): string | undefined {
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? undefined : 'is not a whole number';
  if (typeof value === 'string') return stringProblem(value);
  return 'is not a string, a whole number, a boolean or null';
}

/** The problems of a payload, each naming a key and a rule; empty when it may be stored. */
export function payloadProblems(payload: unknown): string[] {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return ['must be a plain object'];
  }
  const prototype = Object.getPrototypeOf(payload);
  if (prototype !== Object.prototype && prototype !== null) return ['must be a plain object'];
  const entries = Object.entries(payload);
  if (entries.length > MAX_KEYS) return [`holds more than ${MAX_KEYS} keys`];
  const problems: string[] = [];
  for (const [key, value] of entries) {
    if (!KEY.test(key)) {
      problems.push('a key is not a name (a letter, then letters, digits or _)');
      continue;
    }
    if (Array.isArray(value)) {
      if (value.length > MAX_ITEMS) problems.push(`${key}: holds more than ${MAX_ITEMS} items`);
      const index = value.findIndex((item) => scalarProblem(item) !== undefined);
      if (index >= 0) problems.push(`${key}[${index}]: ${scalarProblem(value[index])}`);
      continue;
    }
    const problem = scalarProblem(value);
    if (problem !== undefined) problems.push(`${key}: ${problem}`);
  }
  return problems;
}

/** Throws JobPayloadError unless `payload` may be stored as a job of `queue`. */
export function checkPayload(queue: string, payload: unknown): void {
  const problems = payloadProblems(payload);
  if (problems.length > 0) throw new JobPayloadError(queue, problems);
}

// An answer as JSON in pieces of regular size, which the HTTP edge encodes into one buffer (http-server.ts,
// `writeBody`). JSON.stringify of a page of 500 contacts is one string of some 150 kB: past V8's largest regular
// object (128 kB), so every such answer was allocated in the large-object space, which counts towards the old
// generation — a full garbage collection every few dozen requests, and their pauses in the p99 (issue 16). A long
// list is stringified some elements at a time instead, and the pieces are never joined into one string (a join, or
// `+=`, would copy the whole text once more): each is encoded straight into the answer's bytes. The pieces
// together are exactly JSON.stringify's text (a test holds them to it).

/** Elements of a long list stringified together: about 64 rows of a page. */
const ELEMENTS = 64;
/** Levels of objects walked to find long lists; anything deeper is stringified whole. */
const DEPTH = 8;

/** Whether JSON.stringify leaves a property with this value out of an object (and writes null in a list). */
const skipped = (value: unknown) =>
  value === undefined || typeof value === 'function' || typeof value === 'symbol';

function write(value: unknown, parts: string[], depth: number): void {
  if (value === null || typeof value !== 'object' || depth >= DEPTH) {
    parts.push(JSON.stringify(value) ?? 'null');
    return;
  }
  if (Array.isArray(value)) {
    if (value.length <= ELEMENTS) {
      parts.push(JSON.stringify(value));
      return;
    }
    parts.push('[');
    for (let at = 0; at < value.length; at += ELEMENTS) {
      const text = JSON.stringify(value.slice(at, at + ELEMENTS));
      if (at > 0) parts.push(',');
      parts.push(text.slice(1, -1));
    }
    parts.push(']');
    return;
  }
  // Only plain objects are walked: anything with its own JSON form (toJSON, a boxed value, a class) is left to
  // JSON.stringify.
  const prototype = Object.getPrototypeOf(value);
  if ((prototype !== Object.prototype && prototype !== null) || 'toJSON' in value) {
    parts.push(JSON.stringify(value));
    return;
  }
  parts.push('{');
  let first = true;
  for (const key of Object.keys(value)) {
    const member = (value as Record<string, unknown>)[key];
    if (skipped(member)) continue;
    parts.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    write(member, parts, depth + 1);
  }
  parts.push('}');
}

/**
 * `JSON.stringify(value)` as a list of pieces (joined, the same text), none much larger than 20 kB unless one element
 * of a list is: long lists are stringified some elements at a time. A value without such a list is a few pieces
 * around its lists' text.
 */
export function jsonParts(value: unknown): string[] {
  const parts: string[] = [];
  write(value, parts, 0);
  return parts;
}

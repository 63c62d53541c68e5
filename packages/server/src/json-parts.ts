// A large answer as JSON in parts of regular size. JSON.stringify of a page of 500 contacts is one string of some
// 150 kB: past V8's largest regular object (128 kB), so every such answer was allocated in the large-object space,
// which counts towards the old generation — a full garbage collection every few dozen requests, and their pauses in
// the p99 (issue 16). In parts of about 16 kB, the answer lives and dies in the young generation like the rest of
// the request. The parts together are exactly JSON.stringify's text (a test holds them to it).

/** Elements of a long list stringified together: about 64 rows of a page. */
const ELEMENTS = 64;
/** Text gathered before it becomes a part of its own. */
const PART = 16_384;
/** Levels of objects walked to find long lists; anything deeper is stringified whole. */
const DEPTH = 8;

class Parts {
  readonly parts: string[] = [];
  #text = '';

  add(text: string): void {
    if (text.length >= PART) {
      this.flush();
      this.parts.push(text);
      return;
    }
    this.#text += text;
    if (this.#text.length >= PART) this.flush();
  }

  flush(): void {
    if (this.#text.length > 0) this.parts.push(this.#text);
    this.#text = '';
  }
}

/** Whether JSON.stringify leaves a property with this value out of an object (and writes null in a list). */
const skipped = (value: unknown) =>
  value === undefined || typeof value === 'function' || typeof value === 'symbol';

function write(value: unknown, parts: Parts, depth: number): void {
  if (value === null || typeof value !== 'object' || depth >= DEPTH) {
    parts.add(JSON.stringify(value) ?? 'null');
    return;
  }
  if (Array.isArray(value)) {
    if (value.length <= ELEMENTS) {
      parts.add(JSON.stringify(value));
      return;
    }
    parts.add('[');
    for (let at = 0; at < value.length; at += ELEMENTS) {
      const text = JSON.stringify(value.slice(at, at + ELEMENTS));
      if (at > 0) parts.add(',');
      parts.add(text.slice(1, -1));
    }
    parts.add(']');
    return;
  }
  // Only plain objects are walked: anything with its own JSON form (toJSON, a boxed value, a class) is left to
  // JSON.stringify.
  const prototype = Object.getPrototypeOf(value);
  if ((prototype !== Object.prototype && prototype !== null) || 'toJSON' in value) {
    parts.add(JSON.stringify(value));
    return;
  }
  parts.add('{');
  let first = true;
  for (const key of Object.keys(value)) {
    const member = (value as Record<string, unknown>)[key];
    if (skipped(member)) continue;
    parts.add(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    write(member, parts, depth + 1);
  }
  parts.add('}');
}

/**
 * `JSON.stringify(value)` as a list of parts (joined, the same text), none much larger than 16 kB unless one
 * element of a list is: long lists are stringified some elements at a time. A small answer is one part.
 */
export function jsonParts(value: unknown): string[] {
  const parts = new Parts();
  write(value, parts, 0);
  parts.flush();
  return parts.parts;
}

import { describe, expect, it } from 'vitest';
import { jsonParts } from '../src/json-parts.js';

/**
 * The direct lane writes a large answer in parts (json-parts.ts); what leaves must be JSON.stringify's text byte
 * for byte. The reference is JSON.stringify itself, over answers shaped like the lane's and over the values whose
 * JSON form has rules of its own (left-out members, null in lists, toJSON, class instances, deep nesting).
 */
const row = (n: number) => ({
  cursor: `c${n}`.repeat(40),
  node: {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    fullName: n % 7 === 0 ? 'Zoë "Quote" Ørsted \\ \n\u2028 😀' : `Person ${n}`,
    email: n % 5 === 0 ? null : `p${n}@example.com`,
    birthDate: undefined,
    score: n / 3,
  },
});

const page = (size: number) => ({
  data: {
    contacts: { edges: Array.from({ length: size }, (_, n) => row(n)), pageInfo: { hasNextPage: true } },
  },
  extensions: {
    redactions: Array.from({ length: size > 100 ? 85 : 3 }, (_, n) => ({ path: [n], reason: 'x' })),
  },
});

class Money {
  constructor(readonly cents: number) {}
}

const cases: [string, unknown][] = [
  ['a page of 50', page(50)],
  ['a page of 500', page(500)],
  ['a page of 65 (one past a part)', page(65)],
  ['an empty page', page(0)],
  ['errors and no data', { errors: [{ message: 'm', extensions: { code: 'FORBIDDEN' } }], data: null }],
  [
    'left-out members, null in lists, toJSON, Dates, class instances',
    {
      data: {
        list: Array.from({ length: 200 }, (_, n) =>
          n % 4 === 0 ? undefined : n % 4 === 1 ? () => n : n % 4 === 2 ? new Date(n * 1e9) : new Money(n),
        ),
        fn: () => 1,
        sym: Symbol('s'),
        missing: undefined,
        withJson: { toJSON: () => ({ replaced: Array.from({ length: 100 }, (_, n) => n) }) },
        nullProto: Object.assign(Object.create(null), { a: Array.from({ length: 70 }, (_, n) => `${n}`) }),
      },
    },
  ],
  [
    'long lists deeper than the walk',
    {
      a: {
        b: { c: { d: { e: { f: { g: { h: { i: Array.from({ length: 300 }, (_, n) => ({ n })) } } } } } } },
      },
    },
  ],
  [
    'lists of lists',
    { data: Array.from({ length: 100 }, (_, n) => Array.from({ length: 100 }, (_, m) => n * m)) },
  ],
];

describe('an answer as JSON in parts', () => {
  it.each(cases)('joins to JSON.stringify for %s', (_name, value) => {
    const reference = JSON.stringify(value);
    const parts = jsonParts(value);
    expect(parts.length).toBeGreaterThan(0);
    expect(parts.join('')).toBe(reference);
  });

  it('cuts a page of 500 into pieces of regular size, and never joins a page of 50 into one more copy', () => {
    const large = jsonParts(page(500));
    const reference = JSON.stringify(page(500));
    expect(reference.length).toBeGreaterThan(128 * 1024);
    expect(large.length).toBeGreaterThan(5);
    for (const part of large) expect(part.length).toBeLessThan(48 * 1024);
    // A page of 50 is its edges' text whole (one JSON.stringify of the list) between small pieces.
    const small = jsonParts(page(50));
    expect(small).toContain(JSON.stringify(page(50).data.contacts.edges));
    expect(small.join('')).toBe(JSON.stringify(page(50)));
  });
});

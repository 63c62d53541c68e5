import {
  execute,
  type GraphQLError,
  GraphQLID,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  parse,
} from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import { describe, expect, it } from 'vitest';

/**
 * graphql-jit is patched (patches/graphql-jit+0.8.9.patch, applied by `npm install`'s postinstall): a leaf whose
 * value is neither null nor an Error is serialised without building its error's locations, path and indexes, and
 * a list item that is not a promise is handed on without two closures (issue 16: a third of the bytes a page of 50
 * allocated). The patch must change nothing an answer says. The reference here is graphql-js's own executor, over
 * every way a leaf can fail: null where the schema says non-null, an Error as a value, a value its scalar refuses
 * (a built-in and a custom scalar), at the root, in a list, and in lists nested deeper than the patch's fast path
 * takes (8 indexes).
 */

const Strict = new GraphQLScalarType({
  name: 'Strict',
  serialize(value) {
    if (value === 'bad') throw new TypeError('Strict cannot represent "bad"');
    return value;
  },
});

const Item = new GraphQLObjectType({
  name: 'Item',
  fields: {
    id: { type: new GraphQLNonNull(GraphQLID) },
    name: { type: GraphQLString },
    count: { type: GraphQLInt },
    strict: { type: Strict },
    strictRequired: { type: new GraphQLNonNull(Strict) },
  },
});

interface ItemValue {
  id: unknown;
  name?: unknown;
  count?: unknown;
  strict?: unknown;
  strictRequired?: unknown;
}

const good = (n: number): ItemValue => ({
  id: `i${n}`,
  name: `Name ${n}`,
  count: n,
  strict: 'fine',
  strictRequired: 'fine',
});

/** Each item breaks one leaf in one way (or none). */
const items: ItemValue[] = [
  good(0),
  { ...good(1), id: null },
  { ...good(2), name: new Error('name failed') },
  { ...good(3), count: 'not a number' },
  { ...good(4), count: 2 ** 40 },
  { ...good(5), strict: 'bad' },
  { ...good(6), strictRequired: 'bad' },
  { ...good(7), strictRequired: null },
  { ...good(8), name: null, count: null, strict: undefined },
  { ...good(9), id: 9, count: true },
  good(10),
];

/** Lists nested `depth` deep around the items. */
function nest(depth: number): GraphQLList<never> {
  let type = new GraphQLList(Item) as GraphQLList<never>;
  for (let level = 1; level < depth; level++) type = new GraphQLList(type) as GraphQLList<never>;
  return type;
}

function nestedValue(depth: number): unknown {
  let value: unknown = items;
  for (let level = 1; level < depth; level++) value = [value, [], null];
  return value;
}

const schema = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      one: { type: Item, resolve: () => items[3] },
      items: { type: new GraphQLList(Item), resolve: () => items },
      asPromises: { type: new GraphQLList(Item), resolve: () => items.map((item) => Promise.resolve(item)) },
      deep3: { type: nest(3), resolve: () => nestedValue(3) },
      deep10: { type: nest(10), resolve: () => nestedValue(10) },
    },
  }),
});

const LEAVES = '{ id name count strict strictRequired }';
const queries: [string, string][] = [
  ['a single object', `{ one ${LEAVES} }`],
  ['a list', `{ items ${LEAVES} }`],
  ['a list of promises', `{ asPromises ${LEAVES} }`],
  ['lists three deep', `{ deep3 ${LEAVES} }`],
  ['lists ten deep (past the fast path)', `{ deep10 ${LEAVES} }`],
  ['aliases', `{ a: items { x: id y: name z: count } b: one { strictRequired } }`],
];

/** The answer as JSON would carry it: data, and each error's message, path and locations. */
function plain(result: { data?: unknown; errors?: readonly GraphQLError[] }) {
  return JSON.parse(
    JSON.stringify({
      data: result.data,
      errors: (result.errors ?? [])
        .map((e) => ({ message: e.message, path: e.path, locations: e.locations }))
        .sort((a, b) => JSON.stringify(a.path).localeCompare(JSON.stringify(b.path))),
    }),
  ) as unknown;
}

describe('graphql-jit with the leaf patch answers as graphql-js does', () => {
  it('is the patched build (the fast path is in the compiled code)', () => {
    const compiled = compileQuery(schema, parse(`{ items ${LEAVES} }`), undefined, {
      // An option graphql-jit reads but does not declare: keep the generated source on the result.
      debug: true,
    } as Parameters<typeof compileQuery>[3]);
    if (!isCompiledQuery(compiled)) throw new Error('not compiled');
    const source = (compiled as unknown as { __DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation: string })
      .__DO_NOT_USE_THIS_OR_YOU_WILL_BE_FIRED_compilation;
    expect(source).toContain('serializers.StringSerializerFixed(');
    expect(source).toContain('serializers.StrictSerializerFixed(');
    // And the checks with their error details are still there, behind it.
    expect(source).toContain('checkNonNullLeaf(');
    expect(source).toContain('checkNullableLeaf(');
  });

  it.each(queries)('%s', async (_name, query) => {
    const document = parse(query);
    const reference = plain(await execute({ schema, document }));
    const compiled = compileQuery(schema, document);
    if (!isCompiledQuery(compiled)) throw new Error('not compiled');
    const answer = plain((await compiled.query(undefined, {}, {})) as Parameters<typeof plain>[0]);
    expect(answer).toEqual(reference);
    // The cases are real: some leaves failed, some answered.
    const errors = (reference as { errors: unknown[] }).errors;
    expect(errors.length).toBeGreaterThan(0);
    expect(JSON.stringify((reference as { data: unknown }).data)).toMatch(/"(Name \d+|fine)"/);
  });
});

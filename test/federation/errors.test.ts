import net from 'node:net';
import {
  buildClientSchema,
  DirectiveLocation,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  type IntrospectionQuery,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GqlResponse, postGraphQL } from '../../apps/subgraph/test/support/harness.js';
import { type Federation, startFederation } from './support/federation.js';

/**
 * "Errors never carry a submitted value" (DESIGN.md, "Errors"), generated from the schemas the three edges
 * serve (each read by introspection, so a new operation, argument or input field is covered the day it is
 * added): every argument and input field of every query and mutation — nested input objects and list items
 * included — gets a distinctive marker, with wrong types and with right ones (so that the resolvers' own
 * validation runs), as literals, as whole variables and as a variable inside a literal, plus an unknown input
 * field and an unknown argument; every answer of the Custos subgraph, the tickets subgraph and the gateway is
 * searched for the marker (every error, and the raw HTTP body of every answer without data), and refusals are
 * checked for their code, their HTTP status and the position they name.
 */

/** What no answer may contain: the marker and its numeric twin (a value cut short still starts with `zq9`). */
const MARK = 'zq9MARKERzq9';
const MARK_NUMBER = 7_777_123;
const NEEDLES = ['zq9', String(MARK_NUMBER), 'MARKER'];

/** Strings as personal values look, each carrying the marker. */
const STRING_VARIANTS = [
  MARK,
  `${MARK}@example.com`,
  `+1415${MARK}`,
  `1980-12-31 ${MARK}`,
  `${MARK}\u0007bell`,
  `${MARK}\u0000nul`,
  `https://${MARK}.example.com/a?b=c`,
];

class EnumValue {
  constructor(readonly name: string) {}
}
type Value = null | boolean | number | string | EnumValue | Value[] | { [key: string]: Value };

const literal = (value: Value): string => {
  if (value instanceof EnumValue) return value.name;
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{ ${Object.entries(value)
      .map(([key, v]) => `${key}: ${literal(v)}`)
      .join(', ')} }`;
  }
  return JSON.stringify(value);
};

const json = (value: Value): unknown => {
  if (value instanceof EnumValue) return value.name;
  if (Array.isArray(value)) return value.map(json);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, json(v)]));
  }
  return value;
};

/** A value of the right GraphQL type, marked wherever the type can hold the marker. */
function right(type: GraphQLInputType, counter: { n: number; id?: string }, depth = 0): Value {
  const nullable = getNullableType(type);
  if (isListType(nullable)) return [right(nullable.ofType, counter, depth)];
  if (isInputObjectType(nullable)) {
    const object: Record<string, Value> = {};
    for (const field of Object.values(nullable.getFields())) {
      // Deep in a recursive input type only what is required, so that every value stays finite.
      if (depth < 3 || isNonNullType(field.type)) object[field.name] = right(field.type, counter, depth + 1);
    }
    return object;
  }
  if (isEnumType(nullable)) return new EnumValue(nullable.getValues()[0]!.name);
  switch (nullable.name) {
    case 'Int':
      // Small: a page size the gateway's cost model takes literally (the marked numbers are the wrong values).
      return 2;
    case 'Float':
      return MARK_NUMBER + 0.5;
    case 'Boolean':
      return true;
    case 'ID':
      // A real contact's id lets a write get past its lookup to the validation of everything else.
      if (counter.id) return counter.id;
      return counter.n++ % 2 ? MARK : `00000000-0000-4000-8000-${MARK}`;
    case 'Date':
      return '1980-12-31';
    case 'DateTime':
      return '2026-01-31T12:00:00Z';
    case '_Any':
      return { __typename: 'Contact', id: counter.id ?? MARK };
    default:
      return STRING_VARIANTS[counter.n++ % STRING_VARIANTS.length]!;
  }
}

/** Values of the wrong type for a position (none where the type takes anything, like `_Any`). */
function wrongs(type: GraphQLInputType, counter: { n: number }): { label: string; value: Value }[] {
  const cases: { label: string; value: Value }[] = isNonNullType(type)
    ? [{ label: 'null', value: null }]
    : [];
  const nullable = getNullableType(type);
  if (isListType(nullable)) return cases; // a single value is a list of one: its items are checked instead
  if (isInputObjectType(nullable)) {
    const object = right(nullable, counter) as Record<string, Value>;
    return [
      ...cases,
      { label: 'string for an object', value: MARK },
      { label: 'unknown field', value: { ...object, zzUnknownField: `${MARK}@example.com` } },
    ];
  }
  if (isEnumType(nullable)) {
    return [
      ...cases,
      { label: 'unknown enum value', value: new EnumValue(MARK) },
      { label: 'string for an enum', value: `${MARK}@example.com` },
    ];
  }
  const byScalar: Record<string, Value[]> = {
    Int: [MARK, String(MARK_NUMBER)],
    Float: [`${MARK}@example.com`, String(MARK_NUMBER)],
    Boolean: [MARK, MARK_NUMBER],
    String: [{ zq: MARK }, MARK_NUMBER],
    ID: [{ zq: `${MARK}@example.com` }, MARK_NUMBER + 0.5],
    Date: [`31/12/${MARK}`, MARK_NUMBER],
    DateTime: [`${MARK}T12:00:00Z`, { zq: MARK }],
  };
  return [
    ...cases,
    ...(byScalar[nullable.name] ?? []).map((value) => ({ label: `wrong ${nullable.name}`, value })),
  ];
}

type Path = (string | number)[];

/** Every position inside an argument: the argument itself, input fields and list items, to depth 3. */
/** How deep the schema's inputs nest at most (arguments are level 0). */
const MAX_INPUT_DEPTH = 6;

function* positions(
  type: GraphQLInputType,
  path: Path,
  depth = 0,
): Generator<{ path: Path; type: GraphQLInputType }> {
  yield { path, type };
  const nullable = getNullableType(type);
  // Every position is walked: an input nesting deeper than this (or a recursive input) fails the test rather than
  // slipping past it.
  if (depth >= MAX_INPUT_DEPTH && (isListType(nullable) || isInputObjectType(nullable))) {
    throw new Error(
      `an input nests deeper than ${MAX_INPUT_DEPTH} levels at ${path.join('.')}: raise MAX_INPUT_DEPTH`,
    );
  }
  if (isListType(nullable)) yield* positions(nullable.ofType, [...path, 0], depth + 1);
  if (isInputObjectType(nullable)) {
    for (const field of Object.values(nullable.getFields())) {
      yield* positions(field.type, [...path, field.name], depth + 1);
    }
  }
}

function setAt(value: Value, path: Path, replacement: Value): Value {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string | number, ...Path];
  if (Array.isArray(value)) {
    const copy = [...value];
    copy[head as number] = setAt(copy[head as number] ?? null, rest, replacement);
    return copy;
  }
  const object = { ...(value as Record<string, Value>) };
  object[head as string] = setAt(object[head as string] ?? null, rest, replacement);
  return object;
}

/** Independent of the code under test: how a position is written in a message, `input.items[0].name`. */
const printPath = (path: Path) =>
  path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('');

const selection = (type: GraphQLNamedType) => (isLeafType(type) ? '' : ' { __typename }');

interface Operation {
  readonly kind: 'query' | 'mutation';
  /** The type that holds the field: a root type, or an object type reached from the query root. */
  readonly root: string;
  readonly field: GraphQLField<unknown, unknown>;
  /** For a field below the root: the selections that lead to it. */
  readonly wrap?: (call: string) => string;
}

function operations(schema: GraphQLSchema): Operation[] {
  const result: Operation[] = [];
  for (const [kind, type] of [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ] as const) {
    for (const field of Object.values(type?.getFields() ?? {})) {
      if (!field.name.startsWith('__')) result.push({ kind, root: type!.name, field });
    }
  }
  return result;
}

/**
 * Every field with arguments below the query root, each reached by the shortest path of selections (required
 * arguments filled in, inline fragments into unions): their arguments are refused at validation whatever the
 * data, so that a wrong value anywhere in a document is covered, not only at the root.
 */
function nestedOperations(schema: GraphQLSchema): Operation[] {
  const query = schema.getQueryType()!;
  const counter = { n: 0 };
  const paths = new Map<string, string[]>([[query.name, []]]);
  const queue: [GraphQLObjectType, string[]][] = [[query, []]];
  while (queue.length) {
    const [type, path] = queue.shift()!;
    for (const field of Object.values(type.getFields())) {
      if (field.name.startsWith('__')) continue;
      const required = field.args.filter((a) => isNonNullType(a.type));
      const args = required.map((a) => `${a.name}: ${literal(right(a.type, counter))}`);
      const open = args.length ? `${field.name}(${args.join(', ')})` : field.name;
      const named = getNamedType(field.type);
      const targets: [GraphQLObjectType, string[]][] = isObjectType(named)
        ? [[named, [...path, open]]]
        : isAbstractType(named)
          ? schema.getPossibleTypes(named).map((t) => [t, [...path, open, `... on ${t.name}`]])
          : [];
      for (const [target, steps] of targets) {
        if (paths.has(target.name)) continue;
        paths.set(target.name, steps);
        queue.push([target, steps]);
      }
    }
  }
  const result: Operation[] = [];
  for (const [name, steps] of paths) {
    if (name === query.name) continue;
    for (const field of Object.values((schema.getType(name) as GraphQLObjectType).getFields())) {
      if (!field.args.length) continue;
      const wrap = (call: string) => steps.reduceRight((inner, open) => `${open} { ${inner} }`, call);
      result.push({ kind: 'query', root: name, field, wrap });
    }
  }
  return result;
}

interface Case {
  readonly description: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  /** Refused before execution: BAD_USER_INPUT or the validation code, HTTP 400, naming these texts. */
  readonly refusal?: { readonly code: string; readonly names: readonly string[] };
}

/** The document for `op` with the given arguments: each as a literal, or as a variable of its declared type. */
function document(
  op: Operation,
  args: { arg: GraphQLArgument; value: Value; as: 'literal' | 'variable' | 'default' }[],
  extra = '',
  nested?: { name: string; type: GraphQLInputType },
): { query: string; variables: Record<string, unknown> } {
  const variables: Record<string, unknown> = {};
  const definitions: string[] = nested ? [`$${nested.name}: ${String(nested.type)}`] : [];
  const written = args.map(({ arg, value, as }) => {
    if (as === 'literal') return `${arg.name}: ${literal(value)}`;
    if (as === 'default') {
      // The value as the variable's default, and no variable sent.
      definitions.push(`$v_${arg.name}: ${String(getNullableType(arg.type))} = ${literal(value)}`);
      return `${arg.name}: $v_${arg.name}`;
    }
    definitions.push(`$v_${arg.name}: ${String(arg.type)}`);
    variables[`v_${arg.name}`] = json(value);
    return `${arg.name}: $v_${arg.name}`;
  });
  const argumentList = [...written, ...(extra ? [extra] : [])];
  const head = definitions.length ? `${op.kind} Probe(${definitions.join(', ')})` : `${op.kind} Probe`;
  const call = argumentList.length ? `${op.field.name}(${argumentList.join(', ')})` : op.field.name;
  const field = `${call}${selection(getNamedType(op.field.type))}`;
  return { query: `${head} { ${op.wrap ? op.wrap(field) : field} }`, variables };
}

/** Every case for one schema: right types, wrong types at every position, unknown field and argument. */
function casesFor(schema: GraphQLSchema, contactId: string): Case[] {
  const cases: Case[] = [];
  const counter = { n: 0 };
  for (const op of [...operations(schema), ...nestedOperations(schema)]) {
    const name = `${op.root}.${op.field.name}`;
    const rights = op.field.args.map((arg) => ({ arg, value: right(arg.type, counter) }));
    // Right types once per string variant, each shifted by one, so that every string position gets every variant.
    for (let shift = 0; shift < 2 * STRING_VARIANTS.length; shift++) {
      const shifted = { n: shift, ...(shift >= STRING_VARIANTS.length ? { id: contactId } : {}) };
      const values = op.field.args.map((arg) => ({
        arg,
        value: right(arg.type, shifted),
        as: 'literal' as const,
      }));
      const as = shift % 2 ? 'variable' : 'literal';
      cases.push({
        description: `${name}: right types ${shift} (${as})`,
        ...document(
          op,
          values.map((v) => ({ ...v, as })),
        ),
      });
    }
    for (const as of ['literal', 'variable'] as const) {
      const all = rights.map((r) => ({ ...r, as }));
      cases.push({
        description: `${name}: unknown argument (${as})`,
        ...document(op, all, `zzUnknownArgument: ${JSON.stringify(`${MARK}@example.com`)}`),
        refusal: { code: 'GRAPHQL_VALIDATION_FAILED', names: ['"zzUnknownArgument"'] },
      });
    }
    for (const [index, { arg }] of rights.entries()) {
      for (const position of positions(arg.type, [arg.name])) {
        for (const wrong of wrongs(position.type, counter)) {
          const unknown = wrong.label === 'unknown field' ? ['"zzUnknownField"'] : [];
          // Where the refused value sits: the argument (or variable) and, inside it, the input field or item.
          const at = (path: Path) => (path.length > 1 ? [`at "${printPath(path)}"`] : []);
          const replaced = setAt(rights[index]!.value, position.path.slice(1), wrong.value);
          const withWrong = (as: 'literal' | 'variable' | 'default') =>
            rights.map((r, i) => ({ ...r, value: i === index ? replaced : r.value, as }));
          const variablePath = [`v_${arg.name}`, ...position.path.slice(1)];
          cases.push({
            description: `${name}: ${wrong.label} at ${printPath(position.path)} (literal)`,
            ...document(op, withWrong('literal')),
            refusal: {
              code: 'BAD_USER_INPUT',
              names: [`Argument "${arg.name}" of "${name}"`, ...at(position.path), ...unknown],
            },
          });
          cases.push({
            description: `${name}: ${wrong.label} at ${printPath(position.path)} (variable)`,
            ...document(op, withWrong('variable')),
            refusal: {
              code: 'BAD_USER_INPUT',
              names: [`Variable "$v_${arg.name}"`, ...at(variablePath), ...unknown],
            },
          });
          if (wrong.value !== null) {
            const defaults = withWrong('literal').map((a, i) =>
              i === index ? { ...a, as: 'default' as const } : a,
            );
            cases.push({
              description: `${name}: ${wrong.label} at ${printPath(position.path)} (default value)`,
              ...document(op, defaults),
              refusal: {
                code: 'BAD_USER_INPUT',
                names: [`Default value of variable "$v_${arg.name}"`, ...at(variablePath), ...unknown],
              },
            });
          }
          if (position.path.length > 1) {
            // The reported case: `input: { birthDate: $d }`, the value in a variable inside a literal.
            const inner = setAt(rights[index]!.value, position.path.slice(1), new EnumValue('$inner'));
            const args = rights.map((r, i) => ({
              ...r,
              value: i === index ? inner : r.value,
              as: 'literal' as const,
            }));
            const built = document(op, args, '', { name: 'inner', type: position.type });
            cases.push({
              description: `${name}: ${wrong.label} at ${printPath(position.path)} (variable in a literal)`,
              query: built.query,
              variables: { inner: json(wrong.value) },
              refusal: { code: 'BAD_USER_INPUT', names: ['Variable "$inner"', ...unknown] },
            });
          }
        }
      }
    }
  }
  // Directive arguments (`@include(if:)`, `@skip(if:)` and any other a field may carry).
  for (const directive of schema.getDirectives()) {
    if (!directive.locations.includes(DirectiveLocation.FIELD)) continue;
    for (const arg of directive.args) {
      const others = directive.args
        .filter((a) => a !== arg && isNonNullType(a.type))
        .map((a) => `, ${a.name}: ${literal(right(a.type, counter))}`)
        .join('');
      for (const wrong of wrongs(arg.type, counter)) {
        const where = `@${directive.name}(${arg.name})`;
        cases.push({
          description: `${where}: ${wrong.label} (literal)`,
          query: `query Probe { __typename @${directive.name}(${arg.name}: ${literal(wrong.value)}${others}) }`,
          refusal: {
            code: 'BAD_USER_INPUT',
            names: [`Argument "${arg.name}" of directive "@${directive.name}"`],
          },
        });
        cases.push({
          description: `${where}: ${wrong.label} (variable)`,
          query: `query Probe($v: ${String(arg.type)}) { __typename @${directive.name}(${arg.name}: $v${others}) }`,
          variables: { v: json(wrong.value) },
          refusal: { code: 'BAD_USER_INPUT', names: ['Variable "$v"'] },
        });
      }
    }
  }
  return cases;
}

/** Documents that do not parse, each with the marker inside a literal. */
const SYNTAX_ERRORS = [
  `{ contact(id: "${MARK}@example.com) { id } }`,
  `{ contact(id: "${MARK}" "${MARK}@example.com") { id } }`,
  `{ contact(id: "\\u${MARK}") { id } }`,
  `{ contact(id: "\\x${MARK}") { id } }`,
  `{ contact(id: ${MARK}@example.com) { id } }`,
  `{ contacts(filter: { search: '${MARK}' }) { totalCount } }`,
  `{ contacts(first: 0${MARK_NUMBER}) { totalCount } }`,
  `{ contacts(first: ${MARK_NUMBER}.${MARK}) { totalCount } }`,
  `{ contacts(first: 1 { totalCount "${MARK}" } }`,
  `{ contact(id: """${MARK}`,
];

/**
 * A document whose literals hold the marker, cut after each of its characters: a parse error at every kind of
 * token (inside a string, a block string, a number, a name, between them), each checked like the ones above.
 */
const MARKED_DOCUMENT =
  `query Q($a: String = "${MARK}@example.com", $n: Float = ${MARK_NUMBER}.5) ` +
  `{ contacts(first: 2, filter: { search: "+1415${MARK}", country: "${MARK}" }) { totalCount } ` +
  `contact(id: """${MARK}""") { id } }`;
const TRUNCATED = Array.from({ length: MARKED_DOCUMENT.length - 1 }, (_, i) =>
  MARKED_DOCUMENT.slice(0, i + 1),
).filter((text) => text.trim().length > 0);

const contains = (text: string) => NEEDLES.find((needle) => text.includes(needle));

let federation: Federation;
let token: string;
const edges: Record<'custos' | 'tickets' | 'gateway', { url: string; schema: GraphQLSchema }> = {} as never;

beforeAll(async () => {
  federation = await startFederation({ seedContacts: 5, tickets: true });
  // Compliance may run nearly every operation, so that the resolvers' own validation runs.
  token = await federation.custos.token(['privacy_officer'], 'errors-probe');
  const urls = {
    custos: federation.custos.graphqlUrl,
    tickets: `${federation.tickets!.url}/graphql`,
    gateway: `${federation.gateway.url}/graphql`,
  };
  // The gateway's limits count the standard introspection query deeper than 15: a second gateway over the same
  // supergraph, with room for it, reads the schema the first one serves.
  const reader = await federation.startGateway({ MAX_QUERY_DEPTH: '30', MAX_QUERY_COST: '10000000' });
  const introspection = { ...urls, gateway: `${reader.url}/graphql` };
  for (const [name, url] of Object.entries(urls) as [keyof typeof urls, string][]) {
    const res = await postGraphQL<IntrospectionQuery>(introspection[name], getIntrospectionQuery(), {
      token,
      purpose: 'compliance',
    });
    expect(res.status, `${name} ${res.text.slice(0, 300)}`).toBe(200);
    edges[name] = { url, schema: buildClientSchema(res.body.data!) };
  }
});

afterAll(async () => {
  await federation?.close();
});

async function run(
  url: string,
  cases: readonly Case[],
): Promise<{ failures: string[]; answers: GqlResponse[] }> {
  const failures: string[] = [];
  const answers: GqlResponse[] = [];
  for (let i = 0; i < cases.length; i += 4) {
    const batch = cases.slice(i, i + 4);
    const results = await Promise.all(
      batch.map((c) =>
        postGraphQL(url, c.query, {
          token,
          purpose: 'compliance',
          ...(c.variables ? { variables: c.variables } : {}),
        }),
      ),
    );
    for (const [j, res] of results.entries()) {
      const c = batch[j]!;
      answers.push(res);
      const fail = (why: string) =>
        failures.push(`${c.description}: ${why} — ${res.status} ${res.text.slice(0, 300)}`);
      const errors = res.body.errors ?? [];
      const leaked = contains(JSON.stringify(errors)) ?? (res.body.data ? undefined : contains(res.text));
      if (leaked) fail(`answer holds "${leaked}"`);
      if (errors.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR')) fail('internal error');
      if (c.refusal) {
        if (res.status !== 400) fail('status is not 400');
        if (res.body.data !== undefined) fail('refused with data');
        if (errors.length === 0 || errors.some((e) => e.extensions?.code !== c.refusal!.code))
          fail(`code is not ${c.refusal.code}`);
        for (const name of c.refusal.names) {
          if (!errors.some((e) => e.message.includes(name))) fail(`no message names ${name}`);
        }
      } else if (res.status !== 200) {
        fail('a valid document is not answered 200');
      }
    }
  }
  return { failures, answers };
}

describe.each(['custos', 'tickets', 'gateway'] as const)(
  'errors at %s never carry a submitted value',
  (edge) => {
    it('for every argument and input field of every operation, wrong and right types, literals and variables', async () => {
      const { url, schema } = edges[edge];
      const [contact] = await federation.custos.sql<{ id: string }>(
        'select id from contact order by id limit 1',
      );
      const cases = casesFor(schema, contact!.id);
      // The generator reaches what it must: every operation, nested input fields, the reported case.
      const ops = operations(schema);
      expect(ops.length).toBeGreaterThan(edge === 'tickets' ? 2 : 20);
      for (const op of ops) {
        expect(
          cases.some((c) => c.description.startsWith(`${op.root}.${op.field.name}: right types 0`)),
        ).toBe(true);
      }
      if (edge !== 'tickets') {
        expect(cases.map((c) => c.description)).toContain(
          'Mutation.updateContact: wrong Date at input.birthDate (variable in a literal)',
        );
      }
      const refusals = cases.filter((c) => c.refusal).length;
      expect(refusals).toBeGreaterThan(edge === 'tickets' ? 20 : 300);
      const { failures, answers } = await run(url, cases);
      expect(failures).toEqual([]);
      // Right-typed values did reach the resolvers: some were refused by their validation, with the contract's code.
      const resolverRefusals = answers.filter(
        (a) => a.status === 200 && a.body.errors?.some((e) => e.extensions?.code === 'BAD_USER_INPUT'),
      );
      expect(resolverRefusals.length).toBeGreaterThan(edge === 'tickets' ? 0 : 10);
    });

    it('for syntax errors, whatever the literal holds', async () => {
      const { url } = edges[edge];
      expect(TRUNCATED.length).toBeGreaterThan(150);
      for (const query of [...SYNTAX_ERRORS, ...TRUNCATED]) {
        const res = await postGraphQL(url, query, { token, purpose: 'compliance' });
        expect(res.status, query).toBe(400);
        expect(res.body.errors?.[0]?.extensions?.code, query).toBe('GRAPHQL_PARSE_FAILED');
        expect(res.body.errors?.[0]?.message, query).toMatch(/^Syntax Error: /);
        // Where the document broke, by line and column: the one thing a syntax error may point at.
        const [error] = (JSON.parse(res.text) as { errors: { locations?: unknown[] }[] }).errors;
        expect(error?.locations?.length, query).toBe(1);
        expect(contains(res.text), `${query} → ${res.text}`).toBeUndefined();
      }
    });

    it('for request bodies that are not GraphQL requests', async () => {
      const { url } = edges[edge];
      const bodies = [
        `{"query": "{ contact(id: \\"${MARK}\\") { id } }", "variables": "${MARK}@example.com"}`,
        `{"query": "{ contact(id: \\"${MARK}\\") { id } }"`,
        `{"query": ["${MARK}"]}`,
        `{"query": "query Q($a: ID!) { contact(id: $a) { id } }", "variables": {"a": "${MARK}"}, "operationName": 7}`,
        `{"query": "query A { __typename } query B { __typename }", "operationName": "${MARK}@example.com"}`,
        `{"query": "query A { __typename } query B { __typename }", "operationName": "${MARK}"}`,
        `{"query": "query A { __typename } query B { __typename }"}`,
      ];
      for (const body of bodies) {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
            'x-purpose': 'compliance',
          },
          body,
        });
        const text = await res.text();
        expect(res.status, `${body} → ${text}`).toBe(400);
        expect(contains(text), `${body} → ${text}`).toBeUndefined();
      }
      // The same over GET, where everything travels in the URL.
      const gets: Record<string, string>[] = [
        { query: `{ contact(id: "${MARK}@example.com) { id } }` },
        { query: 'query Q($n: Int) { contacts(first: $n) { totalCount } }', variables: `{"n": "${MARK}"}` },
        { query: 'query Q($n: Int) { contacts(first: $n) { totalCount } }', variables: `{"n": "${MARK}"` },
        { query: `{ contacts(filter: { search: ${MARK_NUMBER} }) { totalCount } }` },
      ];
      for (const params of gets) {
        const res = await fetch(`${url}?${new URLSearchParams(params)}`, {
          headers: {
            authorization: `Bearer ${token}`,
            'x-purpose': 'compliance',
            'apollo-require-preflight': '1',
          },
        });
        const text = await res.text();
        expect(res.status, `GET ${JSON.stringify(params)} → ${text}`).toBe(400);
        expect(contains(text), `GET ${JSON.stringify(params)} → ${text}`).toBeUndefined();
      }
    });
  },
);

describe('the reported cases', () => {
  it('answer the same at the subgraph and the gateway: the position and the rule, BAD_USER_INPUT, HTTP 400', async () => {
    const [row] = await federation.custos.sql<{ id: string }>('select id from contact limit 1');
    const state = `select birth_date::text, updated_at::text from contact where id = $1`;
    const [before] = await federation.custos.sql(state, [row!.id]);
    const cases = [
      {
        query: 'mutation M($id: ID!, $d: Date) { updateContact(id: $id, input: { birthDate: $d }) { id } }',
        variables: { id: row!.id, d: '31/12/1980' },
        message:
          'Variable "$d" has an invalid value: expected "Date": a calendar date in the form YYYY-MM-DD.',
      },
      {
        query: 'mutation M($id: ID!) { updateContact(id: $id, input: { birthDate: "31/12/1980" }) { id } }',
        variables: { id: row!.id },
        message:
          'Argument "input" of "Mutation.updateContact" at "input.birthDate" has an invalid value: expected "Date": a calendar date in the form YYYY-MM-DD.',
      },
      {
        query: 'mutation M($id: ID!, $i: UpdateContactInput!) { updateContact(id: $id, input: $i) { id } }',
        variables: { id: row!.id, i: { birthdate: '1980-12-31' } },
        message: 'Variable "$i": field "birthdate" is not defined by type "UpdateContactInput".',
      },
      {
        query: 'mutation M($id: ID!) { updateContact(id: $id, input: { birthdate: "1980-12-31" }) { id } }',
        variables: { id: row!.id },
        message:
          'Argument "input" of "Mutation.updateContact": field "birthdate" is not defined by type "UpdateContactInput".',
      },
    ];
    for (const edge of ['custos', 'gateway'] as const) {
      for (const c of cases) {
        const res = await postGraphQL(edges[edge].url, c.query, {
          token,
          purpose: 'compliance',
          variables: c.variables,
        });
        expect(res.status, `${edge} ${c.query}`).toBe(400);
        expect(res.body.data, `${edge} ${c.query}`).toBeUndefined();
        expect(
          res.body.errors?.map((e) => [e.message, e.extensions?.code]),
          `${edge} ${c.query}`,
        ).toEqual([[c.message, 'BAD_USER_INPUT']]);
        expect(res.text).not.toContain('1980');
      }
    }
    // Nothing was written: the contact is as it was.
    expect(await federation.custos.sql(state, [row!.id])).toEqual([before]);
  });
});

describe('the data-subject endpoint', () => {
  it('never echoes a submitted value either (each field wrong, marked, and an unknown one)', async () => {
    const valid = {
      email: `${MARK}@example.com`,
      purpose: 'marketing',
      status: 'GRANTED',
      noticeVersion: '2026-01',
      source: `https://${MARK}.example.com/form`,
    };
    const bodies: Record<string, unknown>[] = [valid, { ...valid, zzUnknownField: MARK }];
    for (const field of Object.keys(valid)) {
      for (const value of [{ zq: MARK }, MARK_NUMBER, `${MARK}\u0000`, MARK])
        bodies.push({ ...valid, [field]: value });
    }
    // Within the endpoint's rate limit (30 a minute by default): every answer is a real one.
    expect(bodies.length).toBeLessThan(30);
    const statuses = new Set<number>();
    for (const body of bodies) {
      const res = await fetch(`${federation.custos.baseUrl}/public/consent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      statuses.add(res.status);
      expect([202, 400], `${JSON.stringify(body)} → ${text}`).toContain(res.status);
      expect(contains(text), `${JSON.stringify(body)} → ${text}`).toBeUndefined();
    }
    // Both ways: accepted requests and refused ones were answered.
    expect([...statuses].sort()).toEqual([202, 400]);
  });
});

/** The first line of the answer to a request that sends its headers only, announcing a body with `Expect`. */
function firstLine(url: string, length: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = '';
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error('no answer'));
    });
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(received.slice(0, end));
      }
    });
    socket.write(
      `POST /graphql HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
        `Authorization: Bearer ${token}\r\nX-Purpose: compliance\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`,
    );
  });
}

describe('a body declared larger than the limit', () => {
  // The default MAX_BODY_BYTES (1 MiB) at both edges.
  const limit = 1_048_576;
  it.each(['custos', 'tickets', 'gateway'] as const)(
    'is refused with 413 before 100 Continue at %s',
    async (edge) => {
      expect(await firstLine(edges[edge].url, limit + 1)).toBe('HTTP/1.1 413 Payload Too Large');
      // Within the limit, the client is invited to send the body.
      expect(await firstLine(edges[edge].url, limit)).toBe('HTTP/1.1 100 Continue');
    },
  );
});

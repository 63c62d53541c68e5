import {
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type FragmentSpreadNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLFormattedError,
  GraphQLIncludeDirective,
  type GraphQLNamedType,
  type GraphQLSchema,
  GraphQLSkipDirective,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  type InlineFragmentNode,
  isInterfaceType,
  isIntrospectionType,
  isListType,
  isObjectType,
  Kind,
  Lexer,
  type OperationDefinitionNode,
  type ParseOptions,
  SchemaMetaFieldDef,
  type SelectionSetNode,
  Source,
  TokenKind,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type ValidationContext,
  type ValidationRule,
  valueFromAST,
} from 'graphql';
import { DEFAULT_PAGE, MAX_PAGE } from './pagination.js';
import { PublicError } from './public-errors.js';

/**
 * Document-level query limits (DESIGN.md, "HTTP and identity": a query too deep, too costly, with too many
 * aliases or tokens is refused before execution, HTTP 400, with a code naming the limit). They hold for the whole
 * document — every operation and fragment, `_entities` included — because they run where Apollo Server parses and
 * validates, before graphql-jit compiles or executes anything (the Pothos complexity plugin would not see
 * `_entities`).
 */
export interface QueryLimits {
  /** Deepest nesting of fields, the root field being 1; fragments and inline fragments add no level. */
  readonly maxDepth: number;
  /** Aliased fields in the whole document. */
  readonly maxAliases: number;
  /** Lexer tokens of the document (punctuation, names, values; comments are not tokens). */
  readonly maxTokens: number;
  /** Cost of a request, its variables' values included, see {@link queryCost}. */
  readonly maxCost: number;
}

/**
 * Safe defaults, each with room above every query the tests, the bench and the console send:
 * - depth 15: the standard introspection query (graphql-js `getIntrospectionQuery`, used by GraphiQL, Sandbox and
 *   codegen while introspection is on in development) is 15 deep; the deepest useful data query (contacts →
 *   company → contacts → interactions → contact) about 13;
 * - aliases 30: a client comparing a few lists side by side, not one field fetched a hundred times;
 * - tokens 1,000 (graphql-armor's and Hive Gateway's default): the introspection query has 163, a federated
 *   `_entities` fetch a few dozen. The limit also bounds graphql-js's own validation, which is quadratic in
 *   repeated fields (OverlappingFieldsCanBeMerged): measured here, `contacts { totalCount }` repeated to 4,000
 *   tokens takes about 1 s of CPU to validate, repeated to 800 tokens about 40 ms;
 * - cost 50,000: the bench's page of 500 contacts (seven fields and cursors) costs 4,505, a tenth of it; a page
 *   of 50 inside a page of 50 costs a few thousand; a page of 500 inside a page of 500 (250,000 rows) is
 *   refused.
 */
export const DEFAULT_LIMITS: QueryLimits = {
  maxDepth: 15,
  maxAliases: 30,
  maxTokens: 1000,
  maxCost: 50_000,
};

export const LIMIT_CODES = {
  depth: 'QUERY_TOO_DEEP',
  aliases: 'TOO_MANY_ALIASES',
  tokens: 'TOO_MANY_TOKENS',
  cost: 'QUERY_TOO_COSTLY',
} as const;

export type LimitCode = (typeof LIMIT_CODES)[keyof typeof LIMIT_CODES];

/**
 * A refusal. Its message names the limit and the maximum, never a part of the query. Apollo Server wraps
 * validation errors in its own `GRAPHQL_VALIDATION_FAILED` (HTTP 400) and keeps this error as `originalError`;
 * {@link formatLimitError} puts the limit's code back.
 */
export class QueryLimitError extends PublicError {
  constructor(
    readonly code: LimitCode,
    message: string,
    readonly maximum: number,
  ) {
    super(message, { extensions: { code, maximum, http: { status: 400 } } });
    this.name = 'QueryLimitError';
  }
}

const tooDeep = (maximum: number, depth?: number) =>
  new QueryLimitError(
    LIMIT_CODES.depth,
    depth === undefined
      ? `Query is nested too deeply to parse; the maximum depth is ${maximum}`
      : `Query depth ${depth} exceeds the maximum of ${maximum}`,
    maximum,
  );
const tooManyAliases = (maximum: number, aliases: number) =>
  new QueryLimitError(
    LIMIT_CODES.aliases,
    `Query has ${aliases} aliases, more than the maximum of ${maximum}`,
    maximum,
  );
const tooManyTokens = (maximum: number) =>
  new QueryLimitError(LIMIT_CODES.tokens, `Query has more tokens than the maximum of ${maximum}`, maximum);
// The cost depends on the variables' values: the message names the maximum only.
const tooCostly = (maximum: number) =>
  new QueryLimitError(LIMIT_CODES.cost, `Query cost exceeds the maximum of ${maximum}`, maximum);

// ---------------------------------------------------------------------------------------------------------------
// Measures
// ---------------------------------------------------------------------------------------------------------------

const fragmentsOf = (document: DocumentNode): Map<string, FragmentDefinitionNode> =>
  new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );

const operationsOf = (document: DocumentNode): OperationDefinitionNode[] =>
  document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);

/**
 * Tokens of a document as graphql-js's parser counts them for `maxTokens` (every token but `<EOF>`; comments
 * are not tokens). Stops counting once past `stopAfter`.
 */
export function countTokens(source: string | Source, stopAfter = Number.POSITIVE_INFINITY): number {
  const lexer = new Lexer(typeof source === 'string' ? new Source(source) : source);
  let count = 0;
  while (lexer.advance().kind !== TokenKind.EOF && count <= stopAfter) count += 1;
  return count;
}

/**
 * The deepest field nesting of any operation: a field is one level more than the field it is selected in, the
 * root fields being 1; inline fragments and fragment spreads add nothing. Introspection fields count like any
 * other. Each fragment's depth is computed once; a fragment cycle (refused by graphql's own rules) counts 0.
 */
export function queryDepth(document: DocumentNode): number {
  const fragments = fragmentsOf(document);
  const known = new Map<string, number>();
  const inProgress = new Set<string>();
  const fragmentDepth = (name: string): number => {
    const memo = known.get(name);
    if (memo !== undefined) return memo;
    const fragment = fragments.get(name);
    if (!fragment || inProgress.has(name)) return 0;
    inProgress.add(name);
    const depth = depthOf(fragment.selectionSet);
    inProgress.delete(name);
    known.set(name, depth);
    return depth;
  };
  const depthOf = (set: SelectionSetNode | undefined): number => {
    if (!set) return 0;
    let max = 0;
    for (const selection of set.selections) {
      const depth =
        selection.kind === Kind.FIELD
          ? 1 + depthOf(selection.selectionSet)
          : selection.kind === Kind.INLINE_FRAGMENT
            ? depthOf(selection.selectionSet)
            : fragmentDepth(selection.name.value);
      if (depth > max) max = depth;
    }
    return max;
  };
  return Math.max(0, ...operationsOf(document).map((operation) => depthOf(operation.selectionSet)));
}

/** Aliased fields in the whole document, operations and fragments alike (each written alias once). */
export function aliasCount(document: DocumentNode): number {
  let count = 0;
  const walk = (set: SelectionSetNode | undefined): void => {
    if (!set) return;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD && selection.alias) count += 1;
      if (selection.kind !== Kind.FRAGMENT_SPREAD) walk(selection.selectionSet);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) {
      walk(definition.selectionSet);
    }
  }
  return count;
}

/** The field a selection names on `parent`, meta fields included; undefined when the document is invalid. */
function fieldDefinition(
  schema: GraphQLSchema,
  parent: GraphQLNamedType | undefined,
  name: string,
): GraphQLField<unknown, unknown> | undefined {
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (parent && parent === schema.getQueryType()) {
    if (name === SchemaMetaFieldDef.name) return SchemaMetaFieldDef;
    if (name === TypeMetaFieldDef.name) return TypeMetaFieldDef;
  }
  if (parent && (isObjectType(parent) || isInterfaceType(parent))) return parent.getFields()[name];
  return undefined;
}

/** Which operation a request runs and its variables as the client sent them (JSON), for {@link queryCost}. */
export interface CostRequest {
  readonly operationName?: string | null;
  readonly variables?: Readonly<Record<string, unknown>> | null;
}

/** A value that only the request's variables could tell, when they do not coerce: the worst case counts. */
const UNKNOWN = Symbol('unknown');

/**
 * The work one request asks for, computed before execution from the document and the request's own variables,
 * coerced as execution coerces them (graphql-js `getVariableValues`: a variable left out takes its declared
 * default, one without a default leaves the argument to its own default). The same function prices a request
 * at the subgraphs (Apollo Server's `didResolveOperation`, `costLimitPlugin` in packages/server) and at the gateway (its
 * runtime's `onExecute` and its direct path): one model behind `MAX_QUERY_COST`.
 *
 * Why this model rather than a library (checked Dec 2026): graphql-armor's cost-limit reads neither arguments
 * nor variables (a fixed cost per object and scalar, growing with depth), so `first: 500` and `first: 1` cost
 * the same; graphql-query-complexity coerces arguments with the variables, but an estimator sees only its own
 * field's arguments and the sum of its children, so a connection's `first` could only multiply the whole
 * connection (`totalCount` and `pageInfo` as if once per row) — the page-size model below could not be kept.
 *
 * - Every field costs 1 for each object it is selected on; `@skip`/`@include` are honoured as execution
 *   honours them.
 * - A field with a `first` argument (a connection such as `contacts`, `Company.contacts`,
 *   `Contact.interactions`, or a list such as `Contact.tickets`) sets the page size of its list fields
 *   (`edges`, `nodes`, or itself): the coerced `first`, the argument's default when omitted, 50 when null (as
 *   the resolvers' `pageSize` reads it); at least 0 and at most 500, the largest page the API serves.
 * - `_entities` counts one object per representation it is given (a literal list or a variable's value).
 * - Introspection lists count 1 (they are bounded by the schema, not by data; introspection is off in
 *   production and its nesting is bounded by the depth limit); any other list without a page size counts 50.
 * - Variables that do not coerce (execution refuses them anyway): every page they set counts 500, every
 *   `_entities` call 500 representations, every `@skip`/`@include` includes.
 *
 * The operation the request names counts; when it names none that exists (execution refuses it), the
 * costliest of the document.
 */
export function queryCost(schema: GraphQLSchema, document: DocumentNode, request: CostRequest = {}): number {
  const fragments = fragmentsOf(document);
  const chosen = getOperationAST(document, request.operationName);
  let max = 0;
  for (const operation of chosen ? [chosen] : operationsOf(document)) {
    const root =
      operation.operation === 'query'
        ? schema.getQueryType()
        : operation.operation === 'mutation'
          ? schema.getMutationType()
          : schema.getSubscriptionType();
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}, {
      maxErrors: 1,
    });
    const values = coerced.coerced;
    max = Math.max(max, operationCost(schema, fragments, operation, root ?? undefined, values));
  }
  return max;
}

function operationCost(
  schema: GraphQLSchema,
  fragments: Map<string, FragmentDefinitionNode>,
  operation: OperationDefinitionNode,
  root: GraphQLNamedType | undefined,
  /** The coerced variables; undefined when they do not coerce. */
  values: Record<string, unknown> | undefined,
): number {
  /** An argument's value as execution sees it (graphql-js `getArgumentValues`, for one argument). */
  const argumentValue = (node: FieldNode, argument: GraphQLArgument): unknown => {
    const given = node.arguments?.find((a) => a.name.value === argument.name);
    if (!given) return argument.defaultValue;
    if (given.value.kind === Kind.VARIABLE) {
      if (!values) return UNKNOWN;
      const name = given.value.name.value;
      return Object.hasOwn(values, name) ? values[name] : argument.defaultValue;
    }
    const value = valueFromAST(given.value, argument.type, values);
    return value === undefined ? UNKNOWN : value;
  };
  const pageSize = (node: FieldNode, argument: GraphQLArgument): number => {
    const value = argumentValue(node, argument);
    if (value === null || value === undefined) return DEFAULT_PAGE;
    if (typeof value !== 'number' || Number.isNaN(value)) return MAX_PAGE;
    return Math.max(0, Math.min(value, MAX_PAGE));
  };
  const representations = (node: FieldNode, argument: GraphQLArgument | undefined): number => {
    const given = node.arguments?.find((a) => a.name.value === 'representations');
    if (given?.value.kind === Kind.LIST) return given.value.values.length;
    const value = argument ? argumentValue(node, argument) : UNKNOWN;
    if (Array.isArray(value)) return value.length;
    return value === null || value === undefined ? 0 : value === UNKNOWN ? MAX_PAGE : 1;
  };
  /** graphql-js's `shouldIncludeNode`; with variables that do not coerce, everything counts. */
  const included = (node: FieldNode | FragmentSpreadNode | InlineFragmentNode): boolean => {
    if (!values || !node.directives?.length) return true;
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, values)?.if === true) return false;
      if (getDirectiveValues(GraphQLIncludeDirective, node, values)?.if === false) return false;
    } catch {
      // A directive argument execution refuses: counted as included.
    }
    return true;
  };

  const known = new Map<string, number>();
  const inProgress = new Set<string>();
  const fragmentCost = (name: string, page: number | undefined): number => {
    const key = `${name}\u0000${page ?? ''}`;
    const memo = known.get(key);
    if (memo !== undefined) return memo;
    const fragment = fragments.get(name);
    if (!fragment || inProgress.has(key)) return 0;
    inProgress.add(key);
    const cost = setCost(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), page);
    inProgress.delete(key);
    known.set(key, cost);
    return cost;
  };
  const fieldCost = (node: FieldNode, parent: GraphQLNamedType | undefined, page: number | undefined) => {
    if (!node.selectionSet) return 1;
    const definition = fieldDefinition(schema, parent, node.name.value);
    const named = definition ? getNamedType(definition.type) : undefined;
    const first = definition?.args.find((a) => a.name === 'first');
    const size = first ? pageSize(node, first) : undefined;
    if (definition && isListType(getNullableType(definition.type))) {
      const items =
        size ??
        (definition.name === '_entities'
          ? representations(
              node,
              definition.args.find((a) => a.name === 'representations'),
            )
          : (page ?? (named && isIntrospectionType(named) ? 1 : DEFAULT_PAGE)));
      return 1 + items * setCost(node.selectionSet, named, undefined);
    }
    return 1 + setCost(node.selectionSet, named, size);
  };
  /** The cost of a selection set for one object of type `parent`; `page` is the page size of its lists. */
  const setCost = (
    set: SelectionSetNode,
    parent: GraphQLNamedType | undefined,
    page: number | undefined,
  ): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) total += fieldCost(selection, parent, page);
      else if (selection.kind === Kind.FRAGMENT_SPREAD) total += fragmentCost(selection.name.value, page);
      else {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        total += setCost(selection.selectionSet, type ?? undefined, page);
      }
    }
    return total;
  };
  return setCost(operation.selectionSet, root, undefined);
}

/**
 * Costs already computed, per document and per request that prices it (operation name and variables): a client
 * sends the same document with the same few variables again and again (a list's page size), and the walk of the
 * document is a few percent of a small list request. Only requests whose variables are all numbers, booleans or
 * null are kept — what a cost depends on (page sizes, `@include`) — so no submitted text (a search, an email)
 * stays in memory; at most COST_MEMO_MAX per document, and a document's entries go with the document.
 */
const costMemo = new WeakMap<DocumentNode, Map<string, number>>();
const COST_MEMO_MAX = 64;

/** The memo's key of a request, or undefined when it is not kept (a variable that is text, a list, an object). */
function costKey(request: CostRequest): string | undefined {
  let key = request.operationName ?? '';
  const variables = request.variables;
  if (variables) {
    for (const name in variables) {
      const value = variables[name];
      if (value !== null && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
      key += `\u0000${name}=${value}`;
    }
  }
  return key.length > 256 ? undefined : key;
}

function memoisedCost(schema: GraphQLSchema, document: DocumentNode, request: CostRequest): number {
  const key = costKey(request);
  if (key === undefined) return queryCost(schema, document, request);
  let known = costMemo.get(document);
  const cost = known?.get(key);
  if (cost !== undefined) return cost;
  const computed = queryCost(schema, document, request);
  if (!known) {
    known = new Map();
    costMemo.set(document, known);
  }
  if (known.size < COST_MEMO_MAX) known.set(key, computed);
  return computed;
}

/** The refusal of a request whose {@link queryCost} exceeds `maxCost`, or undefined. */
export function costRefusal(
  schema: GraphQLSchema,
  document: DocumentNode,
  request: CostRequest,
  maxCost: number,
): QueryLimitError | undefined {
  return memoisedCost(schema, document, request) > maxCost ? tooCostly(maxCost) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Rules, parse options, error formatting
// ---------------------------------------------------------------------------------------------------------------

/** A rule that measures the whole document once, on entering it, and skips the rest of the walk. */
const documentRule =
  (
    check: (context: ValidationContext, document: DocumentNode) => QueryLimitError | undefined,
  ): ValidationRule =>
  (context): ASTVisitor => ({
    Document(node) {
      const error = check(context, node);
      if (error) context.reportError(error);
      return false;
    },
  });

/**
 * The limits that depend on the document alone as graphql-js validation rules, for Apollo Server's
 * `validationRules`: they run on every document before it executes, `_entities` documents included, and their
 * verdict may be cached with the document. Apollo enforces the token limit earlier, while parsing
 * ({@link limitParseOptions}); the token rule here is the same check for a document parsed elsewhere. The cost
 * depends on the variables: `costLimitPlugin` in packages/server.
 */
export function limitRules(limits: QueryLimits): ValidationRule[] {
  return [
    documentRule((_context, document) => {
      const source = document.loc?.source;
      // Every token is at least one character long: a document this short cannot exceed the limit.
      if (!source || source.body.length <= limits.maxTokens) return undefined;
      return countTokens(source, limits.maxTokens) > limits.maxTokens
        ? tooManyTokens(limits.maxTokens)
        : undefined;
    }),
    documentRule((_context, document) => {
      const depth = queryDepth(document);
      return depth > limits.maxDepth ? tooDeep(limits.maxDepth, depth) : undefined;
    }),
    documentRule((_context, document) => {
      const aliases = aliasCount(document);
      return aliases > limits.maxAliases ? tooManyAliases(limits.maxAliases, aliases) : undefined;
    }),
  ];
}

/** Parse options for Apollo Server: graphql-js stops parsing at the first token past the limit. */
export function limitParseOptions(limits: QueryLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

const TOKEN_LIMIT_MESSAGE = /Document contains more th[ae][nt] \d+ tokens/;

/**
 * The answer to a document refused by a limit, or undefined for any other error. For Apollo Server's
 * `formatError`, given the original error: Apollo has already set HTTP 400 from it (both its parse and its
 * validation errors carry that status) but replaced the code with `GRAPHQL_PARSE_FAILED` or
 * `GRAPHQL_VALIDATION_FAILED`. Recognised:
 * - a validation error whose cause is a {@link QueryLimitError};
 * - graphql-js's own parse error for `maxTokens` (known by its message; limits.test.ts pins it);
 * - a parser stack overflow, which only a document nested far deeper than any limit causes.
 */
export function formatLimitError(error: unknown, limits: QueryLimits): GraphQLFormattedError | undefined {
  if (!(error instanceof Error)) return undefined;
  const cause = (error as { originalError?: unknown }).originalError;
  let limit: QueryLimitError | undefined;
  if (cause instanceof QueryLimitError) limit = cause;
  else if ((error as { extensions?: { code?: unknown } }).extensions?.code === 'GRAPHQL_PARSE_FAILED') {
    if (cause instanceof Error && TOKEN_LIMIT_MESSAGE.test(cause.message)) {
      limit = tooManyTokens(limits.maxTokens);
    } else if (
      cause instanceof Error &&
      (cause as { originalError?: unknown }).originalError instanceof RangeError
    ) {
      limit = tooDeep(limits.maxDepth);
    }
  }
  if (!limit) return undefined;
  return { message: limit.message, extensions: { code: limit.code, maximum: limit.maximum } };
}

/** Wraps an Apollo `formatError` so that refusals by a limit answer with the limit's code. */
export function withLimitErrors(
  limits: QueryLimits,
  format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => formatLimitError(error, limits) ?? format(formatted, error);
}

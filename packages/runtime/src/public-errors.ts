import {
  type ASTNode,
  BREAK,
  coerceInputValue,
  type DocumentNode,
  GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isInputType,
  isListType,
  isNonNullType,
  Kind,
  type OperationDefinitionNode,
  parse,
  TypeInfo,
  typeFromAST,
  visit,
  visitWithTypeInfo,
} from 'graphql';

/**
 * Errors that never carry a submitted value (DESIGN.md, "Errors"). graphql-js and the servers around it write
 * the offending value into many of their messages (`Variable "$d" got invalid value "31/12/1980"`, `Expected
 * value of type "Int", found "…"`, `Syntax Error: Expected Name, found String "…"`). Rather than strip values
 * from those messages, every message is rebuilt here from parts that cannot hold one: the names of variables,
 * arguments and input fields, the schema's types, and the rule in fixed words. A message that fits no known
 * shape becomes a generic sentence for its phase. The subgraphs (Apollo Server's formatError and the graphql-jit
 * executor) and the gateway (its parse, validate and execute hooks) use the same functions.
 */

/** An error whose message our code built from names, types and fixed words only: passed on as it is. */
export class PublicError extends GraphQLError {}

/**
 * A custom scalar's refusal: `rule` says in fixed words what the scalar accepts, never what it got. Thrown by
 * the scalars' parse functions; the value's position (argument, variable, input field) is added where the
 * error is answered.
 */
export class ScalarRuleError extends PublicError {
  constructor(
    readonly rule: string,
    node?: ASTNode,
  ) {
    super(`A value must be ${rule}.`, {
      ...(node ? { nodes: [node] } : {}),
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
/** A quoted part of a message: a name, `$variable`, `@directive`, `Type.field` or a type reference. */
const QUOTED =
  /^(?:[$@]?[_A-Za-z][_0-9A-Za-z]*(?:\.[_A-Za-z][_0-9A-Za-z]*)?|\[*[_A-Za-z][_0-9A-Za-z]*!?(?:\]!?)*)$/;
/** The words between the quoted parts: letters, `_` and punctuation; no digits, no `@`, no quote. */
const PROSE = /^[A-Za-z_ ,.;:?!()'`-]*$/;

/**
 * Whether a message of graphql-js or a server is made only of words and quoted names (every value a message
 * could echo is a number, or a string or object that holds more than a name). The last line of defence for
 * messages of no known shape; the known shapes are rebuilt before this is asked.
 */
export function isNamesOnly(message: string): boolean {
  if (message.length > 1000) return false;
  const parts = message.split('"');
  if (parts.length % 2 === 0) return false;
  return parts.every((part, i) => (i % 2 === 1 ? part.length <= 200 && QUOTED.test(part) : PROSE.test(part)));
}

/** For a code whose message is not ours and fits no known shape: a sentence that says what kind of refusal it is. */
const GENERIC_MESSAGES: Readonly<Record<string, string>> = {
  UNAUTHENTICATED: 'Not authenticated',
  FORBIDDEN: 'Forbidden',
  BAD_USER_INPUT: 'Invalid input',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  GRAPHQL_PARSE_FAILED: 'Syntax Error: the document is not valid GraphQL.',
  GRAPHQL_VALIDATION_FAILED: 'The document is not valid against the schema.',
  BAD_REQUEST: 'Bad request',
  OPERATION_RESOLUTION_FAILURE: 'The operation to run could not be determined.',
};

/** A message of no known shape: kept when it holds names only, else the generic sentence for its code. */
export const namesOnlyOr = (message: string, code: unknown): string =>
  isNamesOnly(message) ? message : (GENERIC_MESSAGES[String(code)] ?? 'Request refused');

// ---------------------------------------------------------------------------------------------------------------
// Syntax errors
// ---------------------------------------------------------------------------------------------------------------

/** graphql-js's token descriptions (getTokenKindDesc): kinds only; a token's value follows them in quotes. */
const TOKEN = String.raw`(<SOF>|<EOF>|Name|Int|Float|String|BlockString|Comment|"(?:!|\$|&|\(|\)|\.\.\.|:|=|@|\[|\]|\{|\||\})")`;
const EXPECTED = new RegExp(`^Syntax Error: Expected (${TOKEN.slice(1, -1)}|"[a-z]{1,12}"), found ${TOKEN}`);
const UNEXPECTED = new RegExp(`^Syntax Error: Unexpected ${TOKEN}`);
/** Lexer messages that hold no value, kept as they are. */
const FIXED_SYNTAX = new Set([
  'Syntax Error: Unterminated string.',
  `Syntax Error: Unexpected single quote character ('), did you mean to use a double quote (")?`,
]);
/** Lexer messages that end with the offending characters: their beginning only. */
const SYNTAX_PREFIXES: readonly [string, string][] = [
  ['Syntax Error: Invalid number', 'Syntax Error: Invalid number.'],
  ['Syntax Error: Unexpected character', 'Syntax Error: Unexpected character.'],
  ['Syntax Error: Invalid character', 'Syntax Error: Invalid character in a string.'],
  ['Syntax Error: Invalid Unicode escape', 'Syntax Error: Invalid escape sequence in a string.'],
];

/**
 * A parse error's message rebuilt from the kinds of the tokens involved: `Expected Name, found String.`, never
 * the string (a query's literals are where personal values are). Its `locations` say where.
 */
export function syntaxMessage(message: string): string {
  if (FIXED_SYNTAX.has(message)) return message;
  const expected = EXPECTED.exec(message);
  if (expected) return `Syntax Error: Expected ${expected[1]}, found ${expected[2]}.`;
  const unexpected = UNEXPECTED.exec(message);
  if (unexpected) return `Syntax Error: Unexpected ${unexpected[1]}.`;
  for (const [prefix, rebuilt] of SYNTAX_PREFIXES) if (message.startsWith(prefix)) return rebuilt;
  return 'Syntax Error: the document is not valid GraphQL.';
}

// ---------------------------------------------------------------------------------------------------------------
// Values: the rule a type states, and where a value sits
// ---------------------------------------------------------------------------------------------------------------

const BUILT_IN_RULES: Readonly<Record<string, string>> = {
  Int: 'a whole number between -2147483648 and 2147483647',
  Float: 'a finite number',
  String: 'a string',
  Boolean: 'true or false',
  ID: 'a string or a whole number',
};

/** What a value of `type` must be, in fixed words: the scalar's own rule when it gave one. */
function expectation(type: GraphQLInputType | undefined, cause: unknown): string {
  if (!type) return 'a value the schema defines';
  const shown = `"${String(type)}"`;
  if (cause instanceof ScalarRuleError) return `${shown}: ${cause.rule}`;
  if (isNonNullType(type) && !isListType(type.ofType) && !isInputObjectType(type.ofType)) {
    const named = getNamedType(type);
    const rule = BUILT_IN_RULES[named.name];
    if (rule) return `${shown}, ${rule}, not null`;
    if (isEnumType(named)) return `${shown}, one of the enum's values, not null`;
    return `${shown}, not null`;
  }
  const nullable = getNullableType(type);
  if (isListType(nullable)) return `${shown}, a list`;
  if (isInputObjectType(nullable)) return `${shown}, an object`;
  if (isEnumType(nullable)) return `${shown}, one of the enum's values`;
  const rule = BUILT_IN_RULES[nullable.name];
  return rule ? `${shown}, ${rule}` : shown;
}

const printPath = (path: readonly (string | number)[]): string =>
  path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('');

/** The unknown and the missing fields of an input object value, by names the schema or the document gives. */
function objectProblems(type: GraphQLInputType, keys: readonly string[]): string[] {
  const object = getNullableType(type);
  if (!isInputObjectType(object)) return [];
  const fields = object.getFields();
  const problems: string[] = [];
  for (const key of keys) {
    if (Object.hasOwn(fields, key)) continue;
    // A variable's keys are data: one that is not even a GraphQL name is not repeated.
    problems.push(
      NAME.test(key)
        ? `field "${key}" is not defined by type "${object.name}"`
        : `a field that is not a name is not defined by type "${object.name}"`,
    );
  }
  for (const field of Object.values(fields)) {
    if (isNonNullType(field.type) && field.defaultValue === undefined && !keys.includes(field.name)) {
      problems.push(`field "${field.name}" of required type "${String(field.type)}" was not provided`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation errors
// ---------------------------------------------------------------------------------------------------------------

interface Site {
  /** `Argument "input" of "Mutation.updateContact"`, `Default value of variable "$n"`. */
  readonly where: string;
  readonly path: readonly (string | number)[];
  readonly type: GraphQLInputType | undefined;
  /** For an object field: the input object type that holds it. */
  readonly parentType: GraphQLInputType | undefined;
}

const VALUE_KINDS: ReadonlySet<string> = new Set([
  Kind.VARIABLE,
  Kind.INT,
  Kind.FLOAT,
  Kind.STRING,
  Kind.BOOLEAN,
  Kind.NULL,
  Kind.ENUM,
  Kind.LIST,
  Kind.OBJECT,
]);

/** Where in the document the value node at `target` sits (found again by kind and position), with its type. */
function findSite(schema: GraphQLSchema, document: DocumentNode, target: ASTNode): Site | undefined {
  const start = target.loc?.start;
  if (start === undefined) return undefined;
  const typeInfo = new TypeInfo(schema);
  let where = '';
  const path: (string | number)[] = [];
  let found: Site | undefined;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      enter(node, key, parent) {
        if (node.kind === Kind.ARGUMENT) {
          const directive = typeInfo.getDirective();
          const field = typeInfo.getFieldDef();
          const parentType = typeInfo.getParentType();
          const name = node.name.value;
          where = directive
            ? `Argument "${name}" of directive "@${directive.name}"`
            : field && parentType
              ? `Argument "${name}" of "${parentType.name}.${field.name}"`
              : `Argument "${name}"`;
          path.length = 0;
          path.push(name);
        } else if (node.kind === Kind.VARIABLE_DEFINITION) {
          where = `Default value of variable "$${node.variable.name.value}"`;
          path.length = 0;
          path.push(node.variable.name.value);
        } else if (node.kind === Kind.OBJECT_FIELD) {
          path.push(node.name.value);
        } else if (typeof key === 'number' && Array.isArray(parent) && VALUE_KINDS.has(node.kind)) {
          path.push(key);
        }
        if (node.kind === target.kind && node.loc?.start === start) {
          found = {
            where,
            path: [...path],
            type: typeInfo.getInputType() ?? undefined,
            parentType: typeInfo.getParentInputType() ?? undefined,
          };
          return BREAK;
        }
        return undefined;
      },
      leave(node, key, parent) {
        if (
          node.kind === Kind.OBJECT_FIELD ||
          (typeof key === 'number' && Array.isArray(parent) && VALUE_KINDS.has(node.kind))
        ) {
          path.pop();
        }
      },
    }),
  );
  return found;
}

const at = (site: Site) => (site.path.length > 1 ? ` at "${printPath(site.path)}"` : '');

/** The message for a value refused by validation (ValuesOfCorrectTypeRule, a scalar's parseLiteral), or none. */
function valueMessage(
  schema: GraphQLSchema,
  document: DocumentNode,
  error: GraphQLError,
): string | undefined {
  const node = error.nodes?.[0];
  if (!node) return undefined;
  const site = findSite(schema, document, node);
  if (!site) return undefined;
  if (node.kind === Kind.OBJECT_FIELD) {
    // An input field the type does not define (the only error graphql-js reports on an object field).
    const parent = site.parentType && getNamedType(site.parentType);
    const onType = parent ? ` by type "${parent.name}"` : '';
    const parentPath = { ...site, path: site.path.slice(0, -1) };
    return `${site.where}${at(parentPath)}: field "${node.name.value}" is not defined${onType}.`;
  }
  if (node.kind === Kind.OBJECT && site.type) {
    const problems = objectProblems(
      site.type,
      node.fields.map((f) => f.name.value),
    );
    if (problems.length) return `${site.where}${at(site)}: ${problems.join('; ')}.`;
  }
  if (!VALUE_KINDS.has(node.kind)) return undefined;
  return `${site.where}${at(site)} has an invalid value: expected ${expectation(site.type, error.originalError ?? error)}.`;
}

export interface PublicValidation {
  readonly message: string;
  /** BAD_USER_INPUT for a refused value; the validation code for everything else. */
  readonly valueError: boolean;
}

/**
 * A validation error's message without any value of the document. A refused value is named by its position
 * (argument, input field, variable default) and the rule of its type; any other rule's message is kept when it
 * holds names only; otherwise a generic sentence.
 */
export function publicValidation(
  error: GraphQLError,
  schema: GraphQLSchema,
  document: DocumentNode | undefined,
): PublicValidation {
  const valueError =
    error instanceof ScalarRuleError || (error.nodes?.[0] ? isValueNodeError(error.nodes[0]) : false);
  if (valueError) {
    const rebuilt = document ? valueMessage(schema, document, error) : undefined;
    if (rebuilt) return { message: rebuilt, valueError };
    return {
      message:
        error instanceof ScalarRuleError ? error.message : 'A value in the document does not match its type.',
      valueError,
    };
  }
  if (error instanceof PublicError || isNamesOnly(error.message))
    return { message: error.message, valueError };
  return { message: 'The document is not valid against the schema.', valueError };
}

const isValueNodeError = (node: ASTNode) => VALUE_KINDS.has(node.kind) || node.kind === Kind.OBJECT_FIELD;

/** The document a validation error was found in, parsed again from its source (an error path only). */
export function documentOf(error: GraphQLError): DocumentNode | undefined {
  const body = error.source?.body;
  if (!body) return undefined;
  try {
    return parse(body);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Variables
// ---------------------------------------------------------------------------------------------------------------

/** The type inside `type` at `path` of a variable's value (numbers index lists). */
function typeAt(type: GraphQLInputType, path: readonly (string | number)[]): GraphQLInputType | undefined {
  let current: GraphQLInputType | undefined = type;
  for (const key of path) {
    const nullable: GraphQLInputType | undefined = current && getNullableType(current);
    if (!nullable) return undefined;
    if (typeof key === 'number') current = isListType(nullable) ? nullable.ofType : nullable;
    else current = isInputObjectType(nullable) ? nullable.getFields()[key]?.type : undefined;
  }
  return current;
}

export const variableError = (message: string, nodes: readonly ASTNode[] | undefined) =>
  new PublicError(message, {
    ...(nodes ? { nodes } : {}),
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
  });

/**
 * The variables of `operation` checked as graphql-js coerces them, each problem as a {@link PublicError}
 * naming the variable, the position inside its value and the rule — never the value or a key that is not a
 * name. Empty when every variable is valid. Only called on a request already refused (a failed coercion), so
 * accepted requests never pay for it.
 */
export function variableErrors(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode | null | undefined,
  inputs: Readonly<Record<string, unknown>> | null | undefined,
): PublicError[] {
  const errors: PublicError[] = [];
  const values = inputs ?? {};
  for (const definition of operation?.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    const type = typeFromAST(schema, definition.type);
    if (!type || !isInputType(type)) continue; // validation refuses these
    const nodes = [definition];
    if (!Object.hasOwn(values, name)) {
      if (isNonNullType(type) && !definition.defaultValue) {
        errors.push(
          variableError(`Variable "$${name}" of required type "${String(type)}" was not provided.`, nodes),
        );
      }
      continue;
    }
    const value = values[name];
    if (value === null && isNonNullType(type)) {
      errors.push(
        variableError(`Variable "$${name}" of non-null type "${String(type)}" must not be null.`, nodes),
      );
      continue;
    }
    const seen = new Set<string>();
    coerceInputValue(value, type, (path, invalid, cause) => {
      const full = [name, ...path];
      const position = path.length ? ` at "${printPath(full)}"` : '';
      const local = typeAt(type, path);
      let message: string;
      if (
        local &&
        isInputObjectType(getNullableType(local)) &&
        typeof invalid === 'object' &&
        invalid !== null &&
        !Array.isArray(invalid)
      ) {
        const problems = objectProblems(local, Object.keys(invalid));
        message = problems.length
          ? `Variable "$${name}"${position}: ${problems.join('; ')}.`
          : `Variable "$${name}"${position} has an invalid value: expected ${expectation(local, cause)}.`;
      } else {
        message = `Variable "$${name}"${position} has an invalid value: expected ${expectation(local, cause.originalError ?? cause)}.`;
      }
      if (seen.has(message)) return;
      seen.add(message);
      errors.push(variableError(message, nodes));
    });
  }
  return errors;
}

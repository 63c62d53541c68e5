import { type ASTNode, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { ScalarRuleError } from './public-errors.js';

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

interface ScalarRule {
  /** What the scalar accepts, in fixed words (answered with the value's position, never the value). */
  readonly rule: string;
  readonly accepts: (value: unknown) => value is string;
}

/** The input rules of Custos' custom scalars: the subgraph's scalars and the gateway's checks share them. */
export const SCALAR_RULES = {
  DateTime: {
    rule: 'an ISO 8601 date-time with a time zone, e.g. 2026-01-31T12:00:00Z',
    accepts: (value): value is string =>
      typeof value === 'string' && ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)),
  },
  Date: {
    rule: 'a calendar date in the form YYYY-MM-DD',
    accepts: (value): value is string => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value),
  },
} as const satisfies Record<string, ScalarRule>;

/** The value a scalar's rule accepts, or its {@link ScalarRuleError} (with the literal's node, if any). */
export function checkScalar(name: keyof typeof SCALAR_RULES, value: unknown, node?: ASTNode): string {
  const { rule, accepts } = SCALAR_RULES[name];
  if (!accepts(value)) throw new ScalarRuleError(rule, node);
  return value;
}

const literal = (ast: ValueNode) => (ast.kind === Kind.STRING ? ast.value : undefined);

/**
 * The custom scalars for a gateway's schema: the same rules, so that a value the subgraph would refuse is refused
 * at the edge with the same answer (BAD_USER_INPUT, HTTP 400); an accepted value is passed on as sent.
 */
export function checkedScalars(): Record<string, GraphQLScalarType> {
  return Object.fromEntries(
    (Object.keys(SCALAR_RULES) as (keyof typeof SCALAR_RULES)[]).map((name) => [
      name,
      new GraphQLScalarType({
        name,
        serialize: (value) => value,
        parseValue: (value) => checkScalar(name, value),
        parseLiteral: (ast) => checkScalar(name, literal(ast), ast),
      }),
    ]),
  );
}

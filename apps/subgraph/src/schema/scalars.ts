import { checkScalar } from '@custos/runtime';
import { Kind } from 'graphql';
import { builder } from './builder.js';

// The scalars refuse with their rule in fixed words (scalar-rules.ts), never the value: the error is answered
// with the position of the value (argument, variable, input field) added where it is formatted.

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO 8601 date-time in UTC (e.g. 2026-01-31T12:00:00.000Z).',
  // Rows carry timestamps already formatted as ISO 8601 UTC by PostgreSQL (see isoTimestamp).
  serialize: (value) => String(value),
  parseValue: (value) => new Date(checkScalar('DateTime', value)),
  parseLiteral: (ast) =>
    new Date(checkScalar('DateTime', ast.kind === Kind.STRING ? ast.value : undefined, ast)),
});

builder.scalarType('Date', {
  description: 'A calendar date, YYYY-MM-DD.',
  serialize: (value) => String(value),
  parseValue: (value) => checkScalar('Date', value),
  parseLiteral: (ast) => checkScalar('Date', ast.kind === Kind.STRING ? ast.value : undefined, ast),
});

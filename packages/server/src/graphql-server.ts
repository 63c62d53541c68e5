import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { AuditWriter } from '@custos/audit';
import type { Logger } from '@custos/runtime';
import {
  DEFAULT_LIMITS,
  DomainError,
  documentOf,
  limitParseOptions,
  limitRules,
  namesOnlyOr,
  PUBLIC_CODES,
  PublicError,
  publicValidation,
  type QueryLimits,
  syntaxMessage,
  withLimitErrors,
} from '@custos/runtime';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { auditPlugin } from './audit-plugin.js';
import type { DataContext } from './context.js';
import { DirectLane } from './direct-lane.js';
import { type ExecutedResults, JitExecutor } from './jit-executor.js';
import { costLimitPlugin } from './limits-plugin.js';
import { redactionsPlugin } from './redactions-plugin.js';

/** Extension keys never answered: internals of the server, not facts about the error. */
const HIDDEN_EXTENSIONS = new Set(['stacktrace', 'exception', 'http']);

const publicExtensions = (extensions: Readonly<Record<string, unknown>> | undefined) =>
  Object.fromEntries(Object.entries(extensions ?? {}).filter(([key]) => !HIDDEN_EXTENSIONS.has(key)));

/**
 * Maps errors to the contract (DESIGN.md, "Errors"): domain errors keep their code and message; anything
 * unexpected (a driver error carrying SQL, a bug) is logged by name only and answered as a generic
 * INTERNAL_SERVER_ERROR, so no SQL, constraint name, stack or personal value reaches the client. No message
 * echoes a submitted value (shared/public-errors.ts): parse errors are rebuilt from token kinds, a refused
 * value is named by its position and its type's rule (BAD_USER_INPUT), and any other message of a public code
 * that is not ours is kept only when it holds names alone.
 */
export function formatError(logger: Logger, production = false, schema?: GraphQLSchema) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      return {
        message: original.message,
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: original.code, ...original.extensions },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PUBLIC_CODES.has(code)) {
      const extensions = publicExtensions(formatted.extensions);
      // Apollo wraps parse, validation and context errors in its own; the one graphql-js or we raised is inside.
      const cause = original instanceof GraphQLError ? (original.originalError ?? original) : original;
      let message: string;
      if (code === 'GRAPHQL_PARSE_FAILED') {
        message = syntaxMessage(formatted.message);
      } else if (code === 'GRAPHQL_VALIDATION_FAILED' && schema && cause instanceof GraphQLError) {
        // A refused value (a scalar's rule included) is named by its position in the document.
        const checked = publicValidation(cause, schema, documentOf(cause));
        message = checked.message;
        if (checked.valueError) extensions.code = 'BAD_USER_INPUT';
      } else if (original instanceof PublicError || cause instanceof PublicError) {
        // Ours: built from names and fixed words.
        message = formatted.message;
      } else {
        message = namesOnlyOr(formatted.message, code);
      }
      // "Did you mean …?" spells out the schema to a caller who may not introspect it (off in production).
      if (production) message = message.replace(/ Did you mean [^?]*\?/g, '');
      return {
        message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions,
      };
    }
    logger.error(
      { errorName: original instanceof Error ? original.name : typeof original, path: formatted.path },
      'unexpected error while executing a GraphQL operation',
    );
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}

// biome-ignore lint/suspicious/noExplicitAny: one registry for servers of every context type.
const lanes = new WeakMap<ApolloServer<any>, DirectLane<any>>();

/** The direct lane of a server made by createGraphQLServer (direct-lane.ts): the HTTP edge hands it queries first. */
export function directLaneOf<C extends DataContext<unknown>>(
  apollo: ApolloServer<C>,
): DirectLane<C> | undefined {
  return lanes.get(apollo);
}

export async function createGraphQLServer<C extends DataContext<unknown>>(
  schema: GraphQLSchema,
  logger: Logger,
  production: boolean,
  limits: QueryLimits = DEFAULT_LIMITS,
  /** The audit trail's writer; none only when auditing is switched off (benchmarks). */
  audit?: AuditWriter,
): Promise<ApolloServer<C>> {
  const plugins: ApolloServerPlugin<C>[] = [
    // Apollo's default cache-control plugin doubles the cost of every request and we serve
    // `Cache-Control: no-store` anyway: personal data is never cached.
    ApolloServerPluginCacheControlDisabled(),
    ApolloServerPluginInlineTraceDisabled(),
    ApolloServerPluginLandingPageDisabled(),
    // The cost, per request from its variables' values, after validation and before execution (limits.ts).
    costLimitPlugin(limits) as ApolloServerPlugin<C>,
    redactionsPlugin,
    ...(audit ? [auditPlugin(audit) as ApolloServerPlugin<C>] : []),
    {
      // The operation's name (an identifier from the document, never a value) for the request log.
      async requestDidStart() {
        return {
          async didResolveOperation({ contextValue, operationName }) {
            if (operationName) contextValue.request.operationName = operationName.slice(0, 100);
          },
        };
      },
    },
  ];
  const executed: ExecutedResults = new WeakMap();
  const server = new ApolloServer<C>({
    // graphql-jit execution: about a third more throughput on list queries (see bench/).
    gateway: new JitExecutor(schema, executed),
    plugins,
    // Document limits (limits.ts), before anything executes: tokens while parsing, depth and aliases while
    // validating (cached with the document), cost per request (costLimitPlugin) — `_entities` included.
    parseOptions: limitParseOptions(limits),
    validationRules: limitRules(limits),
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    // Apollo pretty-prints by default (JSON.stringify(value, null, 2)): a tenth of the CPU of a list request.
    stringifyResult: (value) => JSON.stringify(value),
    formatError: withLimitErrors(limits, formatError(logger, production, schema)),
    logger: {
      debug: () => {},
      info: () => {},
      warn: (message) => logger.warn(String(message)),
      error: (message) => logger.error(String(message)),
    },
  });
  await server.start();
  lanes.set(server, new DirectLane<C>({ schema, limits, introspection: !production, audit, executed }));
  return server;
}

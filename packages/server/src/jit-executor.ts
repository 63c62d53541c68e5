import type {
  GatewayExecutor,
  GatewayInterface,
  GatewaySchemaLoadOrUpdateCallback,
} from '@apollo/server-gateway-interface';
import { variableError, variableErrors } from '@custos/runtime';
import {
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  getOperationAST,
  printSchema,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import type { RequestInfo } from './context.js';

/** What the direct lane executed for a request and left to Apollo to answer. */
export type ExecutedResults = WeakMap<RequestInfo, { result: ExecutionResult } | { thrown: unknown }>;

/**
 * Executes operations with graphql-jit instead of graphql-js's interpreter. Apollo Server 5 has no executor
 * option; its gateway interface is the supported way to bring one (the schema is ours and static). The
 * compiled form of each document is kept for as long as Apollo keeps the parsed document in its own
 * bounded document cache (a WeakMap keyed by that document), so memory stays bounded by Apollo's LRU.
 *
 * Apollo has parsed and validated the document against the schema before it reaches the executor, and
 * graphql-jit calls the same resolvers, scalars and type resolvers as graphql-js.
 */
export class JitExecutor implements GatewayInterface {
  private readonly listeners = new Set<GatewaySchemaLoadOrUpdateCallback>();
  private readonly compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery>>();

  constructor(
    private readonly schema: GraphQLSchema,
    /**
     * Results the direct lane already executed for a request (by its RequestInfo) and hands to Apollo for the
     * answer (errors to format, variables refused): returned as they are, never executed twice.
     */
    private readonly executed: ExecutedResults = new WeakMap(),
  ) {}

  onSchemaLoadOrUpdate(callback: GatewaySchemaLoadOrUpdateCallback): () => void {
    this.listeners.add(callback);
    return () => this.listeners.delete(callback);
  }

  async load(): Promise<{ executor: GatewayExecutor }> {
    const coreSupergraphSdl = printSchema(this.schema);
    for (const listener of this.listeners) listener({ apiSchema: this.schema, coreSupergraphSdl });
    return { executor: (requestContext) => this.execute(requestContext) };
  }

  async stop(): Promise<void> {
    this.listeners.clear();
  }

  private async execute(requestContext: Parameters<GatewayExecutor>[0]) {
    const { document, operationName, request, context } = requestContext;
    const info = (context as { request?: RequestInfo }).request;
    const executed = info && this.executed.get(info);
    if (executed) {
      this.executed.delete(info);
      if ('thrown' in executed) throw executed.thrown;
      return this.answer(requestContext, executed.result);
    }
    const key = operationName ?? '';
    let byName = this.compiled.get(document);
    let query = byName?.get(key);
    if (!query) {
      const result = compileQuery(this.schema, document, operationName ?? undefined);
      // Not compilable (e.g. the operation name matches nothing): graphql-jit answers with the errors.
      if (!isCompiledQuery(result)) return result;
      query = result;
      if (!byName) {
        byName = new Map();
        this.compiled.set(document, byName);
      }
      byName.set(key, query);
    }
    return this.answer(requestContext, await query.query(undefined, context, request.variables ?? {}));
  }

  private answer(requestContext: Parameters<GatewayExecutor>[0], result: ExecutionResult): ExecutionResult {
    // graphql-jit refuses variables with messages that quote the value: rebuilt from the structure instead.
    if (result.data === undefined && result.errors?.length)
      return this.refusedVariables(requestContext, result);
    return result;
  }

  /**
   * An answer without data is graphql-jit's refusal of the variables (execution errors leave `data: null`):
   * the same check again with graphql-js's coercion, whose callback names the position, answered with
   * messages that never carry the value (shared/public-errors.ts). Only refused requests pay for it.
   */
  private refusedVariables(
    { document, operationName, request }: Parameters<GatewayExecutor>[0],
    result: ExecutionResult,
  ): ExecutionResult {
    const errors = variableErrors(
      this.schema,
      getOperationAST(document, operationName ?? undefined),
      request.variables,
    );
    return {
      errors: errors.length
        ? errors
        : (result.errors ?? []).map(() => variableError('A variable has an invalid value.', undefined)),
    };
  }
}

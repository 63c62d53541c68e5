import type { IncomingMessage } from 'node:http';
import type { AuditWriter } from '@custos/audit';
import { costRefusal, limitParseOptions, limitRules, type QueryLimits } from '@custos/runtime';
import {
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  getOperationAST,
  NoSchemaIntrospectionCustomRule,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';
import Negotiator from 'negotiator';
import { AUDIT_WITHHELD, auditAnswer, auditEventOf } from './audit-plugin.js';
import type { DataContext, RequestInfo } from './context.js';
import type { ExecutedResults } from './jit-executor.js';
import { jsonParts } from './json-parts.js';

/** A query document that the lane may run: parsed and validated exactly as Apollo Server would, then compiled. */
interface Prepared {
  readonly operation: OperationDefinitionNode;
  readonly document: DocumentNode;
  readonly compiled: CompiledQuery;
}

/** An answer of the lane, for the HTTP edge to write (as it writes Apollo's). */
export interface LaneAnswer {
  readonly status: number;
  readonly contentType: string;
  /** The body, or the pieces of its text in order (json-parts.ts). */
  readonly body: string | readonly string[];
}

/** What the lane did with a request: answered it, or left it to Apollo with the context to use. */
export type LaneOutcome<C> = { readonly answered: LaneAnswer } | { readonly apollo: () => Promise<C> };

/** One request as the HTTP edge hands it over: the body already read and parsed. */
export interface LaneExchange<C> {
  readonly req: IncomingMessage;
  readonly body: unknown;
  readonly request: RequestInfo;
  /** Makes the request's context (checks the token): called at most once. */
  readonly context: () => Promise<C>;
}

export interface DirectLaneOptions {
  readonly schema: GraphQLSchema;
  readonly limits: QueryLimits;
  /** Introspection is refused in production (Apollo's `introspection: false`): so is it here. */
  readonly introspection: boolean;
  readonly audit?: AuditWriter;
  /** Shared with the JitExecutor: what the lane executed and left to Apollo to answer. */
  readonly executed: ExecutedResults;
  /** Distinct documents kept (least recently used go first) and their total text size. */
  readonly maxDocuments?: number;
  readonly maxDocumentBytes?: number;
}

const JSON_TYPE = /^application\/json\s*(?:;|$)/i;
const MEDIA_TYPES = [
  'application/json; charset=utf-8',
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
];

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The direct lane: a POSTed JSON query whose document is known runs without Apollo Server's request pipeline
 * (its per-request SHA-256 of the text, header map, plugin hooks and promise chains: a tenth of a list request's
 * CPU), with the same parse options, validation rules, cost limit, executor, redaction extension and audit.
 *
 * It answers only what it can answer exactly as Apollo would: a query that executed without an error. Everything
 * else goes to Apollo — anything but a JSON POST of a query, a document that does not parse or validate (Apollo
 * answers with its errors), a mutation, a refused token (the context's error is handed over, so the refusal is
 * audited once), a cost over the limit (refused by Apollo's plugin from the same model), an Accept header that
 * takes no JSON. A query that executed with errors, or whose variables were refused, is handed to Apollo with its
 * result (`executed`): Apollo formats the errors and audits the outcome; nothing runs twice.
 */
export class DirectLane<C extends DataContext<unknown>> {
  private readonly documents = new Map<string, Prepared | null>();
  private bytes = 0;
  private readonly rules: readonly ValidationRule[];
  private readonly mediaTypes = new Map<string, string | null>();
  private readonly maxDocuments: number;
  private readonly maxDocumentBytes: number;

  constructor(private readonly options: DirectLaneOptions) {
    this.rules = [
      ...specifiedRules,
      ...(options.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
      ...limitRules(options.limits),
    ];
    this.maxDocuments = options.maxDocuments ?? 1_000;
    this.maxDocumentBytes = options.maxDocumentBytes ?? 8 * 1024 * 1024;
  }

  /** Requests answered here, and requests handed to Apollo (for the tests, and anyone asking where time goes). */
  readonly counts = { answered: 0, handedOver: 0 };

  /** The documents held now (tests). */
  get size(): number {
    return this.documents.size;
  }

  async answer(exchange: LaneExchange<C>): Promise<LaneOutcome<C>> {
    const outcome = await this.run(exchange);
    if ('answered' in outcome) this.counts.answered++;
    else this.counts.handedOver++;
    return outcome;
  }

  private async run({ req, body, request, context }: LaneExchange<C>): Promise<LaneOutcome<C>> {
    const leave = { apollo: context };
    if (req.method !== 'POST' || !JSON_TYPE.test(req.headers['content-type'] ?? '') || !isRecord(body))
      return leave;
    const { query: text, operationName, variables, extensions } = body;
    if (typeof text !== 'string' || text === '') return leave;
    if (operationName !== undefined && operationName !== null && typeof operationName !== 'string')
      return leave;
    if (variables !== undefined && variables !== null && !isRecord(variables)) return leave;
    if (
      extensions !== undefined &&
      extensions !== null &&
      (!isRecord(extensions) || 'persistedQuery' in extensions)
    )
      return leave;
    const mediaType = this.mediaType(req.headers.accept);
    if (!mediaType) return leave;
    const prepared = this.prepared(text, operationName ?? undefined);
    if (!prepared) return leave;

    let ctx: C;
    try {
      ctx = await context();
    } catch (error) {
      // Apollo answers the refusal (401, 403) from the same error; the token was checked once.
      return { apollo: () => Promise.reject(error) };
    }
    const withContext = { apollo: () => Promise.resolve(ctx) };
    const { operation, document, compiled } = prepared;
    if (operation.name) request.operationName = operation.name.value.slice(0, 100);
    try {
      if (
        costRefusal(
          this.options.schema,
          document,
          { operationName: operationName ?? undefined, variables: variables ?? undefined },
          this.options.limits.maxCost,
        )
      )
        return withContext;
    } catch {
      return withContext;
    }

    let result: ExecutionResult;
    try {
      result = await compiled.query(undefined, ctx, variables ?? {});
    } catch (thrown) {
      this.options.executed.set(ctx.request, { thrown });
      return withContext;
    }
    if (result.data === undefined || result.errors?.length) {
      this.options.executed.set(ctx.request, { result });
      return withContext;
    }

    const redactions = ctx.redactions.entries;
    const answer: ExecutionResult = {
      data: result.data,
      ...(result.extensions || redactions.length
        ? { extensions: redactions.length ? { ...result.extensions, redactions } : result.extensions }
        : {}),
    };
    const audit = this.options.audit;
    if (audit && !(await auditAnswer(audit, ctx, auditEventOf(ctx, operation, 'OK')))) {
      ctx.redactions.entries.splice(0);
      ctx.audit.subjects.clear();
      const withheld = {
        errors: [{ message: AUDIT_WITHHELD.message, extensions: { code: AUDIT_WITHHELD.code } }],
      };
      return {
        answered: { status: AUDIT_WITHHELD.status, contentType: mediaType, body: JSON.stringify(withheld) },
      };
    }
    return { answered: { status: 200, contentType: mediaType, body: serialise(answer) } };
  }

  /** The response type Apollo would choose for this Accept header (null: none it serves, Apollo answers 406). */
  private mediaType(accept: string | undefined): string | null {
    if (!accept) return MEDIA_TYPES[0] as string;
    let type = this.mediaTypes.get(accept);
    if (type === undefined) {
      type = new Negotiator({ headers: { accept } }).mediaType(MEDIA_TYPES) ?? null;
      if (this.mediaTypes.size < 100) this.mediaTypes.set(accept, type);
    }
    return type;
  }

  /** The document's prepared form, or null when the lane leaves it to Apollo; least recently used go first. */
  private prepared(text: string, operationName: string | undefined): Prepared | null {
    const key = operationName === undefined ? text : `${operationName}\u0000${text}`;
    let prepared = this.documents.get(key);
    if (prepared !== undefined) {
      // Most recently used last; the first key is the next to go.
      this.documents.delete(key);
      this.documents.set(key, prepared);
      return prepared;
    }
    prepared = this.prepare(text, operationName);
    this.documents.set(key, prepared);
    this.bytes += key.length;
    while (this.documents.size > this.maxDocuments || this.bytes > this.maxDocumentBytes) {
      const oldest = this.documents.keys().next().value as string;
      this.documents.delete(oldest);
      this.bytes -= oldest.length;
    }
    return prepared;
  }

  private prepare(text: string, operationName: string | undefined): Prepared | null {
    let document: DocumentNode;
    try {
      document = parse(text, limitParseOptions(this.options.limits));
    } catch {
      return null;
    }
    if (validate(this.options.schema, document, this.rules).length > 0) return null;
    const operation = getOperationAST(document, operationName);
    if (operation?.operation !== 'query') return null;
    const compiled = compileQuery(this.options.schema, document, operationName);
    if (!isCompiledQuery(compiled)) return null;
    return { operation, document, compiled };
  }
}

/**
 * The answer as JSON, in pieces of regular size (a function of its own, so that a CPU profile names serialisation).
 */
function serialise(answer: ExecutionResult): readonly string[] {
  return jsonParts(answer);
}

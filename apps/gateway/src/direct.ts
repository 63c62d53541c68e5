import { type PersonalField, PURPOSE_DEFINITIONS, type Purpose } from '@custos/policy';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import {
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';
import type { EdgeContext } from './context.js';
import type { Redaction } from './privacy/redactions.js';
import { neverVisible, RESTRICTED_ALIAS, removedEntry, withoutUnused } from './privacy/strip.js';
import type { Body, DirectClients } from './subgraph-client.js';

/**
 * The single-subgraph fast path. Most operations a frontend sends touch one subgraph only (a page of contacts,
 * a ticket queue). For those the gateway's general machinery — a query plan, a rebuilt subgraph document, and
 * every field of the answer resolved again through the merged schema — is pure overhead: the operation, minus
 * the fields the purpose never sees, is sent to that subgraph as the client wrote it, and its answer is the
 * answer. Same identity, limits and errors (this runs inside the runtime, after authentication, parsing and
 * validation, and the other plugins see its result); the edge policy is applied here exactly as in the
 * general path (privacy/redactions.ts): removed fields answer null with the policy's entry, at the client's
 * path, and the subgraph's own entries already carry the client's paths (the subgraph answered the client's
 * document). Anything that needs a second subgraph, a mutation or a subscription takes the general path.
 */

/** The filler selection of a set the purpose sees nothing of; removed again from the answer. */
const FILLER_ALIAS = '__custos_empty';

interface Ownership {
  /** Subgraph (join__Graph value) → its URL. */
  readonly urls: ReadonlyMap<string, string>;
  /** `Type.field` → the subgraphs that resolve it. */
  readonly fields: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Which subgraph resolves which field, from the supergraph's join__ directives. */
export function readOwnership(supergraphSdl: string): Ownership {
  const document = parse(supergraphSdl);
  const urls = new Map<string, string>();
  const fields = new Map<string, Set<string>>();
  const stringArg = (
    node: { arguments?: readonly { name: { value: string }; value: unknown }[] },
    name: string,
  ) => {
    const value = node.arguments?.find((a) => a.name.value === name)?.value as
      | { kind: string; value: string }
      | undefined;
    return value && (value.kind === Kind.STRING || value.kind === Kind.ENUM) ? value.value : undefined;
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === 'join__Graph') {
      for (const value of definition.values ?? []) {
        const graph = value.directives?.find((d) => d.name.value === 'join__graph');
        const url = graph && stringArg(graph, 'url');
        if (url) urls.set(value.name.value, url);
      }
    }
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION)
      continue;
    const typeGraphs = (definition.directives ?? [])
      .filter((d) => d.name.value === 'join__type')
      .map((d) => stringArg(d, 'graph'))
      .filter((g): g is string => Boolean(g));
    for (const field of definition.fields ?? []) {
      const joins = (field.directives ?? []).filter((d) => d.name.value === 'join__field');
      const owners = joins.length
        ? joins
            .filter((d) => {
              const external = d.arguments?.find((a) => a.name.value === 'external')?.value;
              return !(external?.kind === Kind.BOOLEAN && external.value);
            })
            .map((d) => stringArg(d, 'graph'))
            .filter((g): g is string => Boolean(g))
        : typeGraphs;
      fields.set(`${definition.name.value}.${field.name.value}`, new Set(owners));
    }
  }
  return { urls, fields };
}

/** A field the purpose never sees, removed from the document: where it was asked for, in response keys. */
interface Removal {
  /** Response keys from the root to the object holding the field (list indices are expanded at run time). */
  readonly parentKeys: readonly string[];
  readonly key: string;
  readonly field: PersonalField;
}

interface Plan {
  readonly url: string;
  readonly query: string;
  readonly removals: readonly Removal[];
  /** Object paths (response keys) where the gateway added its `restricted` or filler selection. */
  readonly added: readonly { readonly parentKeys: readonly string[]; readonly key: string }[];
}

/**
 * The plan for one operation and purpose, or undefined when it needs the general path: a query whose every
 * field one subgraph resolves, with the fields the purpose never sees taken out.
 */
export function planDirect(
  ownership: Ownership,
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  purpose: Purpose,
): Plan | undefined {
  const operation = getOperationAST(document, operationName);
  const queryType = schema.getQueryType();
  if (operation?.operation !== 'query' || !queryType) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  let candidates: Set<string> | undefined;
  const removals: Removal[] = [];
  const added: { parentKeys: string[]; key: string }[] = [];
  const restrictedDecides = PURPOSE_DEFINITIONS[purpose].rows.restricted === 'redact';
  let unsupported = false;

  /** The selection set as sent: fragments inlined (they may hold removed fields), removed fields left out. */
  const rewrite = (set: SelectionSetNode, type: GraphQLObjectType, keys: string[]): SelectionSetNode => {
    const kept: SelectionNode[] = [];
    let needsRestricted = false;
    const fields = type.getFields();
    const walk = (selections: readonly SelectionNode[]) => {
      for (const selection of selections) {
        if (selection.kind === Kind.INLINE_FRAGMENT || selection.kind === Kind.FRAGMENT_SPREAD) {
          const fragment =
            selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
          const condition = fragment?.typeCondition?.name.value;
          if (!fragment || (condition && condition !== type.name) || selection.directives?.length) {
            unsupported = true; // abstract types and @skip/@include: the general path knows them
            return;
          }
          walk(fragment.selectionSet.selections);
          continue;
        }
        if (selection.directives?.length) {
          unsupported = true;
          return;
        }
        const name = selection.name.value;
        const key = selection.alias?.value ?? name;
        if (name === '__typename') {
          kept.push(selection);
          continue;
        }
        const coordinate = `${type.name}.${name}`;
        const owners = ownership.fields.get(coordinate);
        const definition = fields[name];
        if (!owners || !definition) {
          unsupported = true;
          return;
        }
        candidates = candidates ? new Set([...candidates].filter((g) => owners.has(g))) : new Set(owners);
        if (neverVisible(purpose, coordinate)) {
          removals.push({ parentKeys: keys, key, field: coordinate as PersonalField });
          if (restrictedDecides && fields.restricted) needsRestricted = true;
          continue;
        }
        const named = getNamedType(definition.type);
        if (selection.selectionSet) {
          if (!isObjectType(named)) {
            unsupported = true;
            return;
          }
          kept.push({ ...selection, selectionSet: rewrite(selection.selectionSet, named, [...keys, key]) });
        } else {
          kept.push(selection);
        }
      }
    };
    walk(set.selections);
    const extra = (alias: string, name: string): FieldNode => ({
      kind: Kind.FIELD,
      alias: { kind: Kind.NAME, value: alias },
      name: { kind: Kind.NAME, value: name },
    });
    if (needsRestricted) {
      kept.push(extra(RESTRICTED_ALIAS, 'restricted'));
      added.push({ parentKeys: keys, key: RESTRICTED_ALIAS });
    }
    if (kept.length === 0) {
      kept.push(extra(FILLER_ALIAS, '__typename'));
      added.push({ parentKeys: keys, key: FILLER_ALIAS });
    }
    return { ...set, selections: kept };
  };

  const selectionSet = rewrite(operation.selectionSet, queryType, []);
  if (unsupported || !candidates || candidates.size !== 1) return undefined;
  const [graph] = candidates as Set<string>;
  const url = ownership.urls.get(graph as string);
  if (!url) return undefined;
  const sent: OperationDefinitionNode = { ...operation, selectionSet };
  // A removed relation takes the variables only its arguments used with it.
  const printed = print(withoutUnused({ kind: Kind.DOCUMENT, definitions: [sent] }));
  // Nothing taken out, added or inlined: the client's own text, byte for byte, so that the subgraph answers it
  // from the same parsed and validated document (its cache is keyed by the text) as the same query sent to it
  // directly, instead of a second, pretty-printed spelling of it.
  const source = document.loc?.source.body;
  const unchanged =
    source !== undefined && removals.length === 0 && added.length === 0 && printed === print(document);
  return { url, query: unchanged ? source : printed, removals, added };
}

/** Every object at `keys` below `data`, lists expanded, with its concrete response path. */
function* objectsAt(
  data: unknown,
  keys: readonly string[],
  path: (string | number)[] = [],
): Generator<[Record<string, unknown>, (string | number)[]]> {
  if (Array.isArray(data)) {
    for (const [i, item] of data.entries()) yield* objectsAt(item, keys, [...path, i]);
    return;
  }
  if (typeof data !== 'object' || data === null) return;
  if (keys.length === 0) {
    yield [data as Record<string, unknown>, path];
    return;
  }
  const [head, ...rest] = keys as [string, ...string[]];
  yield* objectsAt((data as Record<string, unknown>)[head], rest, [...path, head]);
}

/** The subgraph's answer as the client's: removed fields null with their entries, the gateway's additions gone. */
export function finish(plan: Plan, purpose: Purpose, body: ExecutionResult): ExecutionResult {
  const data = body.data as Record<string, unknown> | null | undefined;
  const entries: Redaction[] = [];
  for (const removal of plan.removals) {
    for (const [object, path] of objectsAt(data, removal.parentKeys)) {
      entries.push(removedEntry(purpose, removal.field, object, [...path, removal.key]));
      object[removal.key] = null;
    }
  }
  for (const addition of plan.added) {
    for (const [object] of objectsAt(data, addition.parentKeys)) delete object[addition.key];
  }
  const own = body.extensions?.redactions;
  const redactions = [...(Array.isArray(own) ? (own as Redaction[]) : []), ...entries];
  const errors = body.errors?.map(
    (error) =>
      new GraphQLError(error.message, {
        path: error.path,
        extensions: { ...error.extensions },
      }),
  );
  return {
    ...(data !== undefined ? { data } : {}),
    ...(errors?.length ? { errors } : {}),
    ...(redactions.length ? { extensions: { redactions } } : {}),
  };
}

/**
 * Headers a subgraph needs to apply the policy itself, the gateway's request id (its audit events name it) and
 * the client's own, as the client's, for its logs.
 */
const FORWARDED = ['authorization', 'x-purpose', 'sec-gpc', 'x-request-id', 'x-client-request-id'] as const;

export type SubgraphAnswer =
  | { readonly status: number; readonly result: ExecutionResult; readonly raw?: undefined }
  | { readonly status: number; readonly raw: Body; readonly result?: undefined };

/**
 * Runs a plan: the subgraph's HTTP status and its answer as the client's, or undefined when it gave no GraphQL
 * answer at all (down, or garbage). With `raw`, an answer that needs nothing from the gateway — no field removed,
 * nothing added, no error to filter — comes back as the subgraph's own bytes, neither parsed nor printed again:
 * its redaction entries already carry the client's paths (the subgraph answered the client's document).
 * (`"errors":` cannot occur inside a JSON string, whose quotes are escaped.)
 */
export async function askSubgraph(
  clients: DirectClients,
  plan: Plan,
  purpose: Purpose,
  header: (name: string) => string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  options: { readonly raw?: boolean } = {},
): Promise<SubgraphAnswer | undefined> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    // The one type read here (a status other than 200 is handled by its number, whatever the body's type): the
    // subgraph's plain JSON answer, without weighing a second media type against it on every request.
    accept: 'application/json',
  };
  for (const name of FORWARDED) {
    const value = header(name);
    if (value) headers[name] = value;
  }
  const body = JSON.stringify({ query: plan.query, variables: variables ?? undefined });
  const answer = await clients.post(plan.url, headers, body).catch(() => undefined);
  if (!answer) return undefined;
  const { body: bytes } = answer;
  // The scan of the whole answer comes last: only a raw candidate pays for it.
  const untouched =
    options.raw &&
    answer.status === 200 &&
    plan.removals.length === 0 &&
    plan.added.length === 0 &&
    bytes.startsWith('{"data":') &&
    !bytes.includes('"errors":');
  if (untouched) return { status: answer.status, raw: bytes };
  let parsed: ExecutionResult;
  try {
    parsed = JSON.parse(bytes.text()) as ExecutionResult;
  } catch {
    return undefined;
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    (parsed.data === undefined && !parsed.errors?.length)
  ) {
    return undefined;
  }
  return { status: answer.status, result: finish(plan, purpose, parsed) };
}

/** A query text the runtime has accepted and run on the direct path, with what it takes to price it again. */
export interface LearnedPlan {
  readonly plan: Plan;
  /** The operation's name in the document, for the request log. */
  readonly operationName: string | undefined;
  /** The runtime's schema and parsed document: the HTTP edge prices each request's variables with them. */
  readonly schema: GraphQLSchema;
  readonly document: DocumentNode;
}

/**
 * Query texts the runtime has already accepted (parsed, within the document limits, valid) and run on the
 * direct path, per purpose and operation name: the HTTP edge answers them again without the runtime (http.ts),
 * after pricing the new variables. Bounded; the oldest entry goes first.
 */
export class LearnedPlans {
  private readonly plans = new Map<string, LearnedPlan>();
  constructor(private readonly capacity = 2_000) {}

  private static key(purpose: string, operationName: string | null | undefined, query: string): string {
    return `${purpose}\u0000${operationName ?? ''}\u0000${query}`;
  }

  remember(purpose: Purpose, operationName: string | null | undefined, query: string, learned: LearnedPlan) {
    const key = LearnedPlans.key(purpose, operationName, query);
    if (this.plans.has(key)) return;
    if (this.plans.size >= this.capacity) {
      const oldest = this.plans.keys().next().value;
      if (oldest !== undefined) this.plans.delete(oldest);
    }
    this.plans.set(key, learned);
  }

  find(purpose: string, operationName: string | null | undefined, query: string): LearnedPlan | undefined {
    return this.plans.get(LearnedPlans.key(purpose, operationName, query));
  }
}

const internalError = () =>
  new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });

export function useDirectToSubgraph(
  supergraphSdl: string,
  learned: LearnedPlans,
  clients: DirectClients,
): GatewayPlugin<EdgeContext> {
  const ownership = readOwnership(supergraphSdl);
  // Parsed documents are cached by the runtime: the same object comes back for the same query text.
  const plans = new WeakMap<DocumentNode, Map<string, Plan | null>>();
  const planFor = (args: ExecutionArgs, purpose: Purpose): Plan | undefined => {
    let byPurpose = plans.get(args.document);
    if (!byPurpose) {
      byPurpose = new Map();
      plans.set(args.document, byPurpose);
    }
    const key = `${purpose}\u0000${args.operationName ?? ''}`;
    let plan = byPurpose.get(key);
    if (plan === undefined) {
      plan = planDirect(ownership, args.schema, args.document, args.operationName, purpose) ?? null;
      byPurpose.set(key, plan);
    }
    return plan ?? undefined;
  };

  return {
    onExecute({ args, setExecuteFn }) {
      const context = args.contextValue as EdgeContext & {
        request?: Request;
        params?: { query?: unknown; operationName?: unknown };
      };
      const purpose = context.principal?.purpose;
      const request = context.request;
      if (!purpose || !request) return;
      const plan = planFor(args, purpose);
      if (!plan) return;
      const query = context.params?.query;
      const operationName = context.params?.operationName;
      setExecuteFn(async (executionArgs) => {
        const answer = await askSubgraph(
          clients,
          plan,
          purpose,
          (name) => request.headers.get(name),
          executionArgs.variableValues,
        );
        // A subgraph that is down or answers garbage: the same generic error as the general path gives.
        if (!answer?.result) return { errors: [internalError()] };
        if (
          answer.status === 200 &&
          typeof query === 'string' &&
          (operationName === undefined || operationName === null || typeof operationName === 'string')
        ) {
          learned.remember(purpose, operationName, query, {
            plan,
            operationName: getOperationAST(args.document, args.operationName)?.name?.value,
            schema: args.schema,
            document: args.document,
          });
        }
        return answer.result;
      });
    },
  };
}

import { PERSONAL_FIELD_NAMES, type PersonalField, type Purpose } from '@custos/policy';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import {
  defaultFieldResolver,
  type ExecutionResult,
  type GraphQLField,
  type GraphQLFieldResolver,
  isObjectType,
  responsePathAsArray,
} from 'graphql';
import type { EdgeContext } from '../context.js';
import { neverVisible, removedEntry, strippedDocuments } from './strip.js';

/** One entry of `extensions.redactions` (DESIGN.md, "Redaction semantics"). */
export interface Redaction {
  readonly path: readonly (string | number)[];
  readonly field: string;
  readonly category: string;
  readonly reason: string;
}

/**
 * A subgraph's redaction is kept on the object that holds the redacted field, under this prefix + the field's
 * response key. It must be an enumerable string key: the gateway merges entity results into new objects by
 * copying those (a Symbol or a WeakMap entry is lost on the way), and graphql-js never serialises a key the
 * client did not select.
 */
const MARK = '__custos_redaction:';

const isRedaction = (value: unknown): value is Redaction => {
  if (typeof value !== 'object' || value === null) return false;
  const { path, field, category, reason } = value as Record<string, unknown>;
  return (
    Array.isArray(path) &&
    path.length > 0 &&
    path.every((segment) => typeof segment === 'string' || typeof segment === 'number') &&
    typeof field === 'string' &&
    typeof category === 'string' &&
    typeof reason === 'string'
  );
};

/** Tags each object a subgraph redacted a field of, following the subgraph-local path into its data. */
function markSubgraphRedactions(result: ExecutionResult): void {
  const entries = result.extensions?.redactions;
  if (!Array.isArray(entries)) return;
  for (const entry of entries) {
    if (!isRedaction(entry)) continue;
    let parent: unknown = result.data;
    for (const segment of entry.path.slice(0, -1)) {
      parent =
        typeof parent === 'object' && parent !== null
          ? (parent as Record<string, unknown>)[segment]
          : undefined;
    }
    if (typeof parent === 'object' && parent !== null) {
      (parent as Record<string, unknown>)[`${MARK}${entry.path.at(-1)}`] = entry;
    }
  }
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

type Resolver = GraphQLFieldResolver<unknown, unknown>;

/**
 * The privacy policy at the edge, and one `extensions.redactions` for the client:
 *
 * 1. Fields the declared purpose never sees (`fieldVisibility(purpose, field) === 'never'`) are taken out of
 *    every subgraph request, after planning and before sending, so no subgraph reads or returns them.
 * 2. The gateway's own resolver for such a field answers `null` and records `{ path, field, category, reason }`
 *    with the client's path (list indices and the client's aliases), once per object it resolves on: exactly
 *    the entries the subgraph would have written, and none for a row the purpose may not see, since the gateway
 *    never resolves fields on an object that does not exist.
 * 3. Fields a subgraph redacted itself (those that depend on the contact's state) come back in its
 *    `extensions.redactions` with subgraph-local paths (`_entities`, aliased root fields); the entries are tied
 *    to the objects they describe (see {@link MARK}) and recorded again, with the client's path, when the gateway
 *    resolves that field on that object.
 *
 * Rewriting the client document instead (or genericAuth's `@policy` removal) would leave the gateway no
 * resolver call to attach a path to: entries would have to be rebuilt by walking the result against the
 * document, fragments and type conditions included. Only the policy's personal fields are wrapped: wrapping
 * every resolver (@envelop/on-resolve) cost three quarters of the gateway's throughput on a list of contacts.
 */
export function useEdgePrivacy(): GatewayPlugin<EdgeContext> {
  const entries = new WeakMap<object, Redaction[]>();
  const record = (context: object, entry: Redaction): void => {
    const list = entries.get(context);
    if (list) list.push(entry);
    else entries.set(context, [entry]);
  };
  const strip = strippedDocuments();
  const purposeOf = (context: unknown): Purpose | undefined =>
    (context as EdgeContext | undefined)?.principal?.purpose;

  const guard =
    (field: PersonalField, resolve: Resolver): Resolver =>
    (root, args, context, info) => {
      const purpose = purposeOf(context);
      if (purpose && neverVisible(purpose, field)) {
        // The subgraph's entry exactly, reason included (strip.ts).
        const holder = root as Record<string, unknown> | null;
        record(context as object, removedEntry(purpose, field, holder, responsePathAsArray(info.path)));
        // Null whatever a subgraph might have sent.
        return null;
      }
      if (typeof root === 'object' && root !== null) {
        // The subgraph's key is the response key the gateway asked it for: the client's alias, or the name.
        const holder = root as Record<string, unknown>;
        const passed = holder[`${MARK}${info.path.key}`] ?? holder[`${MARK}${info.fieldName}`];
        if (isRedaction(passed))
          record(context as object, { ...passed, path: responsePathAsArray(info.path) });
      }
      return resolve(root, args, context, info);
    };
  const wrapped = new WeakSet<GraphQLField<unknown, unknown>>();

  return {
    onSchemaChange({ schema }) {
      for (const coordinate of PERSONAL_FIELD_NAMES) {
        const [typeName, fieldName] = coordinate.split('.') as [string, string];
        const type = schema.getType(typeName);
        const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
        if (!field || wrapped.has(field)) continue;
        field.resolve = guard(coordinate, field.resolve ?? defaultFieldResolver);
        wrapped.add(field);
      }
    },
    onSubgraphExecute({ subgraph, executionRequest, setExecutionRequest }) {
      const purpose = purposeOf(executionRequest.context);
      if (purpose) {
        const document = strip(executionRequest.document, subgraph, purpose);
        if (document !== executionRequest.document) setExecutionRequest({ ...executionRequest, document });
      }
      return ({ result }) => {
        if (!isAsyncIterable(result)) markSubgraphRedactions(result);
      };
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          const list = entries.get(args.contextValue);
          if (!list || isAsyncIterable(result)) return;
          setResult({ ...result, extensions: { ...result.extensions, redactions: list } });
        },
      };
    },
  };
}

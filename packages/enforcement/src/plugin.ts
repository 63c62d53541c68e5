import { type AccessRecorder, fieldBit } from '@custos/audit';
import {
  decideField,
  fieldVisibility,
  isPersonalField,
  mayRunOperation,
  ORDINARY_CONTACT,
  PERSONAL_FIELDS,
  type PersonalField,
  PURPOSES,
  type Purpose,
} from '@custos/policy';
import type { CursorCodec } from '@custos/runtime';
import { type Connection, ForbiddenError, MAX_PAGE, OpenedCursor, ValidationError } from '@custos/runtime';
import SchemaBuilder, {
  BasePlugin,
  isThenable,
  type PothosOutputFieldConfig,
  type SchemaTypes,
  unwrapOutputFieldType,
} from '@pothos/core';
import {
  defaultFieldResolver,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isObjectType,
} from 'graphql';
import { decisionOn, decisionsFor, type RowPrivacyState } from './decisions.js';
import type { RedactionLog } from './redactions.js';
import { noteSubjects, pageReach, rowDecidedFields, rowReach, type Subjects, viewRow } from './row-view.js';

/** What the guards need from the request context. */
interface PrivacyContext {
  readonly principal: { readonly purpose: Purpose };
  readonly redactions: RedactionLog;
  readonly audit: AccessRecorder;
  readonly cursors: CursorCodec;
}

/**
 * Who a row is about: every object type whose rows are about a person declares it (`extensions: {
 * auditSubject }`), so that the audit trail records, per contact, every row a response reached and what each
 * request revealed and redacted.
 */
export type AuditSubjectOf = (row: never) => Subjects;

type SubjectOf = (row: unknown) => Subjects;

/**
 * A list's page type (`extensions: { pageOf: <node type> }`, schema-types.ts): the field returning it binds
 * each page to itself, which seals its cursors for that list and purpose and counts a row as reached when its
 * cursor is read; its `after` argument is opened for that list and purpose before the resolver runs.
 */
export type PageTypeExtensions = { readonly pageOf: unknown };

type Resolver<C = object> = GraphQLFieldResolver<unknown, C, object>;

/**
 * The one mechanism that applies the policy to the schema (resolvers never decide themselves):
 * - every root field (query or mutation) runs only for a purpose the policy's operation table allows:
 *   otherwise it answers FORBIDDEN, in a 200 response, without running;
 * - every personal field (the policy's classification) resolves to null with a redaction entry when the
 *   purpose may not see it on that row, whatever resolver the field has.
 * A field added to the schema is covered by adding it to the policy, not by touching its resolver.
 */
export class CustosPrivacyPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  /**
   * The SDL tells what the server does: each personal field carries Federation's `@policy` listing the
   * purposes that may see it (on some row), and `@pii(category:)`, both generated from the policy table.
   * A gateway that enforces `@policy` removes the field for other purposes before calling the subgraph.
   */
  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    const coordinate = `${fieldConfig.parentType}.${fieldConfig.name}`;
    if (!isPersonalField(coordinate)) return fieldConfig;
    const purposes = PURPOSES.filter((purpose) => fieldVisibility(purpose, coordinate) !== 'never');
    const directives = (fieldConfig.extensions?.directives ?? {}) as Record<string, unknown>;
    return {
      ...fieldConfig,
      extensions: {
        ...fieldConfig.extensions,
        directives: {
          ...directives,
          // Federation's @policy: any one of the inner lists satisfies it, so one list per purpose.
          policy: { policies: purposes.map((purpose) => [`purpose:${purpose}`]) },
          pii: { category: PERSONAL_FIELDS[coordinate].category },
        },
      },
    };
  }

  override wrapResolve(
    resolver: Resolver<Types['Context']>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): Resolver<Types['Context']> {
    const coordinate = `${fieldConfig.parentType}.${fieldConfig.name}`;
    const subjectOfType = (type: unknown) =>
      this.buildCache.getTypeConfig(type as string).extensions?.auditSubject as SubjectOf | undefined;
    // Every row a response reaches is an access, whatever was selected of it (even `__typename`): a field
    // returning rows about a person notes each one, and a field returning a page binds it (its cursors).
    const returned = unwrapOutputFieldType(fieldConfig.type);
    const returnedConfig = this.buildCache.getTypeConfig(returned);
    let wrapped = resolver;
    const pageOf = (returnedConfig.extensions as Partial<PageTypeExtensions> | undefined)?.pageOf;
    if (pageOf !== undefined) {
      wrapped = bindPage(coordinate, 'after' in fieldConfig.args, subjectOfType(pageOf), wrapped);
    }
    const rowSubject = returnedConfig.kind === 'Object' ? subjectOfType(returned) : undefined;
    // An edge's node is reached through its page when it is read (pagination.ts `nodeAt`): no wrapper, no resolver.
    const views = rowSubject !== undefined && fieldConfig.extensions?.reachedThroughPage !== true;
    if (views) {
      const of = { subjects: rowSubject };
      wrapped = viewRows(wrapped, () => of);
    }

    let guarded = wrapped;
    if (fieldConfig.parentType === 'Query' || fieldConfig.parentType === 'Mutation') {
      guarded = guardOperation(coordinate, wrapped);
    } else if (isPersonalField(coordinate)) {
      // A parent that is no person's row (a company) states a fact about people in a relation: the purpose
      // alone decides it, and the rows it leads to carry their own state (Company.contacts lists only contacts
      // whose Contact.company the purpose may see) — and are audited as reached by the wrapped resolver.
      if (fieldConfig.extensions?.subjectless === true) {
        guarded = guardSubjectless(coordinate, wrapped);
      } else {
        const subjectOf = subjectOfType(fieldConfig.parentType);
        if (!subjectOf) {
          throw new Error(
            `${fieldConfig.parentType} has personal fields: declare whom its rows are about (extensions.auditSubject), or mark a relation from a row that is no person's \`extensions: { subjectless: true }\``,
          );
        }
        // A field that reads its row's property of the same name, and returns no rows, keeps no resolver: the
        // row's view decides it where the row is reached (row-view.ts). Any other personal field is guarded here.
        const plain = wrapped === defaultFieldResolver && returnedConfig.kind !== 'Object';
        if (!plain) guarded = guardField(coordinate, wrapped, subjectOf);
      }
    }
    if (views || pageOf !== undefined) VIEWING.add(guarded);
    return guarded;
  }
}

/**
 * The resolvers that hand out rows as their views, or bind pages that do: {@link assertRowsViewed} checks that
 * every field returning rows of a type with row-decided fields is one of them.
 */
const VIEWING = new WeakSet<object>();

/**
 * Fails when a field of the built schema could hand out a row whose personal fields are decided by its view
 * without making one: a field returning such a type (or a list of it, or an abstract type it belongs to), or a
 * page, whose resolver is not the plugin's (an edge's `node` is its page's). Run on every subgraph schema (federation.ts), so
 * a field added outside the plugin cannot carry rows past their decisions.
 */
export function assertRowsViewed(schema: GraphQLSchema): void {
  const decided = new Set<GraphQLNamedType>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (isObjectType(type) && !type.name.startsWith('__') && rowDecidedFields(type).size > 0)
      decided.add(type);
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const returned = getNamedType(field.type);
      // A page hands out its rows through its edges' `node`, which has no resolver: the field returning the page
      // must bind it (the plugin's bindPage), or the edges would answer the rows themselves.
      const page = (returned.extensions as Partial<PageTypeExtensions> | undefined)?.pageOf !== undefined;
      const carries =
        page ||
        (isAbstractType(returned)
          ? schema.getPossibleTypes(returned).some((member) => decided.has(member))
          : decided.has(returned));
      if (!carries || field.extensions?.reachedThroughPage === true) continue;
      if (!field.resolve || !VIEWING.has(field.resolve)) {
        throw new Error(
          `${type.name}.${field.name} returns rows whose personal fields are decided per row, but does not hand out their views`,
        );
      }
    }
  }
}

/** Calls `then` with a resolver's value, once it is there. */
function whenResolved(value: unknown, then: (value: unknown) => unknown): unknown {
  return isThenable(value) ? Promise.resolve(value).then(then) : then(value);
}

/**
 * Whom a row is about and its object type (the field's own when absent); undefined for a row that is about no
 * one.
 */
type RowOf = (
  row: object,
  info: GraphQLResolveInfo,
) => { readonly type?: GraphQLObjectType; readonly subjects: SubjectOf } | undefined;

/**
 * Hands out every row (or list of rows, each possibly a promise) a field returns as its view (row-view.ts): the
 * row is reached (audited with what the selection reveals and redacts of it), its redaction entries recorded,
 * and the fields the purpose may not see in its state null.
 */
function viewRows<C extends object>(resolver: Resolver<C>, rowOf: RowOf): Resolver<C> {
  return (source, args, context, info) => {
    const ctx = context as unknown as PrivacyContext;
    let reached: ReturnType<typeof rowReach> | undefined;
    const viewOne = (row: unknown, index: number | undefined) => {
      if (row === null || typeof row !== 'object') return row;
      const of = rowOf(row, info);
      if (!of) return row;
      const type = of.type ?? getNamedType(info.returnType);
      if (!isObjectType(type))
        throw new Error(`${info.parentType.name}.${info.fieldName}: rows of no object type`);
      if (reached?.type !== type) reached = rowReach(info, type);
      return viewRow(ctx, info, reached, of.subjects(row), row, index);
    };
    return whenResolved(resolver(source, args, context, info), (value) => {
      if (!Array.isArray(value)) return viewOne(value, undefined);
      // Items still pending are viewed as they settle (before the response is complete); their errors stay theirs.
      return value.map((item: unknown, index) =>
        isThenable(item) ? Promise.resolve(item).then((row) => viewOne(row, index)) : viewOne(item, index),
      );
    });
  };
}

/**
 * Federation's `_entities`: each representation names its type, whose `auditSubject` (on the built schema's
 * type) tells whom the resolved row is about.
 */
export function viewEntities<C extends object>(resolver: Resolver<C>): Resolver<C> {
  return viewRows(resolver, (row, info) => {
    const typename = (row as { __typename?: unknown }).__typename;
    const type = typeof typename === 'string' ? info.schema.getType(typename) : undefined;
    const subjects = type?.extensions?.auditSubject as SubjectOf | undefined;
    return type && isObjectType(type) && subjects ? { type, subjects } : undefined;
  });
}

/** Marks a resolver set outside the plugin as one that views its rows (`_entities`: its guard over viewEntities). */
export function viewsRows<R extends object>(resolver: R): R {
  VIEWING.add(resolver);
  return resolver;
}

function bindPage<C extends object>(
  list: string,
  takesAfter: boolean,
  subjectOf: SubjectOf | undefined,
  resolver: Resolver<C>,
): Resolver<C> {
  return (source, args, context, info) => {
    const ctx = context as unknown as PrivacyContext;
    const cursors = ctx.cursors.bind(list, ctx.principal.purpose);
    let given = args;
    const after = (args as { after?: unknown }).after;
    if (takesAfter && typeof after === 'string') {
      given = { ...args, after: new OpenedCursor(cursors.open('after', after)) };
    }
    let reach: ReturnType<typeof pageReach> | undefined;
    const binding = {
      sealAll: (keys: readonly (readonly [string, string])[]) => cursors.sealKeys(keys),
      reach: subjectOf
        ? <T>(row: T, index: number): T => {
            reach ??= pageReach(info);
            return viewRow(ctx, info, reach, subjectOf(row), row, index);
          }
        : <T>(row: T): T => row,
    };
    return whenResolved(resolver(source, given, context, info), (page) =>
      page ? (page as Connection<unknown>).bound(binding) : page,
    );
  };
}

export function guardOperation<C extends object>(operation: string, resolver: Resolver<C>): Resolver<C> {
  return (source, args, context, info) => {
    const { purpose } = (context as unknown as PrivacyContext).principal;
    if (!mayRunOperation(purpose, operation)) {
      throw new ForbiddenError(`${operation.split('.')[1]}: purpose ${purpose} may not run this operation`);
    }
    // Federation's entity batch is capped at the largest page, like every list.
    const representations = (args as { representations?: unknown[] }).representations;
    if (
      operation === 'Query._entities' &&
      Array.isArray(representations) &&
      representations.length > MAX_PAGE
    ) {
      throw new ValidationError([
        { field: 'representations', rule: 'max', message: `must hold at most ${MAX_PAGE} representations` },
      ]);
    }
    return resolver(source, args, context, info);
  };
}

function guardField<C extends object>(
  field: PersonalField,
  resolver: Resolver<C>,
  subjectOf: SubjectOf,
): Resolver<C> {
  const decisions = decisionsFor(field);
  const bit = fieldBit(field);
  return (source, args, context, info) => {
    const ctx = context as unknown as PrivacyContext;
    const decision = decisionOn(decisions, ctx.principal.purpose, source as RowPrivacyState);
    if (!decision.allowed) {
      ctx.redactions.record(info, field, decision.reason);
      noteSubjects(ctx.audit, subjectOf(source), info, 0, bit);
      return null;
    }
    noteSubjects(ctx.audit, subjectOf(source), info, bit, 0);
    return resolver(source, args, context, info);
  };
}

function guardSubjectless<C extends object>(field: PersonalField, resolver: Resolver<C>): Resolver<C> {
  const decisions = new Map(
    PURPOSES.map((purpose) => [purpose, decideField(purpose, field, ORDINARY_CONTACT)]),
  );
  return (source, args, context, info) => {
    const ctx = context as unknown as PrivacyContext;
    const decision = decisions.get(ctx.principal.purpose);
    if (!decision?.allowed) {
      ctx.redactions.record(info, field, decision?.reason ?? 'PURPOSE_NOT_ALLOWED');
      return null;
    }
    return resolver(source, args, context, info);
  };
}

const pluginName = 'custosPrivacy';

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      custosPrivacy: CustosPrivacyPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin(pluginName, CustosPrivacyPlugin);

/** The plugin's name, for a SchemaBuilder's `plugins` (apps/subgraph's and apps/tickets' builders). */
export const custosPrivacyPlugin = pluginName;

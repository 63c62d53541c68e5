import { type AccessRecorder, fieldBit } from '@custos/audit';
import { isPersonalField, type PersonalField, type Purpose, type RedactionReason } from '@custos/policy';
import {
  defaultFieldResolver,
  type FieldNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  getNamedType,
  isObjectType,
  responsePathAsArray,
} from 'graphql';
import { decisionIn, decisionsFor, type FieldDecisions, type RowPrivacyState, stateOf } from './decisions.js';
import type { RedactionLog } from './redactions.js';
import { collectFields } from './selection.js';

/**
 * Row views: the decisions of a row's plain personal fields, taken once per row where the row is reached.
 *
 * A personal field that only reads its row's property of the same name (`t.exposeString('email')`) has no
 * resolver at all: the privacy plugin leaves it to the executor, which reads the property (graphql-jit inlines the
 * read: no resolver call, resolve info or response path per row and field). Instead, every field that hands out
 * rows of such a type (a field returning the type or a list of it, a page's edges, Federation's `_entities`)
 * hands out each row's *view*: the row itself when the purpose may see every such field in the row's state, else
 * a copy in which the fields it may not see are null. The same decision table as a field guard's
 * (decisions.ts), so the answer is the same value; and at the same place, from the selection under the field
 * (aliases, fragments, `@skip`/`@include` included), the row's redaction entries (each at its response path)
 * and its audit note (one per row: the fields revealed and redacted, as bit masks).
 */

/** A row-decided field of a type: a personal field without a resolver. */
interface RowField {
  readonly name: string;
  readonly field: PersonalField;
  readonly decisions: FieldDecisions;
  readonly bit: number;
}

const ROW_FIELDS = new WeakMap<GraphQLObjectType, ReadonlyMap<string, RowField>>();

/** Whether `field` of `parent` is decided per row (a personal field the executor reads as a property). */
export function isRowDecided(parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>): boolean {
  return (
    isPersonalField(`${parent.name}.${field.name}`) &&
    (field.resolve === undefined || field.resolve === defaultFieldResolver)
  );
}

/** The row-decided fields of a built type, by field name. */
export function rowDecidedFields(type: GraphQLObjectType): ReadonlyMap<string, RowField> {
  let fields = ROW_FIELDS.get(type);
  if (!fields) {
    const found = new Map<string, RowField>();
    for (const field of Object.values(type.getFields())) {
      if (!isRowDecided(type, field)) continue;
      const coordinate = `${type.name}.${field.name}` as PersonalField;
      found.set(field.name, {
        name: field.name,
        field: coordinate,
        decisions: decisionsFor(coordinate),
        bit: fieldBit(coordinate),
      });
    }
    fields = found;
    ROW_FIELDS.set(type, fields);
  }
  return fields;
}

/** A row-decided field a selection asks for, under its response name. */
interface Pick {
  readonly responseName: string;
  readonly row: RowField;
}

/**
 * One place where a field's rows appear in the response, relative to the field: `[...before, index, ...after]`
 * (the index only for a list), and the row-decided fields the selection there asks for.
 */
interface Site {
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly picks: readonly Pick[];
}

/** What a row in one state produces for one purpose, over every site of a field. */
interface RowPlan {
  readonly revealed: number;
  readonly redacted: number;
  readonly redactions: readonly {
    readonly site: Site;
    readonly pick: Pick;
    readonly reason: RedactionReason;
  }[];
  /** Every row-decided field of the type the purpose may not see in this state (nulled in the view). */
  readonly hidden: readonly string[];
}

/** The sites of one field's rows of one type, with the plans computed from them (per purpose, per state). */
class Reach {
  readonly #plans = new Map<Purpose, RowPlan[]>();
  constructor(
    readonly type: GraphQLObjectType,
    readonly sites: readonly Site[],
  ) {}

  plan(purpose: Purpose, state: number): RowPlan {
    let plans = this.#plans.get(purpose);
    if (!plans) {
      plans = [0, 1, 2, 3].map((s) => this.#compute(purpose, s));
      this.#plans.set(purpose, plans);
    }
    return plans[state]!;
  }

  #compute(purpose: Purpose, state: number): RowPlan {
    let revealed = 0;
    let redacted = 0;
    const redactions: { site: Site; pick: Pick; reason: RedactionReason }[] = [];
    for (const site of this.sites) {
      for (const pick of site.picks) {
        const decision = decisionIn(pick.row.decisions, purpose, state);
        if (decision.allowed) revealed |= pick.row.bit;
        else {
          redacted |= pick.row.bit;
          redactions.push({ site, pick, reason: decision.reason });
        }
      }
    }
    const hidden = [...rowDecidedFields(this.type).values()]
      .filter((row) => !decisionIn(row.decisions, purpose, state).allowed)
      .map((row) => row.name);
    return { revealed, redacted, redactions, hidden };
  }
}

/** Reaches computed once per document (the field nodes are the compiled document's), unless variables decide. */
const REACHES = new WeakMap<readonly FieldNode[], Map<string, Reach>>();

function cachedReach(
  info: GraphQLResolveInfo,
  key: string,
  build: () => { reach: Reach; dependsOnVariables: boolean },
): Reach {
  let byKey = REACHES.get(info.fieldNodes);
  const known = byKey?.get(key);
  if (known) return known;
  const { reach, dependsOnVariables } = build();
  if (!dependsOnVariables) {
    if (!byKey) {
      byKey = new Map();
      REACHES.set(info.fieldNodes, byKey);
    }
    byKey.set(key, reach);
  }
  return reach;
}

function picksOf(type: GraphQLObjectType, fields: ReturnType<typeof collectFields>['fields']): Pick[] {
  const rows = rowDecidedFields(type);
  const picks: Pick[] = [];
  for (const [responseName, { name }] of fields) {
    const row = rows.get(name);
    if (row) picks.push({ responseName, row });
  }
  return picks;
}

/** The rows of type `type` a field returns (the type, a list of it, or `_entities`' members). */
export function rowReach(info: GraphQLResolveInfo, type: GraphQLObjectType): Reach {
  return cachedReach(info, `rows ${type.name}`, () => {
    const collected = collectFields(info, type, info.fieldNodes);
    return {
      reach: new Reach(type, [{ before: [], after: [], picks: picksOf(type, collected.fields) }]),
      dependsOnVariables: collected.dependsOnVariables,
    };
  });
}

/** The rows of a page (`<Name>Connection`) a field returns, reached through `edges { node }` under any alias. */
export function pageReach(info: GraphQLResolveInfo): Reach {
  return cachedReach(info, 'page', () => {
    const connection = getNamedType(info.returnType);
    const edgeType = isObjectType(connection) ? getNamedType(connection.getFields().edges?.type) : undefined;
    const nodeType = isObjectType(edgeType) ? getNamedType(edgeType.getFields().node?.type) : undefined;
    if (!isObjectType(connection) || !isObjectType(edgeType) || !isObjectType(nodeType)) {
      throw new Error(
        `${info.parentType.name}.${info.fieldName}: a page's edges must lead to an object type`,
      );
    }
    const page = collectFields(info, connection, info.fieldNodes);
    let dependsOnVariables = page.dependsOnVariables;
    const sites: Site[] = [];
    for (const [edgesName, edges] of page.fields) {
      if (edges.name !== 'edges') continue;
      const edge = collectFields(info, edgeType, edges.nodes);
      dependsOnVariables ||= edge.dependsOnVariables;
      for (const [nodeName, node] of edge.fields) {
        if (node.name !== 'node') continue;
        const row = collectFields(info, nodeType, node.nodes);
        dependsOnVariables ||= row.dependsOnVariables;
        sites.push({ before: [edgesName], after: [nodeName], picks: picksOf(nodeType, row.fields) });
      }
    }
    return { reach: new Reach(nodeType, sites), dependsOnVariables };
  });
}

/** What viewing a row needs from the request context. */
export interface RowViewContext {
  readonly principal: { readonly purpose: Purpose };
  readonly redactions: RedactionLog;
  readonly audit: AccessRecorder;
}

/** Whom a row is about. */
export type Subjects = string | readonly string[];

/** Notes a row's subjects in the request's audit recorder. */
export function noteSubjects(
  audit: AccessRecorder,
  subjects: Subjects,
  info: GraphQLResolveInfo,
  revealed: number,
  redacted: number,
): void {
  if (typeof subjects === 'string') audit.note(subjects, info, revealed, redacted);
  else for (const subject of subjects) audit.note(subject, info, revealed, redacted);
}

/**
 * Reaches one row handed out by a field: notes its subjects with the fields revealed and redacted, records its
 * redaction entries, and answers the row's view. `index` is the row's position in a list (undefined for a field
 * returning one row).
 */
export function viewRow<T>(
  context: RowViewContext,
  info: GraphQLResolveInfo,
  reach: Reach,
  subjects: Subjects,
  row: T,
  index: number | undefined,
): T {
  const plan = reach.plan(context.principal.purpose, stateOf(row as RowPrivacyState));
  noteSubjects(context.audit, subjects, info, plan.revealed, plan.redacted);
  if (plan.redactions.length > 0) {
    const base = responsePathAsArray(info.path);
    for (const { site, pick, reason } of plan.redactions) {
      const at = index === undefined ? site.before : [...site.before, index];
      context.redactions.recordAt([...base, ...at, ...site.after, pick.responseName], pick.row.field, reason);
    }
  }
  return plan.hidden.length === 0 || alreadyHidden(row, plan.hidden) ? row : hide(row, plan.hidden);
}

/**
 * Whether every field to hide is already null or absent on the row: so is a list's row, whose statement nulled
 * those columns itself (row-scope.ts `visibleExpression`) or did not select them. Then the row is its own view.
 */
function alreadyHidden(row: unknown, fields: readonly string[]): boolean {
  const values = row as Record<string, unknown>;
  for (const field of fields) if (values[field] != null) return false;
  return true;
}

/**
 * A copy of `row` with `fields` null. A plain object is copied (a spread, which V8 does with the row's own
 * layout), with its non-enumerable own properties, which a spread leaves out (Federation's `__typename` on
 * `_entities` rows, a type brand) added back as they were; anything else (a class instance, whose methods may
 * rely on its identity) is read through a prototype.
 */
function hide<T>(row: T, fields: readonly string[]): T {
  const prototype = Object.getPrototypeOf(row) as object | null;
  if (prototype !== Object.prototype && prototype !== null) {
    const view = Object.create(row as object) as object;
    for (const field of fields) {
      Object.defineProperty(view, field, {
        value: null,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return view as T;
  }
  const copy = { ...(row as Record<string, unknown>) };
  for (const field of fields) copy[field] = null;
  for (const key of Reflect.ownKeys(row as object)) {
    if (!Object.hasOwn(copy, key)) {
      Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(row as object, key)!);
    }
  }
  return copy as T;
}

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
import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { type AccessRecorder, fieldBit } from '../audit/recorder.js';
import { ForbiddenError, ValidationError } from '../shared/errors.js';
import { MAX_PAGE } from '../shared/pagination.js';
import { decisionOn, decisionsFor, type RowPrivacyState } from './decisions.js';
import type { RedactionLog } from './redactions.js';

/** What the guards need from the request context. */
interface PrivacyContext {
  readonly principal: { readonly purpose: Purpose };
  readonly redactions: RedactionLog;
  readonly audit: AccessRecorder;
}

/**
 * Who a row is about: every object type with personal fields declares it (`extensions: { auditSubject }`), so
 * that the audit trail records, per contact, what each request revealed and redacted.
 */
export type AuditSubjectOf = (row: never) => string;

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
    if (fieldConfig.parentType === 'Query' || fieldConfig.parentType === 'Mutation') {
      return guardOperation(coordinate, resolver);
    }
    const subjectOf = this.buildCache.getTypeConfig(fieldConfig.parentType).extensions?.auditSubject as
      | AuditSubjectOf
      | undefined;
    if (isPersonalField(coordinate)) {
      // A parent that is no person's row (a company) states a fact about people in a relation: the purpose
      // alone decides it, and the rows it leads to carry their own state (Company.contacts lists only contacts
      // whose Contact.company the purpose may see).
      if (fieldConfig.extensions?.subjectless === true) return guardSubjectless(coordinate, resolver);
      if (!subjectOf) {
        throw new Error(
          `${fieldConfig.parentType} has personal fields: declare whom its rows are about (extensions.auditSubject), or mark a relation from a row that is no person's \`extensions: { subjectless: true }\``,
        );
      }
      return guardField(coordinate, resolver, subjectOf as (row: unknown) => string);
    }
    // A row whose id was read reached the caller even when no personal field was asked for.
    if (subjectOf && fieldConfig.name === 'id')
      return noteRow(resolver, subjectOf as (row: unknown) => string);
    return resolver;
  }
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
  subjectOf: (row: unknown) => string,
): Resolver<C> {
  const decisions = decisionsFor(field);
  const bit = fieldBit(field);
  return (source, args, context, info) => {
    const ctx = context as unknown as PrivacyContext;
    const decision = decisionOn(decisions, ctx.principal.purpose, source as RowPrivacyState);
    if (!decision.allowed) {
      ctx.redactions.record(info, field, decision.reason);
      ctx.audit.note(subjectOf(source), info, 0, bit);
      return null;
    }
    ctx.audit.note(subjectOf(source), info, bit, 0);
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

function noteRow<C extends object>(resolver: Resolver<C>, subjectOf: (row: unknown) => string): Resolver<C> {
  return (source, args, context, info) => {
    (context as unknown as PrivacyContext).audit.note(subjectOf(source), info, 0, 0);
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

export default pluginName;

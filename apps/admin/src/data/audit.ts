import { type GetListResult, type GetOneResult, HttpError, type UpdateResult } from 'react-admin';
import { instant, text } from './filters';
import { notFound, type ResourceModule, type Row } from './resource';

const EVENT_FIELDS = /* GraphQL */ `
  id
  occurredAt
  service
  actor
  actorRoles
  purpose
  policyVersion
  operationType
  operationName
  rootFields
  requestId
  outcome
  subjectCount
  refusalReason
  refusals
  accesses {
    channel
    revealedFields
    redactedFields
    subjectCount
    contactIds
  }
`;

const EVENT_FILTER_VARIABLES = `$contactId: ID, $actor: String, $purpose: String, $from: DateTime, $to: DateTime`;
const EVENT_FILTER_ARGS = `contactId: $contactId, actor: $actor, purpose: $purpose, from: $from, to: $to`;

/** The audit trail, newest first, by contact, actor, purpose and time. */
export const AUDIT_EVENTS_PAGE = /* GraphQL */ `
  query ConsoleAuditEvents($first: Int!, $after: String, ${EVENT_FILTER_VARIABLES}) {
    auditEvents(first: $first, after: $after, ${EVENT_FILTER_ARGS}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${EVENT_FIELDS} } }
    }
  }
`;

export const AUDIT_EVENTS_CURSOR = /* GraphQL */ `
  query ConsoleAuditEventsCursor($first: Int!, $after: String, ${EVENT_FILTER_VARIABLES}) {
    auditEvents(first: $first, after: $after, ${EVENT_FILTER_ARGS}) {
      totalCount
      pageInfo { hasNextPage endCursor }
    }
  }
`;

/** One event by its id (the show page, opened from the list, a link or a reload). */
export const AUDIT_EVENT = /* GraphQL */ `
  query ConsoleAuditEvent($id: ID!) {
    auditEvent(id: $id) { ${EVENT_FIELDS} }
  }
`;

const ALERT_FIELDS = `id ruleId kind actor purpose firedAt service details status acknowledgedBy acknowledgedAt`;

export const AUDIT_ALERTS_PAGE = /* GraphQL */ `
  query ConsoleAuditAlerts($first: Int!, $after: String, $status: AuditAlertStatus) {
    auditAlerts(first: $first, after: $after, status: $status) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${ALERT_FIELDS} } }
    }
  }
`;

export const AUDIT_ALERTS_CURSOR = /* GraphQL */ `
  query ConsoleAuditAlertsCursor($first: Int!, $after: String, $status: AuditAlertStatus) {
    auditAlerts(first: $first, after: $after, status: $status) {
      totalCount
      pageInfo { hasNextPage endCursor }
    }
  }
`;

export const ACKNOWLEDGE_AUDIT_ALERT = /* GraphQL */ `
  mutation ConsoleAcknowledgeAuditAlert($id: ID!) {
    acknowledgeAuditAlert(id: $id) { ${ALERT_FIELDS} }
  }
`;

export const VERIFY_AUDIT_LOG = /* GraphQL */ `
  query ConsoleVerifyAuditLog {
    verifyAuditLog { valid batches events headSeq checkpoints lastCheckpointSeq brokenBatchSeq problem }
  }
`;

const RULE_FIELDS = `id kind description params enabled updatedAt updatedBy`;

export const AUDIT_RULES = /* GraphQL */ `
  query ConsoleAuditRules {
    auditRules { ${RULE_FIELDS} }
  }
`;

export const SET_AUDIT_RULE = /* GraphQL */ `
  mutation ConsoleSetAuditRule($input: AuditRuleInput!) {
    setAuditRule(input: $input) { ${RULE_FIELDS} }
  }
`;

/** The numbers of a verification of the audit chain, in the order the console shows them. */
export const AUDIT_CHECK_NUMBERS = [
  'events',
  'batches',
  'headSeq',
  'checkpoints',
  'lastCheckpointSeq',
  'brokenBatchSeq',
] as const;

export type AuditLogCheck = { readonly valid: boolean; readonly problem: string | null } & {
  readonly [key in (typeof AUDIT_CHECK_NUMBERS)[number]]: number | null;
};

/** The custom methods of the dataProvider for the audit screens (useDataProvider<AuditActions>()). */
export type AuditActions = {
  readonly acknowledgeAuditAlert: (params: { id: string }) => Promise<{ data: Row }>;
  readonly verifyAuditLog: () => Promise<{ data: AuditLogCheck }>;
};

/** The list's filter as the query's variables: only those set. */
export function eventFilterVariables(filter: Record<string, unknown> = {}): Record<string, string> {
  const variables: Record<string, string | undefined> = {
    contactId: text(filter.contactId),
    actor: text(filter.actor),
    purpose: text(filter.purpose),
    from: instant(filter.from),
    to: instant(filter.to),
  };
  return Object.fromEntries(
    Object.entries(variables).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** `auditEvents`: the trail (getList with its filters) and one event by its id (getOne, auditEvent). */
export const auditEventsResource: ResourceModule = {
  name: 'auditEvents',
  handlers: ({ graphql, pager }) => ({
    getList: (params): Promise<GetListResult> =>
      pager({
        field: 'auditEvents',
        pageDocument: AUDIT_EVENTS_PAGE,
        cursorDocument: AUDIT_EVENTS_CURSOR,
        variables: eventFilterVariables(params.filter),
        page: params.pagination?.page ?? 1,
        perPage: params.pagination?.perPage ?? 25,
        signal: params.signal,
      }),
    async getOne(params): Promise<GetOneResult> {
      const result = await graphql<{ auditEvent: Row | null }>(
        AUDIT_EVENT,
        { id: String(params.id) },
        params.signal,
      );
      if (!result.data.auditEvent) throw notFound('Audit event');
      return { data: result.data.auditEvent };
    },
  }),
};

const STATUSES = new Set(['OPEN', 'ACKNOWLEDGED']);

/** `auditAlerts`: alerts by state; acknowledge and the chain's verification are custom methods. */
export const auditAlertsResource: ResourceModule = {
  name: 'auditAlerts',
  handlers: ({ pager }) => ({
    getList: (params): Promise<GetListResult> => {
      const status = params.filter?.status;
      return pager({
        field: 'auditAlerts',
        pageDocument: AUDIT_ALERTS_PAGE,
        cursorDocument: AUDIT_ALERTS_CURSOR,
        variables: typeof status === 'string' && STATUSES.has(status) ? { status } : {},
        page: params.pagination?.page ?? 1,
        perPage: params.pagination?.perPage ?? 25,
        signal: params.signal,
      });
    },
  }),
  methods: ({ graphql, assertAllowed }): AuditActions => ({
    async acknowledgeAuditAlert({ id }) {
      assertAllowed('acknowledge', 'auditAlerts');
      const result = await graphql<{ acknowledgeAuditAlert: Row | null }>(ACKNOWLEDGE_AUDIT_ALERT, { id });
      if (!result.data.acknowledgeAuditAlert) throw notFound('Audit alert');
      return { data: result.data.acknowledgeAuditAlert };
    },
    async verifyAuditLog() {
      assertAllowed('verify', 'auditAlerts');
      const result = await graphql<{ verifyAuditLog: AuditLogCheck }>(VERIFY_AUDIT_LOG, {});
      return { data: result.data.verifyAuditLog };
    },
  }),
};

const RULE_FORM_FIELDS = new Set(['id', 'kind', 'description', 'params', 'enabled']);

/**
 * The server names a problem inside the params by the parameter (`limit`, `timeZone`…): on the form it belongs to
 * the params field, as "limit: must be …". Problems of the form's own fields stay where they are.
 */
function onRuleFields(caught: unknown): unknown {
  if (!(caught instanceof HttpError)) return caught;
  const body = caught.body as { problems?: readonly { field: string; message: string }[] } | undefined;
  const problems = body?.problems ?? [];
  if (problems.length === 0) return caught;
  const errors: Record<string, unknown> = { ...(caught.body.errors as Record<string, unknown>) };
  const inParams: string[] = [];
  for (const problem of problems) {
    if (RULE_FORM_FIELDS.has(problem.field)) continue;
    delete errors[problem.field];
    inParams.push(`${problem.field}: ${problem.message}`);
  }
  if (inParams.length > 0) {
    const own = typeof errors.params === 'string' ? [errors.params] : [];
    errors.params = [...own, ...inParams].join('; ');
  }
  return new HttpError(caught.message, caught.status, { ...caught.body, errors });
}

/** `auditRules`: every monitoring rule (one short list), one by id, and its update through setAuditRule. */
export const auditRulesResource: ResourceModule = {
  name: 'auditRules',
  handlers: ({ graphql }) => {
    const all = async (signal?: AbortSignal) =>
      (await graphql<{ auditRules: Row[] }>(AUDIT_RULES, {}, signal)).data.auditRules;
    return {
      async getList(params): Promise<GetListResult> {
        const rules = await all(params.signal);
        const { page = 1, perPage = 25 } = params.pagination ?? {};
        return { data: rules.slice((page - 1) * perPage, page * perPage), total: rules.length };
      },
      async getOne(params): Promise<GetOneResult> {
        const rule = (await all(params.signal)).find((row) => row.id === String(params.id));
        if (!rule) throw notFound('Monitoring rule');
        return { data: rule };
      },
      async update(params): Promise<UpdateResult> {
        const data = params.data as Record<string, unknown>;
        const input = {
          id: String(params.id),
          kind: data.kind,
          description: typeof data.description === 'string' ? data.description : '',
          params: typeof data.params === 'string' ? data.params : '',
          enabled: data.enabled === true,
        };
        try {
          const result = await graphql<{ setAuditRule: Row }>(SET_AUDIT_RULE, { input });
          return { data: result.data.setAuditRule };
        } catch (caught) {
          throw onRuleFields(caught);
        }
      },
    };
  },
};

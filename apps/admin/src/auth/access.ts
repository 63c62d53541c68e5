import {
  fieldVisibility,
  isPersonalField,
  mayRunOperation,
  type Operation,
  type Purpose,
} from '@custos/policy';

/**
 * What each react-admin action on a resource runs on the server. Access is the policy's answer for that operation
 * and the declared purpose: the console never names a role or a purpose to decide what it shows. An action with
 * no operation here (e.g. delete) is never offered.
 */
export const RESOURCE_OPERATIONS = {
  contacts: {
    type: 'Contact',
    actions: {
      list: 'Query.contacts',
      show: 'Query.contact',
      edit: 'Mutation.updateContact',
      create: 'Mutation.createContact',
      export: 'Query.contacts',
    },
  },
  /** Organisations (no personal field): the contact list's company filter finds them by name. */
  companies: { type: 'Company', actions: { list: 'Query.companies', show: 'Query.company' } },
  /** The purposes of processing and the record of processing (the Processing page, from the policy). */
  processing: { type: 'ProcessingPurpose', actions: { list: 'Query.purposes' } },
  /** A contact's consent ledger and the privacy actions on it. */
  consents: {
    type: 'ConsentEvent',
    actions: {
      list: 'Query.consentHistory',
      create: 'Mutation.recordConsent',
      record: 'Mutation.recordConsent',
      withdraw: 'Mutation.withdrawConsent',
      object: 'Mutation.objectToProcessing',
    },
  },
  /** A contact's current status per purpose. */
  consentStates: { type: 'ConsentState', actions: { list: 'Query.currentConsents' } },
  /** One ledger event as an ISO/IEC TS 27560 receipt. */
  consentReceipts: { type: 'ConsentReceipt', actions: { show: 'Query.consentReceipt' } },
  /** Published privacy notices (the versions a consent names). */
  privacyNotices: {
    type: 'PrivacyNotice',
    actions: {
      list: 'Query.privacyNotices',
      show: 'Query.privacyNotice',
      create: 'Mutation.publishPrivacyNotice',
    },
  },
  /** The consent tools page (listed where the ledger may be verified): CSV import and ledger verification. */
  consentTools: {
    type: 'ConsentLedgerCheck',
    actions: {
      list: 'Query.verifyConsentLedger',
      verify: 'Query.verifyConsentLedger',
      import: 'Mutation.importConsents',
    },
  },
  /** The audit trail: who did what with whose data, for what purpose. */
  auditEvents: { type: 'AuditEvent', actions: { list: 'Query.auditEvents', show: 'Query.auditEvent' } },
  /** Alerts raised by the monitoring rules, and the verification of the audit chain they sit next to. */
  auditAlerts: {
    type: 'AuditAlert',
    actions: {
      list: 'Query.auditAlerts',
      acknowledge: 'Mutation.acknowledgeAuditAlert',
      verify: 'Query.verifyAuditLog',
    },
  },
  /** The monitoring rules over the audit trail. */
  auditRules: {
    type: 'AuditRule',
    actions: { list: 'Query.auditRules', show: 'Query.auditRules', edit: 'Mutation.setAuditRule' },
  },
  /**
   * A contact's relations, read through `contact(id)` (the contact show page's tabs): whoever may open a contact
   * gets the tab, and the relation itself is the server's to answer per purpose and contact — its rows, or null
   * with the reason it is redacted.
   */
  interactions: { type: 'Interaction', actions: { list: 'Query.contact' } },
  tickets: { type: 'Ticket', actions: { list: 'Query.contact' } },
  /** The duplicate-email review queue: pairs to resolve as distinct people or the same person. */
  contactDuplicates: {
    type: 'ContactDuplicate',
    actions: { list: 'Query.contactDuplicates', resolve: 'Mutation.resolveContactDuplicate' },
  },
  /** The dashboard's aggregate queries, one action each. */
  dashboard: {
    type: 'Query',
    actions: {
      consentTrend: 'Query.consentTrend',
      consentRates: 'Query.consentRates',
      alertSummary: 'Query.alertSummary',
      duplicateReviewSummary: 'Query.duplicateReviewSummary',
    },
  },
} as const satisfies Record<string, { type: string; actions: Readonly<Record<string, Operation>> }>;

export type ResourceName = keyof typeof RESOURCE_OPERATIONS;

function isResource(name: string): name is ResourceName {
  return Object.hasOwn(RESOURCE_OPERATIONS, name);
}

function operationOf(resource: ResourceName, action: string): Operation | undefined {
  const actions: Readonly<Record<string, Operation>> = RESOURCE_OPERATIONS[resource].actions;
  return Object.hasOwn(actions, action) ? actions[action] : undefined;
}

/**
 * May the declared purpose do `action` on `resource`? Resources are those of RESOURCE_OPERATIONS, or a field of
 * one, `contacts.email`, with action `read` (the purpose may open the resource and sees the field on some rows:
 * the screens show its columns, fields and filters only then) or `write` (it may also edit the resource, and a
 * purpose writes only the personal fields it may read — the server's rule).
 */
export function mayAccess(purpose: Purpose | undefined, action: string, resource: string): boolean {
  if (!purpose) return false;
  const [name = '', field, ...rest] = resource.split('.');
  if (!isResource(name) || rest.length > 0) return false;
  if (field === undefined) {
    const operation = operationOf(name, action);
    return operation !== undefined && mayRunOperation(purpose, operation);
  }
  const coordinate = `${RESOURCE_OPERATIONS[name].type}.${field}`;
  const personal = isPersonalField(coordinate);
  const readable = !personal || fieldVisibility(purpose, coordinate) !== 'never';
  if (action === 'read') return readable && mayAccess(purpose, 'show', name);
  if (action === 'write') return personal && readable && mayAccess(purpose, 'edit', name);
  return false;
}

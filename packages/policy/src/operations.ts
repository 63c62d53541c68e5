import { PURPOSES, type Purpose } from './purposes.js';

/**
 * Every query and mutation, and the purposes that may run it. An operation a purpose may not run answers
 * FORBIDDEN (DESIGN.md, "Errors"). Rows and fields inside an allowed operation are still decided per purpose.
 */
const EVERY_PURPOSE = PURPOSES;
const CONTACT_READERS = PURPOSES.filter((p) => p !== 'analytics');
const CONTACT_WRITERS = ['customer_support', 'sales', 'compliance'] as const satisfies readonly Purpose[];
const CONSENT_CHANGERS = [
  'customer_support',
  'sales',
  'marketing',
  'sale_share',
  'compliance',
] as const satisfies readonly Purpose[];
/**
 * The console's dashboard: counts, no row and no personal field, every count of people's choices small-cell
 * suppressed (Art 89(1)). For the two purposes that run the system and answer for it; not analytics (its
 * reporting API, when it exists, has its own rules), nor the purposes that act on contacts.
 */
const DASHBOARD_READERS = ['compliance', 'administration'] as const satisfies readonly Purpose[];
const TICKET_READERS = [
  'customer_support',
  'sales',
  'compliance',
  'administration',
] as const satisfies readonly Purpose[];

export const OPERATIONS = {
  'Query.contact': CONTACT_READERS,
  'Query.contacts': CONTACT_READERS,
  /** Federation's entity resolution: the same rule as `contact(id)`. */
  'Query._entities': CONTACT_READERS,
  'Query.interaction': CONTACT_WRITERS,
  /** Company data describes organisations, not people. */
  'Query.company': EVERY_PURPOSE,
  'Query.companies': EVERY_PURPOSE,
  /** What the declared purpose may run and see: every caller may ask. */
  'Query.myAccess': EVERY_PURPOSE,
  'Query.policyVersion': EVERY_PURPOSE,
  /** The purposes of processing with their lawful bases and data categories (Art 13(1)(c)): no personal data. */
  'Query.purposes': EVERY_PURPOSE,
  'Query._service': EVERY_PURPOSE,
  'Mutation.createContact': CONTACT_WRITERS,
  'Mutation.updateContact': CONTACT_WRITERS,
  'Mutation.createInteraction': CONTACT_WRITERS,
  'Mutation.updateInteraction': CONTACT_WRITERS,
  /** apps/tickets: support tickets, each about one contact and row-scoped by that contact. */
  'Query.ticket': TICKET_READERS,
  'Query.tickets': TICKET_READERS,
  /**
   * The consent ledger. Recording a consent answer is for staff who talk to the person (support) and the privacy
   * officer; a withdrawal or an objection may be recorded by anyone who sees the contact (Art 7(3): as easy to
   * withdraw as to give). The ledger itself is read by support and compliance; verifying it by compliance.
   */
  'Mutation.recordConsent': ['customer_support', 'compliance'],
  'Mutation.withdrawConsent': CONSENT_CHANGERS,
  'Mutation.objectToProcessing': CONSENT_CHANGERS,
  'Mutation.limitSensitiveDataUse': ['customer_support', 'compliance'],
  /** Bulk: the privacy officer's, who sees every contact an import may name. */
  'Mutation.importConsents': ['compliance'],
  'Query.consentHistory': ['customer_support', 'compliance'],
  'Query.consentReceipt': ['customer_support', 'compliance'],
  'Query.verifyConsentLedger': ['compliance'],
  /** A contact's current state per purpose: read like its ledger. */
  'Query.currentConsents': ['customer_support', 'compliance'],
  /**
   * Privacy notices are what every person is shown (Art 13, CCPA notice at collection): anyone may read them;
   * publishing a version is the privacy officer's, and a published version is never edited.
   */
  'Query.privacyNotices': EVERY_PURPOSE,
  'Query.privacyNotice': EVERY_PURPOSE,
  'Mutation.publishPrivacyNotice': ['compliance'],
  /**
   * The audit trail (Art 5(2), 30): who read which personal field of whom, for what purpose. Personal data
   * itself, so the privacy officer's alone: the events, the chain check, the monitoring rules and their alerts.
   */
  'Query.auditEvents': ['compliance'],
  /** One event of the trail (the console's event page): the same rule as the trail it belongs to. */
  'Query.auditEvent': ['compliance'],
  'Query.verifyAuditLog': ['compliance'],
  'Query.auditAlerts': ['compliance'],
  'Query.auditRules': ['compliance'],
  'Mutation.setAuditRule': ['compliance'],
  'Mutation.acknowledgeAuditAlert': ['compliance'],
  /** The duplicate-email review queue: only a privacy officer may learn that a hidden person exists. */
  'Query.contactDuplicates': ['compliance'],
  'Mutation.resolveContactDuplicate': ['compliance'],
  /**
   * The job queue's dead letters (jobs that failed their last retry: a mail to a data subject never sent) and
   * their re-drive: the privacy officer's, who answers for a confirmation or an answer that did not go out.
   */
  'Query.deadLetters': ['compliance'],
  'Mutation.redriveDeadLetter': ['compliance'],
  'Mutation.createCompany': ['customer_support', 'sales', 'compliance', 'administration'],
  'Mutation.updateCompany': ['customer_support', 'sales', 'compliance', 'administration'],
  'Query.consentTrend': DASHBOARD_READERS,
  'Query.consentRates': DASHBOARD_READERS,
  'Query.alertSummary': DASHBOARD_READERS,
  'Query.duplicateReviewSummary': DASHBOARD_READERS,
} as const satisfies Record<string, readonly Purpose[]>;

export type Operation = keyof typeof OPERATIONS;

export function isOperation(value: string): value is Operation {
  return Object.hasOwn(OPERATIONS, value);
}

/**
 * The row type each operation answers with (a list, connection or payload of it counts as the type): what a
 * purpose reaches from the root. Relations may lead a purpose only to these (relations.ts); the federation
 * suite checks this table against the composed schema.
 */
export const OPERATION_RESULTS = {
  'Query.contact': 'Contact',
  'Query.contacts': 'Contact',
  'Query._entities': 'Contact',
  'Query.interaction': 'Interaction',
  'Query.company': 'Company',
  'Query.companies': 'Company',
  'Query.myAccess': 'Access',
  'Query.policyVersion': 'String',
  'Query.purposes': 'ProcessingPurpose',
  'Query._service': '_Service',
  'Mutation.createContact': 'Contact',
  'Mutation.updateContact': 'Contact',
  'Mutation.createInteraction': 'Interaction',
  'Mutation.updateInteraction': 'Interaction',
  'Query.ticket': 'Ticket',
  'Query.tickets': 'Ticket',
  'Mutation.recordConsent': 'ConsentEvent',
  'Mutation.withdrawConsent': 'ConsentEvent',
  'Mutation.objectToProcessing': 'ConsentEvent',
  'Mutation.limitSensitiveDataUse': 'Contact',
  'Mutation.importConsents': 'ConsentImport',
  'Query.consentHistory': 'ConsentEvent',
  'Query.consentReceipt': 'ConsentReceipt',
  'Query.verifyConsentLedger': 'ConsentLedgerCheck',
  'Query.currentConsents': 'ConsentState',
  'Query.privacyNotices': 'PrivacyNotice',
  'Query.privacyNotice': 'PrivacyNotice',
  'Mutation.publishPrivacyNotice': 'PrivacyNotice',
  'Query.auditEvents': 'AuditEvent',
  'Query.auditEvent': 'AuditEvent',
  'Query.verifyAuditLog': 'AuditLogCheck',
  'Query.auditAlerts': 'AuditAlert',
  'Query.auditRules': 'AuditRule',
  'Mutation.setAuditRule': 'AuditRule',
  'Mutation.acknowledgeAuditAlert': 'AuditAlert',
  'Query.contactDuplicates': 'ContactDuplicate',
  'Mutation.resolveContactDuplicate': 'ContactDuplicate',
  'Query.deadLetters': 'DeadLetter',
  'Mutation.redriveDeadLetter': 'Boolean',
  'Mutation.createCompany': 'Company',
  'Mutation.updateCompany': 'Company',
  'Query.consentTrend': 'ConsentTrend',
  'Query.consentRates': 'ConsentRates',
  'Query.alertSummary': 'AlertSummary',
  'Query.duplicateReviewSummary': 'DuplicateReviewSummary',
} as const satisfies Record<Operation, string>;

import type { DataCategory } from './categories.js';

/**
 * Every field of the API that holds personal data, with its category. Derived fields (a masked, partial or
 * generalised form of another) are fields of their own with their own policy rows: a field never carries a
 * masked value of itself (DESIGN.md, "Redaction semantics").
 */
export interface FieldDefinition {
  readonly category: DataCategory;
  readonly description: string;
  /** The field this one is computed from, and how: a derived field may be shown where its source is not. */
  readonly derivedFrom?: { readonly field: string; readonly form: 'masked' | 'partial' | 'generalised' };
}

export const PERSONAL_FIELDS = {
  'Contact.fullName': { category: 'user.name', description: 'Full name' },
  'Contact.email': { category: 'user.contact.email', description: 'Email address' },
  'Contact.emailMasked': {
    category: 'user.contact.email',
    description: 'Email with the local part masked (j***@example.com)',
    derivedFrom: { field: 'Contact.email', form: 'masked' },
  },
  'Contact.phone': { category: 'user.contact.phone_number', description: 'Phone number (E.164)' },
  'Contact.phoneLast4': {
    category: 'user.contact.phone_number',
    description: 'Last four digits of the phone number',
    derivedFrom: { field: 'Contact.phone', form: 'partial' },
  },
  'Contact.birthDate': { category: 'user.demographic.date_of_birth', description: 'Date of birth' },
  'Contact.birthYear': {
    category: 'user.demographic.date_of_birth',
    description: 'Year of birth',
    derivedFrom: { field: 'Contact.birthDate', form: 'generalised' },
  },
  'Contact.address': {
    category: 'user.contact.address',
    description: 'Postal address (street, city, code, country)',
  },
  'Contact.country': {
    category: 'user.contact.address.country',
    description: 'Country of the postal address',
    derivedFrom: { field: 'Contact.address', form: 'generalised' },
  },
  'Contact.ipAddress': { category: 'user.device.ip_address', description: 'IP address last seen' },
  'Contact.healthNotes': { category: 'user.health_and_medical', description: 'Health notes (Art 9 example)' },
  'Interaction.subject': {
    category: 'user.content.private',
    description: 'Subject line of a call, email, meeting or note about the contact',
  },
  'Interaction.body': {
    category: 'user.content.private',
    description: 'Free-text notes of a call, email, meeting or note about the contact',
  },
  // apps/tickets: support tickets written by or about the contact who requested them.
  'Ticket.subject': {
    category: 'user.content.private',
    description: 'Subject line of a support ticket, written by or about the requester',
  },
  'Ticket.description': {
    category: 'user.content.private',
    description: "Free text of a support ticket: the requester's own words and the agent's notes",
  },
  // Relations are personal data too (DESIGN.md, "Redaction semantics"): that a person works for a company —
  // from either side —, has support tickets, had a call on a date and who logged it. Each side of a relation is
  // a field of its own with the same category; `relations.ts` names its target type.
  'Contact.company': { category: 'user.workplace', description: 'The organisation the contact works for' },
  'Company.contacts': { category: 'user.workplace', description: 'The people who work for the organisation' },
  'Contact.interactions': {
    category: 'user.behavior.interactions',
    description: 'The calls, emails, meetings and notes logged on the contact',
  },
  'Interaction.contact': {
    category: 'user.behavior.interactions',
    description: 'The person a call, email, meeting or note was with',
  },
  'Interaction.type': {
    category: 'user.behavior.interactions',
    description: 'Whether the person was called, emailed, met or noted',
  },
  'Interaction.occurredAt': {
    category: 'user.behavior.interactions',
    description: 'When the person was called, emailed or met',
  },
  'Interaction.loggedBy': {
    category: 'user.behavior.interactions',
    description: 'The staff member who dealt with the person',
  },
  'Contact.tickets': { category: 'user.behavior.support', description: 'The support tickets of the contact' },
  'Contact.ticketConnection': {
    category: 'user.behavior.support',
    description: 'The support tickets of the contact, paged',
  },
  'Ticket.requester': {
    category: 'user.behavior.support',
    description: 'The person a support ticket is about',
  },
  'Ticket.status': {
    category: 'user.behavior.support',
    description: "Where the person's support case stands",
  },
  'Ticket.priority': {
    category: 'user.behavior.support',
    description: "How urgent the person's support case is",
  },
  // A consent receipt names its subject by a keyed pseudonym: pseudonymised data is still personal (Recital 26).
  'ConsentReceipt.subjectPseudonym': {
    category: 'user.unique_id.pseudonymous',
    description: 'Keyed pseudonym of the person a consent receipt is about',
  },
} as const satisfies Record<string, FieldDefinition>;

export type PersonalField = keyof typeof PERSONAL_FIELDS;

/**
 * Fields that hold no personal data about a contact, listed so that the classification is total: every
 * field of the supergraph is in exactly one of the two tables (test/federation/reach.test.ts walks it).
 * Company data describes an organisation, not a person — but which people work there is theirs
 * (`Company.contacts`). Ids and record timestamps are what `administration` operates on.
 */
export const NON_PERSONAL_FIELDS = [
  'Contact.id',
  'Contact.createdAt',
  'Contact.updatedAt',
  'Contact.restricted',
  'Company.id',
  'Company.name',
  'Company.domain',
  'Company.industry',
  'Company.country',
  'Company.createdAt',
  'Company.updatedAt',
  'Interaction.id',
  'Interaction.createdAt',
  'Interaction.updatedAt',
  'Ticket.id',
  'Ticket.createdAt',
  'Ticket.updatedAt',
  'Ticket.solvedAt',
  // The ledger's events say which choice a person made, when and how, for the operations that may read them;
  // what names the person (the evidence) is not served.
  'ConsentEvent.id',
  'ConsentEvent.contact',
  'ConsentEvent.seq',
  'ConsentEvent.purpose',
  'ConsentEvent.status',
  'ConsentEvent.method',
  'ConsentEvent.noticeVersion',
  'ConsentEvent.capturedAt',
  'ConsentEvent.recordedAt',
  'ConsentEvent.recordedBy',
  'ConsentEvent.verification',
  'ConsentEvent.prevHash',
  'ConsentEvent.hash',
  'ConsentReceipt.schema',
  'ConsentReceipt.recordId',
  'ConsentReceipt.controller',
  'ConsentReceipt.purpose',
  'ConsentReceipt.notice',
  'ConsentReceipt.method',
  'ConsentReceipt.status',
  'ConsentReceipt.timestamp',
  'ConsentReceipt.recordedAt',
  'ConsentReceipt.eventHash',
  'ConsentReceipt.prevHash',
  'ConsentReceipt.verification',
  // How a choice was verified: a method, a time and the Message-ID of the mail (a random id, naming no one).
  'ConsentReceiptVerification.method',
  'ConsentReceiptVerification.verifiedAt',
  'ConsentReceiptVerification.messageId',
  'ConsentController.name',
  'ConsentController.contact',
  'ConsentReceiptPurpose.id',
  'ConsentReceiptPurpose.description',
  'ConsentReceiptPurpose.lawfulBasis',
  'ConsentReceiptNotice.version',
  'ConsentReceiptNotice.sha256',
  'ConsentReceiptNotice.publishedAt',
  'ConsentImport.imported',
  'ConsentLedgerCheck.valid',
  'ConsentLedgerCheck.events',
  'ConsentLedgerCheck.brokenEventId',
  'ConsentLedgerCheck.stateMismatches',
  'ConsentState.purpose',
  'ConsentState.status',
  'ConsentState.updatedAt',
  // What a purpose may run and see (`myAccess`): the policy itself, about no one.
  'Access.purpose',
  'Access.lawfulBasis',
  'Access.description',
  'Access.policyVersion',
  'Access.operations',
  'Access.fields',
  'FieldAccess.field',
  'FieldAccess.category',
  'FieldAccess.special',
  'FieldAccess.visibility',
  'FieldAccess.reason',
  // Notices and purposes describe the controller's processing, not a person.
  'PrivacyNotice.version',
  'PrivacyNotice.text',
  'PrivacyNotice.textSha256',
  'PrivacyNotice.publishedAt',
  'ProcessingPurpose.name',
  'ProcessingPurpose.lawfulBasis',
  'ProcessingPurpose.description',
  'ProcessingPurpose.categories',
  'ContactDuplicate.id',
  'ContactDuplicate.contact',
  'ContactDuplicate.existingContact',
  'ContactDuplicate.detectedForPurpose',
  'ContactDuplicate.detectedAt',
  'ContactDuplicate.resolution',
  'ContactDuplicate.resolvedAt',
  // The audit trail names staff (actor) and contacts (contactIds): it is personal data, kept from every purpose
  // but compliance by its operations (all compliance-only), not by field rules that would hide it from the one
  // purpose that may read it.
  'AuditEvent.id',
  'AuditEvent.occurredAt',
  'AuditEvent.service',
  'AuditEvent.actor',
  'AuditEvent.actorRoles',
  'AuditEvent.purpose',
  'AuditEvent.policyVersion',
  'AuditEvent.operationType',
  'AuditEvent.operationName',
  'AuditEvent.rootFields',
  'AuditEvent.requestId',
  'AuditEvent.gatewayRequestId',
  'AuditEvent.outcome',
  'AuditEvent.subjectCount',
  'AuditEvent.accesses',
  'AuditEvent.refusalReason',
  'AuditEvent.refusals',
  'AuditEvent.lastRefusedAt',
  'AuditAccess.channel',
  'AuditAccess.revealedFields',
  'AuditAccess.redactedFields',
  'AuditAccess.subjectCount',
  'AuditAccess.contactIds',
  'AuditLogCheck.valid',
  'AuditLogCheck.batches',
  'AuditLogCheck.events',
  'AuditLogCheck.headSeq',
  'AuditLogCheck.checkpoints',
  'AuditLogCheck.lastCheckpointSeq',
  'AuditLogCheck.brokenBatchSeq',
  'AuditLogCheck.problem',
  'AuditAlert.id',
  'AuditAlert.ruleId',
  'AuditAlert.kind',
  'AuditAlert.actor',
  'AuditAlert.purpose',
  'AuditAlert.firedAt',
  'AuditAlert.service',
  'AuditAlert.details',
  'AuditAlert.status',
  'AuditAlert.acknowledgedBy',
  'AuditAlert.acknowledgedAt',
  'AuditRule.id',
  'AuditRule.kind',
  'AuditRule.description',
  'AuditRule.params',
  'AuditRule.enabled',
  'AuditRule.updatedAt',
  'AuditRule.updatedBy',
  // A dead letter names a queue, a job and an error's class: never its payload (ids of rows), nor a message.
  'DeadLetter.id',
  'DeadLetter.queue',
  'DeadLetter.jobId',
  'DeadLetter.attempts',
  'DeadLetter.errorName',
  'DeadLetter.deadLetteredAt',
  // The dashboard's aggregates: counts by purpose, status, time, rule and age, never a row; counts of people's
  // choices are small-cell suppressed (apps/subgraph/src/dashboard/suppression.ts).
  'AggregateCount.value',
  'AggregateCount.suppressed',
  'AggregateCount.fewerThan',
  'ConsentTrend.bucket',
  'ConsentTrend.from',
  'ConsentTrend.to',
  'ConsentTrend.minimumCell',
  'ConsentTrend.points',
  'ConsentTrendPoint.start',
  'ConsentTrendPoint.purpose',
  'ConsentTrendPoint.granted',
  'ConsentTrendPoint.denied',
  'ConsentTrendPoint.withdrawn',
  'ConsentTrendPoint.objected',
  'ConsentRates.minimumCell',
  'ConsentRates.liveContacts',
  'ConsentRates.purposes',
  'PurposeConsentRate.purpose',
  'PurposeConsentRate.granted',
  'PurposeConsentRate.denied',
  'PurposeConsentRate.withdrawn',
  'PurposeConsentRate.objected',
  'PurposeConsentRate.noAnswer',
  'PurposeConsentRate.grantedShare',
  'AlertSummary.open',
  'AlertSummary.acknowledged',
  'AlertSummary.rules',
  'AlertRuleCount.ruleId',
  'AlertRuleCount.kind',
  'AlertRuleCount.open',
  'AlertRuleCount.acknowledged',
  'DuplicateReviewSummary.open',
  'DuplicateReviewSummary.byAge',
  'DuplicateReviewAgeCount.age',
  'DuplicateReviewAgeCount.open',
] as const;

export function isPersonalField(field: string): field is PersonalField {
  return Object.hasOwn(PERSONAL_FIELDS, field);
}

export const PERSONAL_FIELD_NAMES = Object.keys(PERSONAL_FIELDS) as PersonalField[];

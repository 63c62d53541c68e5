import type { PersonalField } from './fields.js';

/**
 * Processing purposes and what each may do: its lawful basis (GDPR Art 6(1)), which contact rows it may see
 * and which personal fields. A purpose is what a caller declares in `X-Purpose`; what the caller then sees
 * depends on the purpose alone (DESIGN.md, "Roles, purposes"). This table is the policy: the subgraph's
 * SQL row rules and field redaction, the SDL's @policy directives and the record of processing are all
 * derived from it.
 */
export const LAWFUL_BASES = ['consent', 'contract', 'legal_obligation', 'legitimate_interest'] as const;
export type LawfulBasis = (typeof LAWFUL_BASES)[number];

export const PURPOSES = [
  'customer_support',
  'sales',
  'marketing',
  'sale_share',
  'analytics',
  'compliance',
  'administration',
] as const;
export type Purpose = (typeof PURPOSES)[number];

/**
 * Which contact rows a purpose may see, as data the subgraph turns into one SQL WHERE clause.
 * - `contacts`: `none` (no Contact row at all), `live` (not erased) or `all` (erased tombstones too).
 * - `restricted` (Art 18): `exclude` the row, `redact` every personal field of it, or `include` it whole.
 * - `requiresConsent`: the row is seen only with a GRANTED consent for this purpose (Art 6(1)(a)).
 * - `objection` (Art 21): `exclude` rows whose contact objected to this purpose, or `ignore` objections
 *   (a purpose whose lawful basis Art 21 does not reach).
 */
export interface RowRule {
  readonly contacts: 'none' | 'live' | 'all';
  readonly restricted: 'exclude' | 'redact' | 'include';
  readonly requiresConsent: boolean;
  readonly objection: 'exclude' | 'ignore';
}

export interface PurposeDefinition {
  readonly lawfulBasis: LawfulBasis;
  /** For staff and the record of processing: what the purpose is and why it is lawful. */
  readonly description: string;
  /**
   * For the data subject, in clear and plain language (Art 12(1)): what a confirmation mail and page say the
   * person consents to, without article numbers.
   */
  readonly plainName: string;
  readonly rows: RowRule;
  /** Personal fields this purpose may see on the rows it may see. */
  readonly fields: readonly PersonalField[];
  /** Special categories (Art 9) open only where a row says so explicitly, with its Art 9(2) condition. */
  readonly specialCategories: false | { readonly condition: string };
  /** A contact's "limit the use of my sensitive data" (CCPA §1798.121) does not bind this purpose. */
  readonly overridesSensitiveLimit: boolean;
  /**
   * Every operation run for this purpose is audited, even one that reveals no personal data (DESIGN.md: the
   * compliance purpose sees everything, so each of its reads is accounted for). Others: only operations that
   * touch a contact, change something or are refused.
   */
  readonly auditsEveryOperation: boolean;
}

const CONTACT_DETAILS = ['Contact.fullName', 'Contact.email', 'Contact.phone'] as const;
const DERIVED = [
  'Contact.emailMasked',
  'Contact.phoneLast4',
  'Contact.birthYear',
  'Contact.country',
] as const;
const NOTES = ['Interaction.subject', 'Interaction.body'] as const;
const TICKETS = ['Ticket.subject', 'Ticket.description'] as const;
/** That a person works for a company, from either side. */
const WORKPLACE = ['Contact.company', 'Company.contacts'] as const;
/** That a person was called, emailed or met, when, and by whom — without the notes' text. */
const INTERACTIONS = [
  'Contact.interactions',
  'Interaction.contact',
  'Interaction.type',
  'Interaction.occurredAt',
  'Interaction.loggedBy',
] as const;
/** That a person has support tickets, and how their cases stand — without the tickets' text. */
const SUPPORT = [
  'Contact.tickets',
  'Contact.ticketConnection',
  'Ticket.requester',
  'Ticket.status',
  'Ticket.priority',
] as const;

export const PURPOSE_DEFINITIONS: Readonly<Record<Purpose, PurposeDefinition>> = {
  customer_support: {
    lawfulBasis: 'contract',
    description: 'Helping a customer with the product or service they have a contract for (Art 6(1)(b)).',
    plainName: 'helping you when you contact our support team',
    rows: { contacts: 'live', restricted: 'redact', requiresConsent: false, objection: 'ignore' },
    fields: [
      ...CONTACT_DETAILS,
      ...DERIVED,
      'Contact.birthDate',
      'Contact.address',
      ...WORKPLACE,
      ...INTERACTIONS,
      ...NOTES,
      ...SUPPORT,
      ...TICKETS,
      'ConsentReceipt.subjectPseudonym',
    ],
    specialCategories: false,
    overridesSensitiveLimit: false,
    auditsEveryOperation: false,
  },
  sales: {
    lawfulBasis: 'legitimate_interest',
    description: 'Selling to prospects and customers who have not objected (Art 6(1)(f), Art 21(1)).',
    plainName: 'contact from our sales team about the products you use',
    rows: { contacts: 'live', restricted: 'exclude', requiresConsent: false, objection: 'exclude' },
    // What a customer asked support about, not what they wrote in full.
    fields: [
      ...CONTACT_DETAILS,
      ...DERIVED,
      'Contact.address',
      ...WORKPLACE,
      ...INTERACTIONS,
      ...NOTES,
      ...SUPPORT,
      'Ticket.subject',
    ],
    specialCategories: false,
    overridesSensitiveLimit: false,
    auditsEveryOperation: false,
  },
  marketing: {
    lawfulBasis: 'consent',
    description:
      'Direct marketing to people who consented; an objection is absolute (Art 6(1)(a), Art 21(3)).',
    plainName: 'news and offers from us by email',
    rows: { contacts: 'live', restricted: 'exclude', requiresConsent: true, objection: 'exclude' },
    fields: ['Contact.fullName', 'Contact.email', ...DERIVED],
    specialCategories: false,
    overridesSensitiveLimit: false,
    auditsEveryOperation: false,
  },
  sale_share: {
    lawfulBasis: 'consent',
    description:
      'Selling or sharing personal information with third parties: opt-in; a CCPA opt-out or a GPC signal is a refusal (CCPA §1798.120).',
    plainName: 'sharing your contact details with our partners',
    rows: { contacts: 'live', restricted: 'exclude', requiresConsent: true, objection: 'exclude' },
    fields: ['Contact.fullName', 'Contact.email', 'Contact.emailMasked', 'Contact.country'],
    specialCategories: false,
    overridesSensitiveLimit: false,
    auditsEveryOperation: false,
  },
  analytics: {
    lawfulBasis: 'legitimate_interest',
    description:
      'Aggregate and pseudonymous reporting that never reveals a person; no Contact rows at all (Art 89, Art 32(1)(a)).',
    plainName: 'statistics about how our services are used, without identifying you',
    rows: { contacts: 'none', restricted: 'exclude', requiresConsent: false, objection: 'exclude' },
    fields: [],
    specialCategories: false,
    overridesSensitiveLimit: false,
    auditsEveryOperation: false,
  },
  compliance: {
    lawfulBasis: 'legal_obligation',
    description:
      'Answering data-subject requests, audits and regulators; sees everything, and every read is audited (Art 6(1)(c), Art 5(2)).',
    plainName: 'meeting our legal obligations',
    rows: { contacts: 'all', restricted: 'include', requiresConsent: false, objection: 'ignore' },
    fields: [
      ...CONTACT_DETAILS,
      ...DERIVED,
      'Contact.birthDate',
      'Contact.address',
      'Contact.ipAddress',
      'Contact.healthNotes',
      ...WORKPLACE,
      ...INTERACTIONS,
      ...NOTES,
      ...SUPPORT,
      ...TICKETS,
      'ConsentReceipt.subjectPseudonym',
    ],
    specialCategories: { condition: 'Art 9(2)(f): establishment, exercise or defence of legal claims' },
    overridesSensitiveLimit: true,
    auditsEveryOperation: true,
  },
  administration: {
    lawfulBasis: 'legitimate_interest',
    description:
      'Operating the system: row ids and timestamps only, never a personal field (Art 25, Art 32).',
    plainName: 'keeping our records in order',
    rows: { contacts: 'live', restricted: 'include', requiresConsent: false, objection: 'ignore' },
    fields: [],
    specialCategories: false,
    overridesSensitiveLimit: false,
    auditsEveryOperation: false,
  },
};

/** Whether every operation run for `purpose` is audited (see PurposeDefinition.auditsEveryOperation). */
export function auditsEveryOperation(purpose: Purpose): boolean {
  return PURPOSE_DEFINITIONS[purpose].auditsEveryOperation;
}

export function isPurpose(value: unknown): value is Purpose {
  return typeof value === 'string' && (PURPOSES as readonly string[]).includes(value);
}

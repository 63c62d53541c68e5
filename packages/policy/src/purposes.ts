/**
 * Processing purposes and their lawful bases (GDPR Art 6(1)). A purpose is what a caller declares in
 * `X-Purpose`; what the caller may then see depends on the purpose alone (DESIGN.md, "Roles, purposes").
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

export interface PurposeDefinition {
  readonly lawfulBasis: LawfulBasis;
  readonly description: string;
}

export const PURPOSE_DEFINITIONS: Readonly<Record<Purpose, PurposeDefinition>> = {
  customer_support: {
    lawfulBasis: 'contract',
    description: 'Helping a customer with the product or service they have a contract for (Art 6(1)(b)).',
  },
  sales: {
    lawfulBasis: 'legitimate_interest',
    description: 'Selling to prospects and customers who have not objected (Art 6(1)(f), Art 21(1)).',
  },
  marketing: {
    lawfulBasis: 'consent',
    description:
      'Direct marketing to people who consented; an objection is absolute (Art 6(1)(a), Art 21(3)).',
  },
  sale_share: {
    lawfulBasis: 'consent',
    description:
      'Selling or sharing personal information with third parties: opt-in; a CCPA opt-out or a GPC signal is a refusal (CCPA §1798.120).',
  },
  analytics: {
    lawfulBasis: 'legitimate_interest',
    description: 'Aggregate and pseudonymous reporting that never reveals a person (Art 89, Art 32(1)(a)).',
  },
  compliance: {
    lawfulBasis: 'legal_obligation',
    description:
      'Answering data-subject requests, audits and regulators; every read is audited (Art 6(1)(c), Art 5(2)).',
  },
  administration: {
    lawfulBasis: 'legitimate_interest',
    description: 'Operating the system: row ids and timestamps only, never personal fields (Art 25, Art 32).',
  },
};

export function isPurpose(value: unknown): value is Purpose {
  return typeof value === 'string' && (PURPOSES as readonly string[]).includes(value);
}

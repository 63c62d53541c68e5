import englishMessages from 'ra-language-english';

/**
 * Every English text of the console: react-admin's own and Custos's. A translation is another file of this
 * shape (tests check that every role, purpose and redaction reason of the policy has a text here).
 */
export const en = {
  ...englishMessages,
  custos: {
    title: 'Custos privacy console',
    account_menu: '%{name}: account menu',
    auth: {
      sign_in: 'Sign in',
      dev_title: 'Development sign-in',
      dev_explanation:
        'Development only: choose a role and a subject id to get a development token. Production signs in through your identity provider.',
      role: 'Role',
      subject: 'Subject id',
      subject_help: 'Who you are in the audit trail, e.g. alice',
      expired: 'Your session has expired: please sign in again',
      failed: 'Sign-in failed: %{reason}',
    },
    purpose: {
      label: 'Purpose',
      help: 'Why you are processing personal data now: every request declares it.',
    },
    redaction: {
      label: 'redacted',
      described: 'redacted: %{reason}',
    },
    date: {
      utc: '%{date} UTC',
    },
    roles: {
      support_agent: 'Support agent',
      sales_rep: 'Sales representative',
      marketer: 'Marketer',
      analyst: 'Analyst',
      privacy_officer: 'Privacy officer',
      admin: 'Administrator',
    },
    purposes: {
      customer_support: 'Customer support',
      sales: 'Sales',
      marketing: 'Marketing',
      sale_share: 'Sale or sharing',
      analytics: 'Analytics',
      compliance: 'Compliance',
      administration: 'Administration',
    },
    reasons: {
      PROCESSING_RESTRICTED: 'Processing of this contact is restricted (GDPR Art 18)',
      SENSITIVE_USE_LIMITED: 'The contact limited the use of their sensitive data (CCPA)',
      SPECIAL_CATEGORY: 'Special category data your purpose may not see (GDPR Art 9)',
      PURPOSE_NOT_ALLOWED: 'Your declared purpose may not see this field',
    },
    contacts: {
      show_one: 'Show contact %{id}',
      nothing_writable: 'Your declared purpose may not change any field of this contact.',
      all_redacted:
        'Every field your declared purpose may change is redacted on this contact: nothing here can be changed for this purpose.',
      redacted_not_editable:
        'Redacted fields are left out of this form: they cannot be changed for this purpose.',
    },
    errors: {
      unsupported: 'The console does not support %{method} on %{resource}',
      not_allowed: 'Your declared purpose may not do this',
      network: 'The gateway could not be reached',
      unexpected: 'The gateway gave an answer the console could not read',
    },
  },
  resources: {
    contacts: {
      name: 'Contact |||| Contacts',
      fields: {
        id: 'Id',
        fullName: 'Full name',
        email: 'Email',
        emailMasked: 'Email (masked)',
        phone: 'Phone',
        phoneLast4: 'Phone (last 4 digits)',
        birthDate: 'Date of birth',
        birthYear: 'Year of birth',
        address: 'Address',
        'address.street': 'Street',
        'address.city': 'City',
        'address.postalCode': 'Postal code',
        'address.country': 'Country (address)',
        country: 'Country',
        ipAddress: 'IP address',
        healthNotes: 'Health notes',
        restricted: 'Processing restricted',
        createdAt: 'Created',
        updatedAt: 'Updated',
        search: 'Search name or email',
      },
    },
  },
};

export type Messages = typeof en;

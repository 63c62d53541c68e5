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
    consent: {
      tab: 'Consent',
      details_tab: 'Details',
      current: 'Current consents',
      current_empty: 'No consent or objection has been recorded for this contact.',
      ledger: 'Consent ledger',
      ledger_empty: 'The ledger of this contact has no event.',
      load_failed: 'This part could not be loaded: the notification says why.',
      irreversible:
        'This is recorded in the consent ledger and cannot be undone: a later choice of the person is a new event.',
      statuses: {
        GRANTED: 'Granted',
        DENIED: 'Denied',
        WITHDRAWN: 'Withdrawn',
        OBJECTED: 'Objected',
      },
      methods: {
        WEB_FORM: 'Web form',
        EMAIL: 'Email',
        PHONE: 'Phone',
        IMPORT: 'Import',
        GPC: 'Global Privacy Control signal',
        ADMIN: 'Recorded by staff',
      },
      verifications: {
        EMAIL_CONFIRMATION: 'Confirmed by email (double opt-in)',
        UNVERIFIED_SIGNAL: 'Unverified signal',
        RECORDED_BY_STAFF: 'Recorded by staff with their evidence',
      },
      source: 'Evidence source',
      source_help: 'Where the evidence is kept: the email, the call reference, the signed form',
      method: 'How the person told us',
      withdraw: {
        action: 'Withdraw',
        label: 'Withdraw consent for %{purpose}',
        title: 'Withdraw consent for %{purpose}?',
        explanation:
          'The contact leaves every list that needs this consent from the next request on (GDPR Art 7(3)).',
        done: 'Consent for %{purpose} withdrawn',
      },
      object: {
        action: 'Object to processing',
        title: 'Record an objection (GDPR Art 21)',
        explanation:
          'The contact leaves the rows of the purpose objected to, from the next request on. Only purposes an objection applies to are offered.',
        purpose: 'Purpose objected to',
        confirm: 'Object',
        done: 'Objection to %{purpose} recorded',
        none: 'There is no purpose left that this contact could object to.',
      },
      record: {
        action: 'Record consent',
        title: 'Record a consent answer',
        explanation:
          'A consent the person gave elsewhere (a call, a signed form): a grant names the notice they saw and where its evidence is kept.',
        done: 'Consent answer recorded',
        required_for_grant: 'Required to record a grant',
      },
      receipt: {
        action: 'Receipt',
        label: 'Receipt of event %{seq}',
        title: 'Consent receipt (ISO/IEC TS 27560)',
        none: 'No receipt: the event is not there, or your declared purpose may not see its contact.',
      },
    },
    consent_tools: {
      title: 'Consent tools',
      import: {
        title: 'Import consents from CSV',
        explanation:
          'One consent event per row, under this header (method defaults to IMPORT; a grant needs notice_version and source). At most 10,000 rows.',
        pick: 'Choose a CSV file',
        csv: 'CSV',
        csv_help: 'Paste the CSV here, or choose a file',
        action: 'Import',
        confirm_title: 'Import %{smart_count} row? |||| Import %{smart_count} rows?',
        confirm:
          'All rows are recorded or none: one bad row refuses the whole file. Recorded events stay in the consent ledger and cannot be undone.',
        done: '%{smart_count} consent event imported |||| %{smart_count} consent events imported',
        refused:
          'Nothing was imported: %{smart_count} problem, below. |||| Nothing was imported: %{smart_count} problems, row by row below.',
        report: 'Problems of the CSV, row by row',
        line: 'Line',
        column: 'Column',
        rule: 'Rule',
        message: 'Problem',
      },
      verify: {
        title: 'Verify the consent ledger',
        explanation:
          'Recomputes the hash chain of one contact, or of the whole ledger, and checks that each current consent is the latest event.',
        contact: 'Contact id (optional)',
        contact_help: 'Leave empty to verify the whole ledger',
        action: 'Verify the ledger',
        valid: 'The ledger is valid',
        invalid: 'The ledger is broken',
        events: 'Events checked',
        broken: 'First broken event',
        mismatches: 'Current states not matching the ledger',
        none: 'none',
      },
    },
    notices: {
      publish: 'Publish a new version',
      show_one: 'Show notice %{version}',
      open: 'Open',
      never_edited:
        'A published version can never be edited: consents name it and its hash. A correction is a new version.',
      version_help: '1 to 32 letters, digits, dots, dashes or underscores, e.g. 2026-07',
      version_rule: 'Use 1 to 32 letters, digits, dots, dashes or underscores',
      published: 'Version %{version} published',
      confirm_title: 'Publish version %{version}?',
      confirm:
        'Version %{version} is published now and can never be edited or removed: a correction is a new version.',
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
    consents: {
      name: 'Consent event |||| Consent events',
      fields: {
        seq: '#',
        purpose: 'Purpose',
        status: 'Status',
        method: 'Method',
        noticeVersion: 'Notice version',
        capturedAt: 'Chosen',
        recordedAt: 'Recorded',
        recordedBy: 'Recorded by',
        verification: 'Verification',
        hash: 'Hash',
        'evidence.source': 'Evidence source',
      },
    },
    consentStates: {
      name: 'Current consent |||| Current consents',
      fields: {
        purpose: 'Purpose',
        status: 'Status',
        updatedAt: 'Since',
        actions: 'Actions',
      },
    },
    privacyNotices: {
      name: 'Privacy notice |||| Privacy notices',
      fields: {
        version: 'Version',
        publishedAt: 'Published',
        textSha256: 'Text SHA-256',
        text: 'Text',
      },
    },
    consentTools: {
      name: 'Consent tools',
    },
    consentReceipts: {
      name: 'Consent receipt |||| Consent receipts',
      fields: {
        schema: 'Schema',
        recordId: 'Record id',
        'controller.name': 'Controller',
        'controller.contact': 'Controller contact',
        subjectPseudonym: 'Subject (pseudonym)',
        'purpose.id': 'Purpose',
        'purpose.description': 'Purpose description',
        'purpose.lawfulBasis': 'Lawful basis',
        'notice.version': 'Notice version',
        'notice.sha256': 'Notice SHA-256',
        'notice.publishedAt': 'Notice published',
        method: 'Collection method',
        status: 'Status',
        timestamp: 'Chosen',
        recordedAt: 'Recorded',
        eventHash: 'Event hash',
        prevHash: 'Previous event hash',
        'verification.method': 'Verification',
        'verification.verifiedAt': 'Verified',
        'verification.messageId': 'Confirmation Message-ID',
      },
    },
  },
};

export type Messages = typeof en;

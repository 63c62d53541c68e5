import type { ResourceModule } from './resource';

export const IMPORT_CONSENTS = /* GraphQL */ `
  mutation ConsoleImportConsents($csv: String!) {
    importConsents(csv: $csv) {
      imported
    }
  }
`;

export const VERIFY_CONSENT_LEDGER = /* GraphQL */ `
  query ConsoleVerifyConsentLedger($contactId: ID) {
    verifyConsentLedger(contactId: $contactId) {
      valid
      events
      brokenEventId
      stateMismatches
    }
  }
`;

/** What `verifyConsentLedger` answers: the chain recomputed and the current states checked. */
export interface ConsentLedgerCheck {
  readonly valid: boolean;
  readonly events: number;
  readonly brokenEventId: string | null;
  readonly stateMismatches: number;
}

/** The custom methods of the dataProvider for the consent tools (useDataProvider<ConsentToolActions>()). */
export type ConsentToolActions = {
  readonly importConsents: (params: { csv: string }) => Promise<{ data: { imported: number } }>;
  readonly verifyConsentLedger: (params: {
    contactId?: string | null;
  }) => Promise<{ data: ConsentLedgerCheck }>;
};

/**
 * `consentTools`: the CSV import (all rows or none; BAD_USER_INPUT lists every bad row as `line N.column`) and the
 * ledger verification. No list of records: custom methods only, each checking its own action.
 */
export const consentToolsResource: ResourceModule = {
  name: 'consentTools',
  handlers: () => ({}),
  methods: ({ graphql, assertAllowed }): ConsentToolActions => ({
    async importConsents({ csv }) {
      assertAllowed('import', 'consentTools');
      const result = await graphql<{ importConsents: { imported: number } }>(IMPORT_CONSENTS, { csv });
      return { data: result.data.importConsents };
    },
    async verifyConsentLedger({ contactId }) {
      assertAllowed('verify', 'consentTools');
      const id = contactId?.trim() ? contactId.trim() : null;
      const result = await graphql<{ verifyConsentLedger: ConsentLedgerCheck }>(VERIFY_CONSENT_LEDGER, {
        contactId: id,
      });
      return { data: result.data.verifyConsentLedger };
    },
  }),
};

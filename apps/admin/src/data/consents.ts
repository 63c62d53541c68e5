import type { ConsentMethod, ConsentStatus } from '@custos/policy';
import type { CreateResult, GetManyReferenceResult, GetOneResult } from 'react-admin';
import { redactionsAt } from './graphql';
import { notFound, type ResourceModule, type Row, withRedactions } from './resource';

/**
 * The consent ledger's GraphQL documents, written out, with variables only: a contact's events (oldest first,
 * cursor pages), its current status per purpose, one event's receipt, and the three privacy actions.
 */

const CONSENT_EVENT = /* GraphQL */ `
  fragment ConsoleConsentEvent on ConsentEvent {
    id
    seq
    purpose
    status
    method
    noticeVersion
    capturedAt
    recordedAt
    recordedBy
    verification
    prevHash
    hash
  }
`;

export const CONSENT_HISTORY_PAGE = /* GraphQL */ `
  query ConsoleConsentHistory($contactId: ID!, $first: Int!, $after: String) {
    consentHistory(contactId: $contactId, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...ConsoleConsentEvent
        }
      }
    }
  }
  ${CONSENT_EVENT}
`;

export const CONSENT_HISTORY_CURSOR = /* GraphQL */ `
  query ConsoleConsentHistoryCursor($contactId: ID!, $first: Int!, $after: String) {
    consentHistory(contactId: $contactId, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

export const CURRENT_CONSENTS = /* GraphQL */ `
  query ConsoleCurrentConsents($contactId: ID!) {
    currentConsents(contactId: $contactId) {
      purpose
      status
      updatedAt
    }
  }
`;

export const CONSENT_RECEIPT = /* GraphQL */ `
  query ConsoleConsentReceipt($eventId: ID!) {
    consentReceipt(eventId: $eventId) {
      schema
      recordId
      controller {
        name
        contact
      }
      subjectPseudonym
      purpose {
        id
        description
        lawfulBasis
      }
      notice {
        version
        sha256
        publishedAt
      }
      method
      status
      timestamp
      recordedAt
      eventHash
      prevHash
      verification {
        method
        verifiedAt
        messageId
      }
    }
  }
`;

export const RECORD_CONSENT = /* GraphQL */ `
  mutation ConsoleRecordConsent($input: RecordConsentInput!) {
    recordConsent(input: $input) {
      ...ConsoleConsentEvent
    }
  }
  ${CONSENT_EVENT}
`;

export const WITHDRAW_CONSENT = /* GraphQL */ `
  mutation ConsoleWithdrawConsent(
    $contactId: ID!
    $purpose: String!
    $method: ConsentMethod
    $evidence: ConsentEvidenceInput
  ) {
    withdrawConsent(contactId: $contactId, purpose: $purpose, method: $method, evidence: $evidence) {
      ...ConsoleConsentEvent
    }
  }
  ${CONSENT_EVENT}
`;

export const OBJECT_TO_PROCESSING = /* GraphQL */ `
  mutation ConsoleObjectToProcessing(
    $contactId: ID!
    $purpose: String!
    $method: ConsentMethod
    $evidence: ConsentEvidenceInput
  ) {
    objectToProcessing(contactId: $contactId, purpose: $purpose, method: $method, evidence: $evidence) {
      ...ConsoleConsentEvent
    }
  }
  ${CONSENT_EVENT}
`;

/** A withdrawal or an objection: whose, for what, how it came and where its evidence is kept. */
export interface ConsentChange {
  readonly contactId: string;
  readonly purpose: string;
  readonly method?: ConsentMethod;
  readonly source?: string | null;
}

/** What the Record consent form sends (RecordConsentInput, `evidence.source` nested as the API has it). */
export interface ConsentRecordData {
  readonly contactId: string;
  readonly purpose: string;
  readonly status: ConsentStatus;
  readonly method: ConsentMethod;
  readonly noticeVersion?: string | null;
  readonly evidence?: { readonly source?: string | null } | null;
}

/** The custom methods of the dataProvider (useDataProvider<ConsentActions>()). */
export type ConsentActions = {
  readonly withdrawConsent: (change: ConsentChange) => Promise<{ data: Row }>;
  readonly objectToProcessing: (change: ConsentChange) => Promise<{ data: Row }>;
};

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : null;

const contactOf = (target: string, id: unknown) => {
  if (target !== 'contactId') throw notFound(`Reference ${target}`);
  return String(id);
};

function changeVariables({ contactId, purpose, method, source }: ConsentChange) {
  const evidence = text(source);
  return { contactId, purpose, method: method ?? 'ADMIN', evidence: evidence ? { source: evidence } : null };
}

/** `consents`: a contact's ledger (getManyReference by contactId), recordConsent, withdraw and object. */
export const consentsResource: ResourceModule = {
  name: 'consents',
  handlers: ({ graphql, pager }) => ({
    getManyReference: async (params): Promise<GetManyReferenceResult> =>
      pager({
        field: 'consentHistory',
        pageDocument: CONSENT_HISTORY_PAGE,
        cursorDocument: CONSENT_HISTORY_CURSOR,
        variables: { contactId: contactOf(params.target, params.id) },
        page: params.pagination?.page ?? 1,
        perPage: params.pagination?.perPage ?? 10,
        signal: params.signal,
      }),
    async create(params): Promise<CreateResult> {
      const data = params.data as ConsentRecordData;
      const source = text(data.evidence?.source);
      const input = {
        contactId: data.contactId,
        purpose: data.purpose,
        status: data.status,
        method: data.method,
        noticeVersion: text(data.noticeVersion),
        evidence: source ? { source } : null,
      };
      const result = await graphql<{ recordConsent: Row | null }>(RECORD_CONSENT, { input });
      if (!result.data.recordConsent) throw notFound('Contact');
      return { data: result.data.recordConsent };
    },
  }),
  methods: ({ graphql, assertAllowed }): ConsentActions => {
    const change = async (action: string, document: string, field: string, params: ConsentChange) => {
      assertAllowed(action, 'consents');
      const result = await graphql<Record<string, Row | null>>(document, changeVariables(params));
      const event = result.data[field];
      if (!event) throw notFound('Contact');
      return { data: event };
    };
    return {
      withdrawConsent: (params) => change('withdraw', WITHDRAW_CONSENT, 'withdrawConsent', params),
      objectToProcessing: (params) => change('object', OBJECT_TO_PROCESSING, 'objectToProcessing', params),
    };
  },
};

/** `consentStates`: a contact's current status per purpose; the purpose is the record's id. */
export const consentStatesResource: ResourceModule = {
  name: 'consentStates',
  handlers: ({ graphql }) => ({
    async getManyReference(params): Promise<GetManyReferenceResult> {
      const contactId = contactOf(params.target, params.id);
      const result = await graphql<{ currentConsents: { purpose: string }[] }>(
        CURRENT_CONSENTS,
        { contactId },
        params.signal,
      );
      const data = result.data.currentConsents.map((state) => ({ ...state, id: state.purpose, contactId }));
      return { data, total: data.length };
    },
  }),
};

/** `consentReceipts`: one ledger event as an ISO/IEC TS 27560 receipt, by the event's id. */
export const consentReceiptsResource: ResourceModule = {
  name: 'consentReceipts',
  handlers: ({ graphql }) => ({
    async getOne(params): Promise<GetOneResult> {
      const id = String(params.id);
      const result = await graphql<{ consentReceipt: Row | null }>(
        CONSENT_RECEIPT,
        { eventId: id },
        params.signal,
      );
      const receipt = result.data.consentReceipt;
      if (!receipt) throw notFound('Consent receipt');
      return {
        data: withRedactions({ ...receipt, id }, redactionsAt(result.redactions, ['consentReceipt'])),
      };
    },
  }),
};

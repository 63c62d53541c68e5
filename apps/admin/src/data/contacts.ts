/**
 * The contacts resource's GraphQL documents: one per method, written out, with variables only. The list asks for
 * its columns, the show and edit pages for every field; a field the purpose may not see comes back null with an
 * entry in `extensions.redactions` (what the console shows as "redacted").
 */

const CONTACT_DETAILS = /* GraphQL */ `
  fragment ContactDetails on Contact {
    id
    fullName
    email
    emailMasked
    phone
    phoneLast4
    birthDate
    birthYear
    address {
      street
      city
      postalCode
      country
    }
    country
    ipAddress
    healthNotes
    restricted
    createdAt
    updatedAt
  }
`;

export const CONTACTS_PAGE = /* GraphQL */ `
  query ConsoleContacts($first: Int!, $after: String, $filter: ContactFilter) {
    contacts(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          fullName
          email
          country
          restricted
          createdAt
        }
      }
    }
  }
`;

/** Skips to a page never visited: only the cursor after `first` rows (no row's data is asked for). */
export const CONTACTS_CURSOR = /* GraphQL */ `
  query ConsoleContactsCursor($first: Int!, $after: String, $filter: ContactFilter) {
    contacts(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

export const CONTACT = /* GraphQL */ `
  query ConsoleContact($id: ID!) {
    contact(id: $id) {
      ...ContactDetails
    }
  }
  ${CONTACT_DETAILS}
`;

export const UPDATE_CONTACT = /* GraphQL */ `
  mutation ConsoleUpdateContact($id: ID!, $input: UpdateContactInput!) {
    updateContact(id: $id, input: $input) {
      ...ContactDetails
    }
  }
  ${CONTACT_DETAILS}
`;

/**
 * The fields of UpdateContactInput that are personal fields of Contact under the same name (the server's own
 * table): the edit form offers, and update sends, only those the declared purpose may write.
 */
export const CONTACT_WRITABLE = [
  'fullName',
  'email',
  'phone',
  'birthDate',
  'address',
  'ipAddress',
  'healthNotes',
] as const;
export type WritableContactField = (typeof CONTACT_WRITABLE)[number];

/** The API's list filters the console offers. */
export const CONTACT_FILTERS = ['search', 'country'] as const;

export interface ContactConnection<Node> {
  readonly totalCount: number;
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
  readonly edges?: readonly { readonly node: Node }[];
}

/** The largest page the API answers (`first` is at most 500). */
export const MAX_PAGE = 500;

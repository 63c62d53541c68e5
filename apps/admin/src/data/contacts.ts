import type { GetOneResult, UpdateResult } from 'react-admin';
import { mayAccess } from '../auth/access';
import { instant, text } from './filters';
import { REDACTIONS_KEY, type Redactions, redactionsAt } from './graphql';
import { notFound, type ResourceModule, type Row, withRedactions } from './resource';

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

/**
 * The API's list filters (ContactFilter), every one of them, each as the API reads it: texts trimmed, the company
 * by its id, the creation range as UTC instants (the inputs give the user's local time).
 */
const FILTER_VALUES = {
  search: text,
  country: text,
  companyId: text,
  createdAfter: instant,
  createdBefore: instant,
} as const satisfies Record<string, (value: unknown) => string | undefined>;

export const CONTACT_FILTERS = Object.keys(FILTER_VALUES) as readonly (keyof typeof FILTER_VALUES)[];

/** The list's filter as ContactFilter: only the filters set; none at all when nothing is. */
export function contactFilter(
  filter: Record<string, unknown> | undefined,
): Record<string, string> | undefined {
  const entries = CONTACT_FILTERS.flatMap((name) => {
    const value = FILTER_VALUES[name](filter?.[name]);
    return value === undefined ? [] : [[name, value] as const];
  });
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

/**
 * A value as the API would store it: an empty text is no value, and an object whose parts are all empty (an address
 * form left blank) is no object.
 */
function stored(value: unknown): unknown {
  if (value === undefined || value === '') return null;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const parts = Object.entries(value).map(([key, part]) => [key, stored(part)] as const);
  return parts.every(([, part]) => part === null) ? null : Object.fromEntries(parts);
}

const same = (a: unknown, b: unknown) => JSON.stringify(stored(a)) === JSON.stringify(stored(b));

/** Contacts: the list (cursor pages, the API's filters), one contact, and its update. */
export const contactsResource: ResourceModule = {
  name: 'contacts',
  handlers: ({ graphql, pager, purpose }) => {
    /**
     * The input of an update: the fields the form changed, among those the declared purpose may write, never one
     * that came back redacted (its null is no value, and saving it would erase one). The address goes whole.
     */
    function contactInput(data: Record<string, unknown>, previous: Record<string, unknown>) {
      const redacted = (previous[REDACTIONS_KEY] ?? {}) as Redactions;
      const entries = CONTACT_WRITABLE.filter(
        (field) =>
          mayAccess(purpose(), 'write', `contacts.${field}`) &&
          !Object.hasOwn(redacted, field) &&
          !same(data[field], previous[field]),
      ).map((field) => [field, stored(data[field])] as const);
      return Object.fromEntries(entries);
    }

    return {
      getList: (params) =>
        pager({
          field: 'contacts',
          pageDocument: CONTACTS_PAGE,
          cursorDocument: CONTACTS_CURSOR,
          variables: { filter: contactFilter(params.filter) },
          page: params.pagination?.page ?? 1,
          perPage: params.pagination?.perPage ?? 25,
          signal: params.signal,
        }),
      async getOne(params): Promise<GetOneResult> {
        const result = await graphql<{ contact: Row | null }>(
          CONTACT,
          { id: String(params.id) },
          params.signal,
        );
        if (!result.data.contact) throw notFound('Contact');
        return { data: withRedactions(result.data.contact, redactionsAt(result.redactions, ['contact'])) };
      },
      async update(params): Promise<UpdateResult> {
        const input = contactInput(params.data, params.previousData ?? {});
        const result = await graphql<{ updateContact: Row | null }>(UPDATE_CONTACT, {
          id: String(params.id),
          input,
        });
        const row = result.data.updateContact;
        if (!row) throw notFound('Contact');
        return { data: withRedactions(row, redactionsAt(result.redactions, ['updateContact'])) };
      },
    };
  },
};

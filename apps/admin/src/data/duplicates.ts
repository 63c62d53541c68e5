import { type GetListResult, HttpError } from 'react-admin';
import { notFound, type ResourceModule, type Row } from './resource';

/**
 * The duplicate-email review queue: a contact written with the email of a contact its writer could not see, paired
 * with that contact, for a privacy officer to resolve. One document per method, written out, with variables only.
 */

/** Each contact of a pair: what tells the officer who it is (any field may come back redacted). */
const PAIR_FIELDS = `id contact { id fullName email } existingContact { id fullName email }
  detectedForPurpose detectedAt resolution resolvedAt`;

const QUEUE_VARIABLES = '$first: Int!, $after: String, $status: DuplicateStatus';
const QUEUE_ARGS = 'first: $first, after: $after, status: $status';

/** The queue by state, oldest first. */
export const CONTACT_DUPLICATES_PAGE = /* GraphQL */ `
  query ConsoleContactDuplicates(${QUEUE_VARIABLES}) {
    contactDuplicates(${QUEUE_ARGS}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${PAIR_FIELDS} } }
    }
  }
`;

/** Skips to a page never visited: the cursor only, no pair's data. */
export const CONTACT_DUPLICATES_CURSOR = /* GraphQL */ `
  query ConsoleContactDuplicatesCursor(${QUEUE_VARIABLES}) {
    contactDuplicates(${QUEUE_ARGS}) { totalCount pageInfo { hasNextPage endCursor } }
  }
`;

export const RESOLVE_CONTACT_DUPLICATE = /* GraphQL */ `
  mutation ConsoleResolveContactDuplicate($id: ID!, $resolution: DuplicateResolution!) {
    resolveContactDuplicate(id: $id, resolution: $resolution) { id resolution resolvedAt }
  }
`;

/** The queue's states (the API's DuplicateStatus); open pairs unless told. */
export const DUPLICATE_STATUSES = ['OPEN', 'RESOLVED', 'ALL'] as const;
export type DuplicateStatus = (typeof DUPLICATE_STATUSES)[number];

/** How a review is closed (the API's DuplicateResolution). */
export const DUPLICATE_RESOLUTIONS = ['DISTINCT_PEOPLE', 'SAME_PERSON'] as const;
export type DuplicateResolution = (typeof DUPLICATE_RESOLUTIONS)[number];

/** The custom method of the dataProvider for the queue (useDataProvider<DuplicateActions>()). */
export type DuplicateActions = {
  readonly resolveContactDuplicate: (params: {
    id: string;
    resolution: DuplicateResolution;
  }) => Promise<{ data: Row }>;
};

const isStatus = (value: unknown): value is DuplicateStatus =>
  (DUPLICATE_STATUSES as readonly unknown[]).includes(value);
const isResolution = (value: unknown): value is DuplicateResolution =>
  (DUPLICATE_RESOLUTIONS as readonly unknown[]).includes(value);

/**
 * `contactDuplicates`: the queue by state, oldest first (the API's one order), each pair's contacts keeping the
 * reasons of their redacted fields; resolving a pair is a custom method that checks its own action.
 */
export const contactDuplicatesResource: ResourceModule = {
  name: 'contactDuplicates',
  handlers: ({ pager }) => ({
    getList: (params): Promise<GetListResult> => {
      const status = params.filter?.status;
      return pager({
        field: 'contactDuplicates',
        pageDocument: CONTACT_DUPLICATES_PAGE,
        cursorDocument: CONTACT_DUPLICATES_CURSOR,
        variables: { status: isStatus(status) ? status : 'OPEN' },
        page: params.pagination?.page ?? 1,
        perPage: params.pagination?.perPage ?? 25,
        signal: params.signal,
        nested: ['contact', 'existingContact'],
      });
    },
  }),
  methods: ({ graphql, assertAllowed }): DuplicateActions => ({
    async resolveContactDuplicate({ id, resolution }) {
      assertAllowed('resolve', 'contactDuplicates');
      if (!isResolution(resolution)) {
        throw new HttpError(
          `resolution: must be one of ${DUPLICATE_RESOLUTIONS.join(', ')} (BAD_USER_INPUT)`,
          400,
          {
            code: 'BAD_USER_INPUT',
          },
        );
      }
      const result = await graphql<{ resolveContactDuplicate: Row | null }>(RESOLVE_CONTACT_DUPLICATE, {
        id: String(id),
        resolution,
      });
      if (!result.data.resolveContactDuplicate) throw notFound('Duplicate review');
      return { data: result.data.resolveContactDuplicate };
    },
  }),
};

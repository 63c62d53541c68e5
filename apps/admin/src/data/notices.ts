import type { ResourceModule } from './resource';

/** Published privacy notices, newest first: the versions a recorded consent names. */
export const PRIVACY_NOTICES_PAGE = /* GraphQL */ `
  query ConsolePrivacyNotices($first: Int!, $after: String) {
    privacyNotices(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          version
          textSha256
          publishedAt
        }
      }
    }
  }
`;

export const PRIVACY_NOTICES_CURSOR = /* GraphQL */ `
  query ConsolePrivacyNoticesCursor($first: Int!, $after: String) {
    privacyNotices(first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

/** `privacyNotices`: the list (the version is the record's id). */
export const privacyNoticesResource: ResourceModule = {
  name: 'privacyNotices',
  handlers: ({ pager }) => ({
    async getList(params) {
      const result = await pager({
        field: 'privacyNotices',
        pageDocument: PRIVACY_NOTICES_PAGE,
        cursorDocument: PRIVACY_NOTICES_CURSOR,
        variables: {},
        page: params.pagination?.page ?? 1,
        perPage: params.pagination?.perPage ?? 50,
        signal: params.signal,
      });
      return { ...result, data: result.data.map((notice) => ({ ...notice, id: notice.version })) };
    },
  }),
};

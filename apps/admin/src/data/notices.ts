import type { CreateResult, GetOneResult } from 'react-admin';
import { notFound, type ResourceModule, type Row } from './resource';

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

export const PRIVACY_NOTICE = /* GraphQL */ `
  query ConsolePrivacyNotice($version: String!) {
    privacyNotice(version: $version) {
      version
      text
      textSha256
      publishedAt
    }
  }
`;

export const PUBLISH_PRIVACY_NOTICE = /* GraphQL */ `
  mutation ConsolePublishPrivacyNotice($input: PublishPrivacyNoticeInput!) {
    publishPrivacyNotice(input: $input) {
      version
      text
      textSha256
      publishedAt
    }
  }
`;

const asNotice = (notice: Row | Omit<Row, 'id'>): Row => ({ ...notice, id: String(notice.version) });

/**
 * `privacyNotices`: the list, one version with its text, and publishing a new version (the version is the record's
 * id; a published version is never edited, so there is no update).
 */
export const privacyNoticesResource: ResourceModule = {
  name: 'privacyNotices',
  handlers: ({ graphql, pager }) => ({
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
    async getOne(params): Promise<GetOneResult> {
      const version = String(params.id);
      const result = await graphql<{ privacyNotice: Row | null }>(PRIVACY_NOTICE, { version }, params.signal);
      if (!result.data.privacyNotice) throw notFound('Privacy notice');
      return { data: asNotice(result.data.privacyNotice) };
    },
    async create(params): Promise<CreateResult> {
      const data = params.data as { version?: unknown; text?: unknown };
      const input = { version: String(data.version ?? '').trim(), text: String(data.text ?? '') };
      const result = await graphql<{ publishPrivacyNotice: Row | null }>(PUBLISH_PRIVACY_NOTICE, { input });
      if (!result.data.publishPrivacyNotice) throw notFound('Privacy notice');
      return { data: asNotice(result.data.publishPrivacyNotice) };
    },
  }),
};

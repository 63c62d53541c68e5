import type { GetListResult, GetManyResult } from 'react-admin';
import { text } from './filters';
import type { ResourceModule, Row } from './resource';

/**
 * Companies: organisations, not people (no personal field). The contact list's company filter finds them by
 * name (AutocompleteInput over `companies(search)`) and shows the one chosen by its id (`company(id)`).
 */
export const COMPANIES_PAGE = /* GraphQL */ `
  query ConsoleCompanies($first: Int!, $after: String, $search: String) {
    companies(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          name
          domain
          country
        }
      }
    }
  }
`;

export const COMPANIES_CURSOR = /* GraphQL */ `
  query ConsoleCompaniesCursor($first: Int!, $after: String, $search: String) {
    companies(first: $first, after: $after, search: $search) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

export const COMPANY = /* GraphQL */ `
  query ConsoleCompany($id: ID!) {
    company(id: $id) {
      id
      name
      domain
      country
    }
  }
`;

/** `companies`: by name (getList, its `search` filter), and those of given ids (getMany: the filter's choice). */
export const companiesResource: ResourceModule = {
  name: 'companies',
  handlers: ({ graphql, pager }) => ({
    getList: (params): Promise<GetListResult> => {
      const search = text(params.filter?.search);
      return pager({
        field: 'companies',
        pageDocument: COMPANIES_PAGE,
        cursorDocument: COMPANIES_CURSOR,
        variables: search === undefined ? {} : { search },
        page: params.pagination?.page ?? 1,
        perPage: params.pagination?.perPage ?? 25,
        signal: params.signal,
      });
    },
    async getMany(params): Promise<GetManyResult> {
      // One `company(id)` each (a filter names one): an id the API does not know is left out.
      const found = await Promise.all(
        [...new Set(params.ids.map(String))].map(async (id) => {
          const result = await graphql<{ company: Row | null }>(COMPANY, { id }, params.signal);
          return result.data.company;
        }),
      );
      return { data: found.filter((company): company is Row => company !== null) };
    },
  }),
};

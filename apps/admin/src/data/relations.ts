import type { GetManyReferenceResult } from 'react-admin';
import { notFound, type ResourceModule } from './resource';

/**
 * A relation of one contact, paged by cursor through `contact(id) { <relation>(first, after) }`: the page's rows,
 * and the same connection asking only for its count and cursor (to skip pages never visited). The relation is
 * decided by the policy per purpose and contact: it may come back null with its redaction entry, which the pager
 * answers as a page of no rows that carries the reason (cursors.ts `RedactedPage`), never as "none".
 */
export interface ContactRelationDocuments {
  readonly page: string;
  readonly cursor: string;
}

export function contactRelationDocuments(
  operation: string,
  relation: string,
  fields: string,
): ContactRelationDocuments {
  const query = (name: string, selection: string) => /* GraphQL */ `
    query ${name}($contactId: ID!, $first: Int!, $after: String) {
      contact(id: $contactId) {
        id
        ${relation}(first: $first, after: $after) {
          totalCount
          pageInfo { hasNextPage endCursor }
          ${selection}
        }
      }
    }
  `;
  return { page: query(operation, `edges { node { ${fields} } }`), cursor: query(`${operation}Cursor`, '') };
}

/** The contact a per-contact resource is asked for (`<ReferenceManyField target="contactId">`). */
export function contactIdOf(target: string, id: unknown): string {
  if (target !== 'contactId') throw notFound(`Reference ${target}`);
  return String(id);
}

/** A resource answering getManyReference by `contactId` with one relation of the contact, in cursor pages. */
export function contactRelationResource(
  name: string,
  relation: string,
  documents: ContactRelationDocuments,
): ResourceModule {
  return {
    name,
    handlers: ({ pager }) => ({
      getManyReference: (params): Promise<GetManyReferenceResult> =>
        pager({
          field: ['contact', relation],
          pageDocument: documents.page,
          cursorDocument: documents.cursor,
          variables: { contactId: contactIdOf(params.target, params.id) },
          page: params.pagination?.page ?? 1,
          perPage: params.pagination?.perPage ?? 10,
          signal: params.signal,
        }),
    }),
  };
}

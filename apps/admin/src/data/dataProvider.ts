import {
  type DataProvider,
  type GetListParams,
  type GetListResult,
  type GetOneParams,
  type GetOneResult,
  HttpError,
  type QueryFunctionContext,
  type RaRecord,
  type UpdateParams,
  type UpdateResult,
} from 'react-admin';
import { mayAccess } from '../auth/access';
import { activeSession, currentPurpose } from '../auth/session';
import {
  CONTACT,
  CONTACT_FILTERS,
  CONTACT_WRITABLE,
  CONTACTS_CURSOR,
  CONTACTS_PAGE,
  type ContactConnection,
  MAX_PAGE,
  UPDATE_CONTACT,
} from './contacts';
import {
  type Credentials,
  createGraphQLClient,
  type GraphQLClient,
  REDACTIONS_KEY,
  type Redactions,
  redactionsAt,
} from './graphql';

export interface DataProviderOptions {
  readonly fetch?: typeof fetch;
  readonly url?: string;
  readonly credentials?: () => Credentials | null;
}

function signedInCredentials(): Credentials | null {
  const session = activeSession();
  const purpose = currentPurpose();
  return session && purpose ? { token: session.token, purpose } : null;
}

type Row = Record<string, unknown> & { id: string };
const withRedactions = (row: Row, redactions: Redactions): RaRecord => ({
  ...row,
  [REDACTIONS_KEY]: redactions,
});

function unsupported(method: string, resource: string): never {
  throw new HttpError(`custos.errors.unsupported`, 501, { code: 'UNSUPPORTED', method, resource });
}

function contactFilter(filter: Record<string, unknown> | undefined): Record<string, string> | undefined {
  const entries = CONTACT_FILTERS.flatMap((name) => {
    const value = filter?.[name];
    return typeof value === 'string' && value.trim() !== '' ? [[name, value.trim()] as const] : [];
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

/**
 * The console's one dataProvider: hand-written GraphQL documents per resource and method, POSTed to the gateway
 * with `Authorization` and `X-Purpose`. Records keep the reasons of their redacted fields under `__redactions`.
 */
export function createDataProvider(options: DataProviderOptions = {}): DataProvider {
  const credentials = options.credentials ?? signedInCredentials;
  const graphql: GraphQLClient = createGraphQLClient({
    credentials,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.url ? { url: options.url } : {}),
  });
  /**
   * Cursor pagination under react-admin's numbered pages: per purpose, filter and page size, the `after` cursor of
   * each page reached so far (page 1 has none). A page never reached is skipped to with one cursor-only request.
   */
  const cursors = new Map<string, (string | null)[]>();

  async function contactsPage(
    page: number,
    perPage: number,
    filter: Record<string, string> | undefined,
    signal?: AbortSignal,
  ) {
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PAGE) {
      throw new HttpError(`first: must be 1 to ${MAX_PAGE} (BAD_USER_INPUT)`, 400, {
        code: 'BAD_USER_INPUT',
      });
    }
    const key = JSON.stringify([currentPurpose(), perPage, filter ?? null]);
    const known = cursors.get(key) ?? [null];
    cursors.set(key, known);
    let reached = known.length - 1 < page - 1 ? known.length - 1 : page - 1;
    while (reached < page - 1) {
      const pages = Math.min(page - 1 - reached, Math.floor(MAX_PAGE / perPage));
      const skipped = await graphql<{ contacts: ContactConnection<never> }>(
        CONTACTS_CURSOR,
        { first: pages * perPage, after: known[reached], filter },
        signal,
      );
      const { endCursor, hasNextPage } = skipped.data.contacts.pageInfo;
      if (!endCursor || (!hasNextPage && reached + pages < page - 1)) {
        return { data: [], total: skipped.data.contacts.totalCount };
      }
      reached += pages;
      known[reached] = endCursor;
    }
    const result = await graphql<{ contacts: ContactConnection<Row> }>(
      CONTACTS_PAGE,
      { first: perPage, after: known[page - 1], filter },
      signal,
    );
    const connection = result.data.contacts;
    if (connection.pageInfo.hasNextPage && connection.pageInfo.endCursor)
      known[page] = connection.pageInfo.endCursor;
    const data = (connection.edges ?? []).map((edge, index) =>
      withRedactions(edge.node, redactionsAt(result.redactions, ['contacts', 'edges', index, 'node'])),
    );
    return {
      data,
      total: connection.totalCount,
      pageInfo: { hasNextPage: connection.pageInfo.hasNextPage, hasPreviousPage: page > 1 },
    };
  }

  async function contact(id: string, signal?: AbortSignal): Promise<RaRecord> {
    const result = await graphql<{ contact: Row | null }>(CONTACT, { id }, signal);
    if (!result.data.contact)
      throw new HttpError('Contact not found (NOT_FOUND)', 404, { code: 'NOT_FOUND' });
    return withRedactions(result.data.contact, redactionsAt(result.redactions, ['contact']));
  }

  /**
   * The input of an update: the fields the form changed, among those the declared purpose may write, never one
   * that came back redacted (its null is no value, and saving it would erase one). The address goes whole.
   */
  function contactInput(data: Record<string, unknown>, previous: Record<string, unknown>) {
    const purpose = currentPurpose();
    const redacted = (previous[REDACTIONS_KEY] ?? {}) as Redactions;
    const entries = CONTACT_WRITABLE.filter(
      (field) =>
        mayAccess(purpose, 'write', `contacts.${field}`) &&
        !Object.hasOwn(redacted, field) &&
        !same(data[field], previous[field]),
    ).map((field) => [field, stored(data[field])] as const);
    return Object.fromEntries(entries);
  }

  /**
   * A request the declared purpose may not make is refused here, before it reaches the gateway (which would refuse
   * it too, and record the refusal in the audit trail): react-admin 5.15 fires a page's first query while it
   * redirects to its access-denied page.
   */
  function assertAllowed(action: string, resource: string): void {
    // Signed out (or expired): a 401, so that react-admin asks to sign in again.
    if (!credentials()) throw new HttpError('custos.auth.expired', 401, { code: 'UNAUTHENTICATED' });
    if (!mayAccess(currentPurpose(), action, resource)) {
      throw new HttpError('custos.errors.not_allowed', 403, { code: 'FORBIDDEN', action, resource });
    }
  }

  return {
    // react-admin's methods are generic in the record type; these records are what the documents ask for.
    async getList<R extends RaRecord>(
      resource: string,
      params: GetListParams & QueryFunctionContext,
    ): Promise<GetListResult<R>> {
      if (resource !== 'contacts') return unsupported('getList', resource);
      assertAllowed('list', resource);
      const page = params.pagination?.page ?? 1;
      const perPage = params.pagination?.perPage ?? 25;
      return (await contactsPage(
        page,
        perPage,
        contactFilter(params.filter),
        params.signal,
      )) as GetListResult<R>;
    },
    async getOne<R extends RaRecord>(
      resource: string,
      params: GetOneParams<R> & QueryFunctionContext,
    ): Promise<GetOneResult<R>> {
      if (resource !== 'contacts') return unsupported('getOne', resource);
      assertAllowed('show', resource);
      return { data: (await contact(String(params.id), params.signal)) as R };
    },
    async update<R extends RaRecord>(resource: string, params: UpdateParams): Promise<UpdateResult<R>> {
      if (resource !== 'contacts') return unsupported('update', resource);
      assertAllowed('edit', resource);
      const input = contactInput(params.data, params.previousData ?? {});
      const result = await graphql<{ updateContact: Row | null }>(UPDATE_CONTACT, {
        id: String(params.id),
        input,
      });
      const row = result.data.updateContact;
      if (!row) throw new HttpError('Contact not found (NOT_FOUND)', 404, { code: 'NOT_FOUND' });
      return { data: withRedactions(row, redactionsAt(result.redactions, ['updateContact'])) as R };
    },
    getMany: async (resource) => unsupported('getMany', resource),
    getManyReference: async (resource) => unsupported('getManyReference', resource),
    updateMany: async (resource) => unsupported('updateMany', resource),
    create: async (resource) => unsupported('create', resource),
    delete: async (resource) => unsupported('delete', resource),
    deleteMany: async (resource) => unsupported('deleteMany', resource),
  };
}

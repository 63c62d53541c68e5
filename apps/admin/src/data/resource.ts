import type { Purpose } from '@custos/policy';
import {
  type CreateParams,
  type CreateResult,
  type GetListParams,
  type GetListResult,
  type GetManyParams,
  type GetManyReferenceParams,
  type GetManyReferenceResult,
  type GetManyResult,
  type GetOneParams,
  type GetOneResult,
  HttpError,
  type QueryFunctionContext,
  type RaRecord,
  type UpdateParams,
  type UpdateResult,
} from 'react-admin';
import type { CursorPager } from './cursors';
import { type GraphQLClient, REDACTIONS_KEY, type Redactions } from './graphql';

/** A record as a document asks for it: the API's fields, an `id`. */
export type Row = Record<string, unknown> & { id: string };

export const withRedactions = (row: Row, redactions: Redactions): RaRecord => ({
  ...row,
  [REDACTIONS_KEY]: redactions,
});

export const notFound = (type: string) =>
  new HttpError(`${type} not found (NOT_FOUND)`, 404, { code: 'NOT_FOUND' });

/** What a resource module gets from the dataProvider: the GraphQL client, the cursor pager, the access check. */
export interface ResourceContext {
  readonly graphql: GraphQLClient;
  readonly pager: CursorPager;
  readonly purpose: () => Purpose | undefined;
  /** Throws 401 when signed out, 403 when the declared purpose may not do `action` on `resource`. */
  readonly assertAllowed: (action: string, resource: string) => void;
}

/** The react-admin methods a resource answers; a method it leaves out answers 501 (UNSUPPORTED). */
export interface ResourceHandlers {
  getList?(params: GetListParams & QueryFunctionContext): Promise<GetListResult>;
  getOne?(params: GetOneParams & QueryFunctionContext): Promise<GetOneResult>;
  getMany?(params: GetManyParams & QueryFunctionContext): Promise<GetManyResult>;
  getManyReference?(params: GetManyReferenceParams & QueryFunctionContext): Promise<GetManyReferenceResult>;
  update?(params: UpdateParams): Promise<UpdateResult>;
  create?(params: CreateParams): Promise<CreateResult>;
}

export type HandledMethod = keyof ResourceHandlers;

/**
 * One resource of the console: its name, its react-admin methods (the dataProvider checks each method's action,
 * `METHOD_ACTIONS`, before calling it) and the custom methods it adds to the dataProvider (they check their own
 * action). A later resource is one more module listed in dataProvider.ts.
 */
export interface ResourceModule {
  readonly name: string;
  handlers(context: ResourceContext): ResourceHandlers;
  methods?(context: ResourceContext): Readonly<Record<string, (params: never) => Promise<unknown>>>;
}

/** The canAccess action each react-admin method needs on its resource (auth/access.ts RESOURCE_OPERATIONS). */
export const METHOD_ACTIONS: Readonly<Record<HandledMethod, string>> = {
  getList: 'list',
  getManyReference: 'list',
  getOne: 'show',
  getMany: 'show',
  update: 'edit',
  create: 'create',
};

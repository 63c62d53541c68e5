import {
  type DataProvider,
  type GetListParams,
  type GetManyParams,
  type GetManyReferenceParams,
  type GetOneParams,
  HttpError,
  type QueryFunctionContext,
} from 'react-admin';
import { mayAccess } from '../auth/access';
import { activeSession, currentPurpose } from '../auth/session';
import { auditAlertsResource, auditEventsResource, auditRulesResource } from './audit';
import { companiesResource } from './companies';
import { consentReceiptsResource, consentStatesResource, consentsResource } from './consents';
import { consentToolsResource } from './consentTools';
import { contactsResource } from './contacts';
import { createCursorPager } from './cursors';
import { dashboardResource } from './dashboard';
import { contactDuplicatesResource } from './duplicates';
import { type Credentials, createGraphQLClient, type GraphQLClient } from './graphql';
import { interactionsResource } from './interactions';
import { privacyNoticesResource } from './notices';
import {
  type HandledMethod,
  METHOD_ACTIONS,
  type ResourceContext,
  type ResourceHandlers,
  type ResourceModule,
} from './resource';
import { ticketsResource } from './tickets';

/** Every resource the dataProvider answers: a new resource is one more module here. */
export const RESOURCES: readonly ResourceModule[] = [
  contactsResource,
  companiesResource,
  consentsResource,
  consentStatesResource,
  consentReceiptsResource,
  privacyNoticesResource,
  consentToolsResource,
  auditEventsResource,
  auditAlertsResource,
  auditRulesResource,
  dashboardResource,
  interactionsResource,
  ticketsResource,
  contactDuplicatesResource,
];

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

function unsupported(method: string, resource: string): never {
  throw new HttpError(`custos.errors.unsupported`, 501, { code: 'UNSUPPORTED', method, resource });
}

/** The methods the consent actions add (custom dataProvider methods: `useDataProvider().withdrawConsent(…)`). */
export type ConsoleDataProvider = DataProvider & Readonly<Record<string, unknown>>;

/**
 * The console's one dataProvider: hand-written GraphQL documents per resource and method (one module per resource,
 * `RESOURCES`), POSTed to the gateway with `Authorization` and `X-Purpose`. Records keep the reasons of their
 * redacted fields under `__redactions`.
 */
export function createDataProvider(options: DataProviderOptions = {}): ConsoleDataProvider {
  const credentials = options.credentials ?? signedInCredentials;
  // The purpose the requests declare: access is checked for the purpose that is sent.
  const purpose = () => credentials()?.purpose;
  const graphql: GraphQLClient = createGraphQLClient({
    credentials,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.url ? { url: options.url } : {}),
  });

  /**
   * A request the declared purpose may not make is refused here, before it reaches the gateway (which would refuse
   * it too, and record the refusal in the audit trail): react-admin 5.15 fires a page's first query while it
   * redirects to its access-denied page.
   */
  function assertAllowed(action: string, resource: string): void {
    // Signed out (or expired): a 401, so that react-admin asks to sign in again.
    if (!credentials()) throw new HttpError('custos.auth.expired', 401, { code: 'UNAUTHENTICATED' });
    if (!mayAccess(purpose(), action, resource)) {
      throw new HttpError('custos.errors.not_allowed', 403, { code: 'FORBIDDEN', action, resource });
    }
  }

  const context: ResourceContext = {
    graphql,
    pager: createCursorPager(graphql, purpose),
    purpose,
    assertAllowed,
  };
  const handlers = new Map<string, ResourceHandlers>(
    RESOURCES.map((module) => [module.name, module.handlers(context)]),
  );
  const methods = Object.assign({}, ...RESOURCES.map((module) => module.methods?.(context) ?? {}));

  /** The resource's handler of `method`, after the access check of its action; 501 when it has none. */
  function handler<M extends HandledMethod>(method: M, resource: string): NonNullable<ResourceHandlers[M]> {
    const found = handlers.get(resource)?.[method];
    if (!found) return unsupported(method, resource);
    assertAllowed(METHOD_ACTIONS[method], resource);
    return found as NonNullable<ResourceHandlers[M]>;
  }

  // react-admin's methods are generic in the record type; the records are what each module's documents ask for.
  const provider = {
    getList: async (resource: string, params: GetListParams & QueryFunctionContext) =>
      handler('getList', resource)(params),
    getOne: async (resource: string, params: GetOneParams & QueryFunctionContext) =>
      handler('getOne', resource)(params),
    getManyReference: async (resource: string, params: GetManyReferenceParams & QueryFunctionContext) =>
      handler('getManyReference', resource)(params),
    update: async (resource: string, params: Parameters<NonNullable<ResourceHandlers['update']>>[0]) =>
      handler('update', resource)(params),
    create: async (resource: string, params: Parameters<NonNullable<ResourceHandlers['create']>>[0]) =>
      handler('create', resource)(params),
    getMany: async (resource: string, params: GetManyParams & QueryFunctionContext) =>
      handler('getMany', resource)(params),
    updateMany: async (resource: string) => unsupported('updateMany', resource),
    delete: async (resource: string) => unsupported('delete', resource),
    deleteMany: async (resource: string) => unsupported('deleteMany', resource),
  };
  return { ...methods, ...provider } as unknown as ConsoleDataProvider;
}

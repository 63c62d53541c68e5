import type { Purpose, RedactionReason } from '@custos/policy';
import { HttpError } from 'react-admin';

/** One entry of the response's `extensions.redactions` (DESIGN.md, "Redaction semantics"). */
export interface Redaction {
  readonly path: readonly (string | number)[];
  readonly field: string;
  readonly category?: string;
  readonly reason: RedactionReason;
}

/** A record with the reasons its redacted fields came back null, by the record's own property name. */
export type Redactions = Readonly<Record<string, RedactionReason>>;
export const REDACTIONS_KEY = '__redactions';

interface GraphQLErrorBody {
  readonly message?: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: {
    readonly code?: string;
    readonly problems?: readonly { field: string; rule: string; message: string }[];
  } & Record<string, unknown>;
}

interface GraphQLResponse<T> {
  readonly data?: T | null;
  readonly errors?: readonly GraphQLErrorBody[];
  readonly extensions?: { readonly redactions?: readonly Redaction[] };
}

export interface Credentials {
  readonly token: string;
  readonly purpose: Purpose;
}

export interface GraphQLClientOptions {
  readonly fetch?: typeof fetch;
  readonly url?: string;
  /** The signed-in token and the declared purpose, or null when signed out (the request answers 401). */
  readonly credentials: () => Credentials | null;
}

const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  CONFLICT: 409,
};

/**
 * The server's first error as react-admin's HttpError: its message and code in the text of the notification, its
 * status from the code, and for BAD_USER_INPUT each problem under its field (`body.errors`), which react-admin's
 * forms show beside the input.
 */
export function toHttpError(error: GraphQLErrorBody, httpStatus: number): HttpError {
  const code = error.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
  const message = error.message ?? code;
  const status = STATUS_OF_CODE[code] ?? (httpStatus >= 400 ? httpStatus : 500);
  const problems = error.extensions?.problems ?? [];
  const fieldErrors = Object.fromEntries(problems.map((problem) => [problem.field, problem.message]));
  return new HttpError(`${message} (${code})`, status, {
    code,
    message,
    problems,
    errors: { ...fieldErrors, root: { serverError: `${message} (${code})` } },
  });
}

/** The redactions under `prefix` (a record's path in the response), by the record's property they nulled. */
export function redactionsAt(
  redactions: readonly Redaction[],
  prefix: readonly (string | number)[],
): Redactions {
  const entries = redactions
    .filter(
      (redaction) =>
        redaction.path.length > prefix.length &&
        prefix.every((step, index) => redaction.path[index] === step),
    )
    .map((redaction) => [String(redaction.path[prefix.length]), redaction.reason] as const);
  return Object.fromEntries(entries);
}

export interface GraphQLResult<T> {
  readonly data: T;
  readonly redactions: readonly Redaction[];
}

export type GraphQLClient = <T>(
  document: string,
  variables: Record<string, unknown>,
  signal?: AbortSignal,
) => Promise<GraphQLResult<T>>;

/** POSTs one document with its variables to the gateway, with the token and the declared purpose. */
export function createGraphQLClient(options: GraphQLClientOptions): GraphQLClient {
  const request = options.fetch ?? ((input, init) => fetch(input, init));
  const url = options.url ?? '/graphql';
  return async <T>(document: string, variables: Record<string, unknown>, signal?: AbortSignal) => {
    const credentials = options.credentials();
    if (!credentials) throw new HttpError('custos.auth.expired', 401, { code: 'UNAUTHENTICATED' });
    let response: Response;
    try {
      response = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          authorization: `Bearer ${credentials.token}`,
          'x-purpose': credentials.purpose,
        },
        body: JSON.stringify({ query: document, variables }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new HttpError('custos.errors.network', 503, { code: 'NETWORK' });
    }
    let body: GraphQLResponse<T>;
    try {
      body = (await response.json()) as GraphQLResponse<T>;
    } catch {
      throw new HttpError('custos.errors.unexpected', response.status >= 400 ? response.status : 502, {
        code: 'BAD_RESPONSE',
      });
    }
    const [first] = body.errors ?? [];
    if (first) throw toHttpError(first, response.status);
    if (body.data === undefined || body.data === null) {
      throw new HttpError('custos.errors.unexpected', response.status >= 400 ? response.status : 502, {
        code: 'BAD_RESPONSE',
      });
    }
    return { data: body.data, redactions: body.extensions?.redactions ?? [] };
  };
}

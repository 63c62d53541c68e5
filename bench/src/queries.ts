// The requests the bench sends: the same page of contacts, in each server's dialect.

/** The Custos operation, as the issue states it. */
export const CUSTOS_QUERY =
  'query Bench($first: Int!) { contacts(first: $first) { edges { cursor node { id fullName email phone ' +
  'birthDate country createdAt } } pageInfo { hasNextPage endCursor } } }';

/** The same page without a cursor: the cursor section's baseline. */
export const NO_CURSOR_QUERY =
  'query Bench($first: Int!) { contacts(first: $first) { edges { node { id fullName email phone ' +
  'birthDate country createdAt } } pageInfo { hasNextPage } } }';

/**
 * The bench page following the contact's relations as well — its employer and its three newest interactions, each
 * a personal fact the policy classifies and decides (that a person works for a company, was called on a date).
 * The change section's `BENCH_CHANGE_QUERY=relations`: what deciding relations costs against a build before it.
 */
export const RELATIONS_QUERY =
  'query Bench($first: Int!) { contacts(first: $first) { edges { cursor node { id fullName email phone ' +
  'birthDate country createdAt company { id name domain } interactions(first: 3) { edges { node { id type ' +
  'occurredAt } } } } } pageInfo { hasNextPage endCursor } } }';

/**
 * The same page from PostGraphile. Its Amber preset names the `id` column `rowId` (`id` is the Relay node id,
 * which would cost an extra encoding per row) and `address_country` `addressCountry`; the order is the subgraph's.
 */
export const POSTGRAPHILE_QUERY =
  'query Bench($first: Int!) { allContacts(first: $first, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { edges { ' +
  'cursor node { rowId fullName email phone birthDate addressCountry createdAt } } ' +
  'pageInfo { hasNextPage endCursor } } }';

/**
 * The enforcement section's federation fetch: the fields of the list query, for BENCH_ENTITIES contacts by id
 * (the representations are variables, so they cost no query tokens).
 */
export const ENTITIES_QUERY =
  'query E($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id fullName email phone ' +
  'birthDate country createdAt } } }';

/** The node fields each query selects: every one must be in every answer. */
export const CUSTOS_FIELDS = [
  'id',
  'fullName',
  'email',
  'phone',
  'birthDate',
  'country',
  'createdAt',
] as const;
export const POSTGRAPHILE_FIELDS = [
  'rowId',
  'fullName',
  'email',
  'phone',
  'birthDate',
  'addressCountry',
  'createdAt',
] as const;

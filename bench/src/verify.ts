// Before any load, every case of a server is answered once and checked: a benchmark of error answers would be
// worthless, so anything but a correct, error-free page stops the run.
import type { BenchRequest, Case } from './requests.js';
import { send } from './requests.js';
import type { ServerSpec } from './servers.js';

/** What a verified answer showed: its rows and cursors in order, its size, its redactions. */
export interface VerifiedPage {
  readonly ids: readonly string[];
  readonly cursors: readonly string[];
  readonly bytes: number;
  readonly redactions: number;
}

type Json = Readonly<Record<string, unknown>>;
const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

/**
 * Sends the request once and checks the answer is a correct page: HTTP 200, no GraphQL errors, `size` edges,
 * each with a cursor and every selected field present, a next page, and endCursor = the last edge's cursor.
 */
export async function verify(
  name: string,
  server: ServerSpec,
  request: BenchRequest,
  item: Case,
): Promise<VerifiedPage> {
  const { status, text } = await send(request);
  const fail = (why: string): never => {
    throw new Error(`${name} at ${item.key}: ${why}\nHTTP ${status}: ${text.slice(0, 1_000)}`);
  };
  if (status !== 200) fail('expected HTTP 200');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail('answer is not JSON');
  }
  const json = asObject(parsed);
  if (json?.errors !== undefined) fail('answer has errors');
  // Redactions are a normal part of an enforced answer (extensions, not errors); allow-all must have none, or
  // the switch is not in effect (a build older than CUSTOS_POLICY_ALLOW_ALL ignores it).
  const listed = asObject(json?.extensions)?.redactions;
  const redactions = Array.isArray(listed) ? listed.length : 0;
  if (server.allowAll && redactions > 0) {
    fail(`${redactions} redactions under allow-all: the policy is still enforced (rebuild: npm run build)`);
  }
  const data = asObject(json?.data);
  const bytes = Buffer.byteLength(text);
  if (item.kind === 'entities') return { ...verifyEntities(server, item.ids, data, fail), bytes, redactions };
  const connection = asObject(data?.[server.connectionField]);
  const edges = connection?.edges;
  if (!Array.isArray(edges)) return fail('no connection edges in the answer');
  if (edges.length !== item.size) fail(`expected ${item.size} edges, got ${edges.length}`);
  const withCursors = server.withCursors !== false;
  const ids: string[] = [];
  const cursors: string[] = [];
  for (const [index, value] of edges.entries()) {
    const edge = asObject(value);
    const node = asObject(edge?.node);
    const missing = server.fields.filter((field) => node?.[field] === undefined);
    if (missing.length > 0) fail(`edge ${index} lacks ${missing.join(', ')}`);
    const id = node?.[server.idField];
    if (typeof id !== 'string') return fail(`edge ${index} has no ${server.idField}`);
    ids.push(id);
    const cursor = edge?.cursor;
    if (!withCursors) {
      if (cursor !== undefined) fail(`edge ${index} has a cursor it was not asked for`);
      continue;
    }
    if (typeof cursor !== 'string' || cursor === '') return fail(`edge ${index} has no cursor`);
    cursors.push(cursor);
    const decoded = Buffer.from(cursor.slice(cursor.indexOf('.') + 1), 'base64url');
    if (server.opaqueCursors && [cursor, decoded.toString('latin1')].some((text) => text.includes(id))) {
      fail(`edge ${index}'s cursor reveals its row id`);
    }
  }
  const pageInfo = asObject(connection?.pageInfo);
  if (pageInfo?.hasNextPage !== true) fail('pageInfo.hasNextPage should be true');
  if (withCursors && pageInfo?.endCursor !== cursors.at(-1)) fail('endCursor is not the last cursor');
  return { ids, cursors, bytes, redactions };
}

/** `_entities`: one entity per representation, none null, in order, every selected field present. */
function verifyEntities(
  server: ServerSpec,
  ids: readonly string[],
  data: Json | undefined,
  fail: (why: string) => never,
): { ids: readonly string[]; cursors: readonly string[] } {
  const entities = data?._entities;
  if (!Array.isArray(entities)) return fail('no _entities in the answer');
  if (entities.length !== ids.length) fail(`expected ${ids.length} entities, got ${entities.length}`);
  for (const [index, value] of entities.entries()) {
    const entity = asObject(value);
    if (entity === undefined) return fail(`entity ${index} is null`);
    if (entity.id !== ids[index]) fail(`entity ${index} is ${entity.id}, expected ${ids[index]}`);
    const missing = server.fields.filter((field) => entity[field] === undefined);
    if (missing.length > 0) fail(`entity ${index} lacks ${missing.join(', ')}`);
  }
  return { ids, cursors: [] };
}

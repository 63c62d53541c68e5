// What a server is measured at (its cases) and the exact request the load generator repeats for each.
import { ENTITIES_QUERY } from './queries.js';
import type { ServerSpec } from './servers.js';
import type { Settings } from './settings.js';
import type { Identity } from './tokens.js';

/** A page of `size` contacts, or `_entities` for the contacts `ids`. */
export type Case =
  | { readonly kind: 'list'; readonly key: string; readonly size: number; readonly rounds: number }
  | {
      readonly kind: 'entities';
      readonly key: string;
      readonly ids: readonly string[];
      readonly rounds: number;
    };

/** One HTTP request, as the load generator sends it. */
export interface BenchRequest {
  readonly url: string;
  readonly method: 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * A page of each size for every server, and, for the enforcement variants, `_entities` with BENCH_ENTITIES
 * representations (`entityIds`: the contacts to fetch).
 */
export function casesFor(server: ServerSpec, settings: Settings, entityIds: readonly string[]): Case[] {
  const lists: Case[] = settings.sizes.map((size) => ({
    kind: 'list',
    key: `first=${size}`,
    size,
    rounds: settings.rounds,
  }));
  if (!server.entities) return lists;
  return [
    ...lists,
    {
      kind: 'entities',
      key: `entities=${entityIds.length}`,
      ids: entityIds,
      rounds: settings.entitiesRounds,
    },
  ];
}

/** The exact request the load generator repeats, for one server (listening on `port`) and case. */
export function requestFor(server: ServerSpec, port: number, item: Case, identity: Identity): BenchRequest {
  const body =
    item.kind === 'entities'
      ? { query: ENTITIES_QUERY, variables: { r: item.ids.map((id) => ({ __typename: 'Contact', id })) } }
      : { query: server.query, variables: { first: item.size } };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    method: 'POST',
    headers: server.headers(identity),
    body: JSON.stringify(body),
  };
}

/** Sends the request once: its status and body. */
export async function send(request: BenchRequest): Promise<{ status: number; text: string }> {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
  });
  return { status: response.status, text: await response.text() };
}

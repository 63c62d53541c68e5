import { readFileSync } from 'node:fs';
import { printSubgraphSchema } from '@apollo/subgraph';
import {
  type ContactState,
  decideField,
  isPersonalField,
  mayRunOperation,
  maySeeRow,
  NON_PERSONAL_FIELDS,
  PERSONAL_FIELD_NAMES,
  type PersonalField,
  type Purpose,
  ROLE_PURPOSES,
  type Role,
} from '@custos/policy';
import { createLogger } from '@custos/runtime';
import type { GraphQLObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../../apps/subgraph/src/schema.js';
import {
  postGraphQL,
  schemaDiff,
  startTestServer,
  type TestServer,
} from '../../apps/subgraph/test/support/harness.js';
import { expectPolicyDirectives, personalFieldsOf } from '../../apps/subgraph/test/support/sdl.js';
import { type RunningTickets, startTickets, TICKETS_MODEL } from '../../apps/tickets/src/bootstrap.js';
import { buildTicketsSchema } from '../../apps/tickets/src/schema.js';
import { ticketsConfig } from './support/config.js';

/**
 * The tickets subgraph applies Custos' policy on its own: every ticket is served only when its requester is a
 * row the purpose may see, its text only when the purpose may see it on that row, and a Contact reference to a
 * hidden contact resolves to null. Custos runs next to it on the same database, as `npm start` runs them.
 */
let custos: TestServer;
let tickets: RunningTickets;

interface DbTicket {
  id: string;
  requester_id: string;
  subject: string;
  description: string | null;
  restricted: boolean;
  limit_sensitive: boolean;
  consents: Record<string, string> | null;
  created_at: string;
}
let rows: DbTicket[];

function startTicketsOn(server: TestServer): Promise<RunningTickets> {
  return startTickets(ticketsConfig(server), createLogger('silent'));
}

beforeAll(async () => {
  custos = await startTestServer({ seedContacts: 150 });
  tickets = await startTicketsOn(custos);
  // At least one requester whose processing is restricted (Art 18), whatever the seed drew.
  await custos.sql(
    'update contact set restricted = true where id = (select requester_id from tickets.ticket order by id limit 1)',
  );
  rows = await custos.sql<DbTicket>(
    `select t.id, t.requester_id, t.subject, t.description, c.restricted, c.limit_sensitive,
       (select jsonb_object_agg(cs.purpose, cs.status) from consent_state cs where cs.contact_id = c.id) consents,
       to_char(t.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as created_at
     from tickets.ticket t join contact c on c.id = t.requester_id order by t.id`,
  );
});
afterAll(async () => {
  await tickets?.stop();
  await custos?.close();
});

async function gql<T = Record<string, unknown>>(
  query: string,
  options: { token?: string | null; purpose?: string; variables?: Record<string, unknown> } = {},
) {
  const token = options.token === undefined ? await custos.token(['support_agent']) : options.token;
  return postGraphQL<T>(`${tickets.url}/graphql`, query, { ...options, token });
}

const stateOf = (row: DbTicket): ContactState => ({
  erased: false,
  restricted: row.restricted,
  limitSensitive: row.limit_sensitive,
  consents: (row.consents ?? {}) as ContactState['consents'],
});

const newestFirst = (a: DbTicket, b: DbTicket) =>
  b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id);

const PAGE =
  'totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
interface TicketPage {
  totalCount: number;
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

/**
 * Pages a list of tickets to its end, `size` at a time, checking each page's PageInfo (the shared one) against
 * its edges: a previous page exactly when `after` was given, start and end cursors those of its first and last
 * edge, a next page exactly when rows remain. Returns the ids served, in order.
 */
async function pageThrough(size: number, fetchPage: (after: string | null) => Promise<TicketPage>) {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    const last = ids.length + size >= page.totalCount;
    expect(page.edges).toHaveLength(last ? page.totalCount - ids.length : size);
    expect(page.pageInfo).toEqual({
      hasNextPage: !last,
      hasPreviousPage: after !== null,
      startCursor: page.edges[0]?.cursor ?? null,
      endCursor: page.edges.at(-1)?.cursor ?? null,
    });
    ids.push(...page.edges.map((edge) => edge.node.id));
    if (last) return ids;
    after = page.pageInfo.endCursor;
  }
}

const CASES = (Object.entries(ROLE_PURPOSES) as [Role, readonly Purpose[]][]).flatMap(([role, purposes]) =>
  purposes.map((purpose) => [role, purpose] as const),
);

describe('tickets subgraph', () => {
  it('seeds demo tickets for the demo contacts, once', async () => {
    expect(rows.length).toBeGreaterThan(20);
    const again = await startTicketsOn(custos);
    await again.stop();
    const [count] = await custos.sql<{ n: number }>('select count(*)::int n from tickets.ticket');
    expect(count!.n).toBe(rows.length);
  });

  it.each(CASES)(
    'as %s for %s: exactly the tickets and text the policy allows, and nothing else',
    async (role, purpose) => {
      const token = await custos.token([role]);
      const res = await gql<{
        tickets: {
          totalCount: number;
          nodes: {
            id: string;
            subject: string | null;
            description: string | null;
            requester: { id: string } | null;
          }[];
        };
      }>('{ tickets(first: 500) { totalCount nodes { id subject description requester { id } } } }', {
        token,
        purpose,
      });
      if (!mayRunOperation(purpose, 'Query.tickets')) {
        expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        return;
      }
      expect(res.body.errors).toBeUndefined();
      const visible = rows.filter((row) => maySeeRow(purpose, stateOf(row)));
      const served = res.body.data!.tickets.nodes;
      expect(served.map((t) => t.id).sort()).toEqual(visible.map((t) => t.id).sort());
      expect(res.body.data!.tickets.totalCount).toBe(visible.length);
      const redactions = (res.body.extensions?.redactions ?? []) as {
        path: (string | number)[];
        field: string;
        reason: string;
      }[];
      for (const [index, ticket] of served.entries()) {
        const row = visible.find((r) => r.id === ticket.id)!;
        // The requester is a relation: personal data of the requester like the ticket's text.
        for (const [key, field, value] of [
          ['subject', 'Ticket.subject', row.subject],
          ['description', 'Ticket.description', row.description],
          ['requester', 'Ticket.requester', { id: row.requester_id }],
        ] as const) {
          const decision = decideField(purpose, field as PersonalField, stateOf(row));
          const entry = redactions.find((r) => r.path.join('.') === `tickets.nodes.${index}.${key}`);
          if (decision.allowed) {
            expect(ticket[key]).toEqual(value);
            expect(entry).toBeUndefined();
          } else {
            expect(ticket[key]).toBeNull();
            expect(entry).toMatchObject({ field, reason: decision.reason });
          }
        }
      }
      // No text of a ticket the purpose may not read appears anywhere in the response.
      for (const row of rows) {
        const readable =
          maySeeRow(purpose, stateOf(row)) &&
          decideField(purpose, 'Ticket.description', stateOf(row)).allowed;
        if (!readable && row.description) expect(res.text).not.toContain(row.description);
      }
    },
  );

  it('answers a ticket of a hidden contact like one that does not exist', async () => {
    const hidden = rows.find((row) => row.restricted)!;
    const token = await custos.token(['sales_rep']);
    const res = await gql('query($id: ID!) { ticket(id: $id) { id subject } }', {
      token,
      purpose: 'sales',
      variables: { id: hidden.id },
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ ticket: null });
    expect(res.text).not.toContain(hidden.subject);
  });

  it('a forged _entities call (valid token, no gateway) gets no tickets of a contact the purpose may not see', async () => {
    const hidden = rows.find((row) => row.restricted)!;
    const shown = rows.find((row) => !row.restricted && !row.consents)!;
    const token = await custos.token(['sales_rep']);
    const res = await gql<{ _entities: ({ id: string; tickets: { id: string }[] } | null)[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id tickets { id } } } }`,
      {
        token,
        purpose: 'sales',
        variables: {
          r: [
            { __typename: 'Contact', id: hidden.requester_id },
            { __typename: 'Contact', id: shown.requester_id },
          ],
        },
      },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!._entities[0]).toBeNull();
    expect(res.body.data!._entities[1]!.tickets.map((t) => t.id)).toContain(shown.id);
    expect(res.text).not.toContain(hidden.id);
  });

  it('refuses analytics on _entities, and a request without a token with 401', async () => {
    const analyst = await custos.token(['analyst']);
    const forbidden = await gql('query { _entities(representations: []) { __typename } }', {
      token: analyst,
      purpose: 'analytics',
    });
    expect(forbidden.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await gql('{ tickets { totalCount } }', { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('pages tickets newest first with the shared PageInfo (hasPreviousPage, startCursor, endCursor)', async () => {
    const token = await custos.token(['support_agent']);
    const purpose = 'customer_support';
    const visible = rows.filter((row) => maySeeRow(purpose, stateOf(row))).sort(newestFirst);
    expect(visible.length).toBeGreaterThan(14);
    const ids = await pageThrough(7, async (after) => {
      const res = await gql<{ tickets: TicketPage }>(
        `query($after: String) { tickets(first: 7, after: $after) { ${PAGE} } }`,
        { token, purpose, variables: { after } },
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!.tickets.totalCount).toBe(visible.length);
      return res.body.data!.tickets;
    });
    expect(ids).toEqual(visible.map((row) => row.id));
    // A page of none has no cursors; like every list of Custos, it reads no row, so it tells of no next page.
    const empty = await gql<{ tickets: TicketPage }>(`{ tickets(first: 0) { ${PAGE} } }`, { token, purpose });
    expect(empty.body.errors).toBeUndefined();
    expect(empty.body.data!.tickets.edges).toEqual([]);
    expect(empty.body.data!.tickets.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor: null,
      endCursor: null,
    });
  });

  it("pages a contact's ticketConnection with the shared PageInfo", async () => {
    const token = await custos.token(['sales_rep']);
    const purpose = 'sales';
    const perRequester = new Map<string, DbTicket[]>();
    for (const row of rows.filter((r) => maySeeRow(purpose, stateOf(r)))) {
      perRequester.set(row.requester_id, [...(perRequester.get(row.requester_id) ?? []), row]);
    }
    const [requester, own] = [...perRequester].sort((a, b) => b[1].length - a[1].length)[0]!;
    expect(own.length).toBeGreaterThan(1);
    expect(decideField(purpose, 'Contact.ticketConnection', stateOf(own[0]!)).allowed).toBe(true);
    const ids = await pageThrough(1, async (after) => {
      const res = await gql<{ _entities: { ticketConnection: TicketPage }[] }>(
        `query($r: [_Any!]!, $after: String) { _entities(representations: $r) {
           ... on Contact { ticketConnection(first: 1, after: $after) { ${PAGE} } } } }`,
        { token, purpose, variables: { r: [{ __typename: 'Contact', id: requester }], after } },
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data!._entities[0]!.ticketConnection.totalCount).toBe(own.length);
      return res.body.data!._entities[0]!.ticketConnection;
    });
    expect(ids).toEqual(own.sort(newestFirst).map((row) => row.id));
  });

  it('shares DateTime, Date and PageInfo with Custos: the same definitions, PageInfo @shareable in both', () => {
    const sdls = [printSubgraphSchema(buildSchema()), printSubgraphSchema(buildTicketsSchema())];
    // A definition as printed: its description, if any, and the lines up to the next blank line.
    const definition = (sdl: string, kind: string, name: string) =>
      new RegExp(`(?:"""[^"]*"""\\n)?${kind} ${name}\\b[^]*?(?=\\n\\n)`).exec(sdl)?.[0];
    for (const [kind, name] of [
      ['scalar', 'DateTime'],
      ['scalar', 'Date'],
      ['type', 'PageInfo'],
    ] as const) {
      const [custosDefinition, ticketsDefinition] = sdls.map((sdl) => definition(sdl, kind, name));
      expect(custosDefinition).toContain(`${kind} ${name}`);
      expect(ticketsDefinition).toBe(custosDefinition);
    }
    expect(definition(sdls[1]!, 'type', 'PageInfo')).toMatch(/\ntype PageInfo\n {2}@shareable\n\{\n/);
    expect(sdls[1]).toMatch(/type TicketConnection \{[^}]*pageInfo: PageInfo!/);
    expect(sdls[1]).not.toContain('TicketPageInfo');
  });

  it('serves one page of tickets in one statement, the row rule inside it', async () => {
    const token = await custos.token(['sales_rep']);
    const statements = await custos.countSql(() =>
      gql('{ tickets(first: 50) { nodes { id subject } } }', { token, purpose: 'sales' }),
    );
    const reads = statements.filter((s) => /tickets\.ticket/.test(s));
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatch(/join tickets\.contact_privacy c/);
    expect(reads[0]).toMatch(/consent_objected/);
    expect(reads[0]).not.toMatch(/t\.description/);
  });

  it('prints the committed SDL (npm run sdl), with @pii and @policy from the policy on its personal fields', () => {
    const schema = buildTicketsSchema();
    const committed = readFileSync(new URL('../../apps/tickets/schema.graphql', import.meta.url), 'utf8');
    expect(committed).toBe(`${printSubgraphSchema(schema)}\n`);
    expectPolicyDirectives(schema);
    // Between them, Custos and tickets serve every personal field of the policy, each exactly once.
    const served = [...personalFieldsOf(buildSchema()), ...personalFieldsOf(schema)].sort();
    expect(served).toEqual([...PERSONAL_FIELD_NAMES].sort());
    const nonPersonal = new Set<string>(NON_PERSONAL_FIELDS);
    const ticketFields = Object.keys((schema.getType('Ticket') as GraphQLObjectType).getFields());
    expect(
      ticketFields.filter((f) => !isPersonalField(`Ticket.${f}`) && !nonPersonal.has(`Ticket.${f}`)),
    ).toEqual([]);
  });

  it('its migrations describe exactly its entities', async () => {
    expect(await schemaDiff(custos, TICKETS_MODEL, 'tickets')).toBe('');
  });
});

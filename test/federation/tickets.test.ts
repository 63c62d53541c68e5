import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import {
  type ContactState,
  decideField,
  mayRunOperation,
  maySeeRow,
  PERSONAL_FIELDS,
  type PersonalField,
  type Purpose,
  ROLE_PURPOSES,
  type Role,
} from '@custos/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSupergraph } from '../../apps/gateway/src/supergraph.js';
import { type GqlResponse, setConsentState } from '../../apps/subgraph/test/support/harness.js';
import { type Federation, SUPERGRAPH_PATH, startFederation } from './support/federation.js';

/**
 * Queries that cross both subgraphs (contact → tickets, ticket → requester → email), for every role and
 * purpose, through Hive Gateway and through @apollo/gateway. Expectations come from the database and the
 * policy's pure functions, not from either gateway: the rows, the values, the nulls and (Hive Gateway, which
 * passes subgraph extensions on) every redaction entry with its client path. @apollo/gateway enforces no
 * directive and drops subgraph extensions: its data must still be the same, because the subgraphs enforce.
 */
let federation: Federation;
let apollo: { url: string; close(): Promise<void> };

interface DbContact {
  id: string;
  full_name: string;
  email: string;
  health_notes: string | null;
  restricted: boolean;
  limit_sensitive: boolean;
  created_at: string;
  consents: Record<string, string> | null;
}
interface DbTicket {
  id: string;
  requester_id: string;
  subject: string;
  description: string | null;
  status: string;
  created_at: string;
}
let contacts: Map<string, DbContact>;
let tickets: DbTicket[];

const stateOf = (c: DbContact): ContactState => ({
  erased: false,
  restricted: c.restricted,
  limitSensitive: c.limit_sensitive,
  consents: (c.consents ?? {}) as ContactState['consents'],
});

/** Apollo's own gateway, as a team running it would: it forwards the caller's headers and nothing else. */
async function startApolloGateway(supergraphSdl: string) {
  const gateway = new ApolloGateway({
    // Apollo Gateway refuses `for: SECURITY` features (`@policy` is enforced by Apollo Router only): it gets
    // the supergraph without that marker and ignores `@policy` — which is the point of this client.
    supergraphSdl: supergraphSdl.replaceAll(', for: SECURITY', ''),
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<{ headers: Record<string, string | string[] | undefined> }>({
        url,
        willSendRequest({ request, context }) {
          for (const name of ['authorization', 'x-purpose', 'sec-gpc']) {
            const value = context.headers?.[name];
            if (typeof value === 'string') request.http?.headers.set(name, value);
          }
        },
      }),
  });
  const server = new ApolloServer<{ headers: Record<string, string | string[] | undefined> }>({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ headers: req.headers }),
  });
  return { url, close: () => server.stop() };
}

beforeAll(async () => {
  federation = await startFederation({ seedContacts: 120, tickets: true });
  // Requesters in every state that changes an answer: restricted, objecting to sales, limiting sensitive use.
  const requesters = await federation.custos.sql<{ id: string }>(
    'select distinct requester_id as id from tickets.ticket order by 1 limit 3',
  );
  const [restricted, objected, limited] = requesters.map((r) => r.id);
  await federation.custos.sql('update contact set restricted = true where id = $1', [restricted]);
  await setConsentState(federation.custos, objected!, 'sales', 'OBJECTED');
  await federation.custos.sql('update contact set limit_sensitive = true where id = $1', [limited]);
  const rows = await federation.custos.sql<DbContact>(
    `select c.id, c.full_name, c.email, c.health_notes, c.restricted, c.limit_sensitive,
       to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at,
       (select jsonb_object_agg(cs.purpose, cs.status) from consent_state cs where cs.contact_id = c.id) consents
     from contact c`,
  );
  contacts = new Map(rows.map((c) => [c.id, c]));
  tickets = await federation.custos.sql<DbTicket>(
    `select id, requester_id, subject, description, status,
       to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at
     from tickets.ticket`,
  );
  const urls = Object.fromEntries(
    Object.entries(federation.recorders).map(([name, recorder]) => [name, recorder.url]),
  );
  apollo = await startApolloGateway(loadSupergraph(SUPERGRAPH_PATH, urls));
});
afterAll(async () => {
  await apollo?.close();
  await federation?.close();
});

async function viaApollo(query: string, token: string, purpose: string): Promise<GqlResponse> {
  const res = await fetch(apollo.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-purpose': purpose },
    body: JSON.stringify({ query }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as GqlResponse['body'] };
}

const newestFirst = (a: { created_at: string; id: string }, b: { created_at: string; id: string }) =>
  b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id);

type Redaction = { path: (string | number)[]; field: string; category: string; reason: string };

/** A field's value as the policy lets `purpose` have it on that contact, and the redaction entry if not. */
function decide(
  purpose: Purpose,
  field: PersonalField,
  contact: DbContact,
  value: unknown,
  path: (string | number)[],
  redactions: Redaction[],
): unknown {
  const decision = decideField(purpose, field, stateOf(contact));
  if (decision.allowed) return value;
  redactions.push({ path, field, category: PERSONAL_FIELDS[field].category, reason: decision.reason });
  return null;
}

/** A ticket's text (subject and description, personal data of its requester) as the policy lets `purpose` have it. */
function ticketText(
  purpose: Purpose,
  requester: DbContact,
  ticket: { subject: unknown; description: unknown },
  path: (string | number)[],
  redactions: Redaction[],
) {
  return {
    subject: decide(purpose, 'Ticket.subject', requester, ticket.subject, [...path, 'subject'], redactions),
    description: decide(
      purpose,
      'Ticket.description',
      requester,
      ticket.description,
      [...path, 'description'],
      redactions,
    ),
  };
}

const CONTACT_TICKETS = `{ contacts(first: 40) { edges { node { id fullName email
  tickets(first: 5) { id status subject description } } } } }`;
const TICKET_REQUESTERS = `{ tickets(first: 60) { nodes { id subject description
  requester { id fullName email healthNotes } } } }`;

function expectedContactTickets(purpose: Purpose) {
  const redactions: Redaction[] = [];
  const visible = [...contacts.values()].filter((c) => maySeeRow(purpose, stateOf(c)));
  visible.sort(newestFirst);
  const edges = visible.slice(0, 40).map((c, i) => {
    const at = ['contacts', 'edges', i, 'node'];
    const node = {
      id: c.id,
      fullName: decide(purpose, 'Contact.fullName', c, c.full_name, [...at, 'fullName'], redactions),
      email: decide(purpose, 'Contact.email', c, c.email, [...at, 'email'], redactions),
      // That the contact has tickets is personal data (Contact.tickets): the list itself is decided first.
      tickets:
        decide(purpose, 'Contact.tickets', c, true, [...at, 'tickets'], redactions) &&
        tickets
          .filter((t) => t.requester_id === c.id)
          .sort(newestFirst)
          .slice(0, 5)
          .map((t, j) => {
            const tp = [...at, 'tickets', j];
            return {
              id: t.id,
              status: decide(purpose, 'Ticket.status', c, t.status, [...tp, 'status'], redactions),
              ...ticketText(purpose, c, t, tp, redactions),
            };
          }),
    };
    return { node };
  });
  return { data: { contacts: { edges } }, redactions };
}

function expectedTicketRequesters(purpose: Purpose) {
  const redactions: Redaction[] = [];
  const visible = tickets.filter((t) => maySeeRow(purpose, stateOf(contacts.get(t.requester_id)!)));
  visible.sort(newestFirst);
  const nodes = visible.slice(0, 60).map((t, i) => {
    const c = contacts.get(t.requester_id)!;
    const at = ['tickets', 'nodes', i];
    const rp = [...at, 'requester'];
    return {
      id: t.id,
      ...ticketText(purpose, c, t, at, redactions),
      requester: decide(purpose, 'Ticket.requester', c, true, rp, redactions) && {
        id: c.id,
        fullName: decide(purpose, 'Contact.fullName', c, c.full_name, [...rp, 'fullName'], redactions),
        email: decide(purpose, 'Contact.email', c, c.email, [...rp, 'email'], redactions),
        healthNotes: decide(
          purpose,
          'Contact.healthNotes',
          c,
          c.health_notes,
          [...rp, 'healthNotes'],
          redactions,
        ),
      },
    };
  });
  return { data: { tickets: { nodes } }, redactions };
}

const sortEntries = (entries: Redaction[]) =>
  entries.map((e) => JSON.stringify([e.path, e.field, e.category, e.reason])).sort();

/** Every personal value the purpose may not read on the rows involved: none may appear in a raw response. */
function hiddenValues(purpose: Purpose): string[] {
  const hidden: string[] = [];
  for (const c of contacts.values()) {
    const state = stateOf(c);
    const seen = maySeeRow(purpose, state);
    if (!seen || !decideField(purpose, 'Contact.email', state).allowed) hidden.push(c.email);
    for (const t of tickets.filter((x) => x.requester_id === c.id)) {
      if (t.description && (!seen || !decideField(purpose, 'Ticket.description', state).allowed)) {
        hidden.push(t.description);
      }
    }
  }
  return hidden;
}

const cases = (Object.entries(ROLE_PURPOSES) as [Role, readonly Purpose[]][]).flatMap(([role, purposes]) =>
  purposes.map((purpose) => ({ role, purpose })),
);

describe.each(cases)('$role declaring $purpose, across Custos and tickets', ({ role, purpose }) => {
  it('contact → tickets: through Hive Gateway exactly what the policy says, redactions included', async () => {
    const token = await federation.custos.token([role]);
    const res = await federation.gateway.gql(CONTACT_TICKETS, { token, purpose });
    if (!mayRunOperation(purpose, 'Query.contacts')) {
      expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      return;
    }
    const expected = expectedContactTickets(purpose);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual(expected.data);
    expect(sortEntries((res.body.extensions?.redactions ?? []) as Redaction[])).toEqual(
      sortEntries(expected.redactions),
    );
    for (const value of hiddenValues(purpose)) expect(res.text).not.toContain(value);
  });

  it('ticket → requester → email: through Hive Gateway exactly what the policy says', async () => {
    const token = await federation.custos.token([role]);
    const res = await federation.gateway.gql(TICKET_REQUESTERS, { token, purpose });
    if (!mayRunOperation(purpose, 'Query.tickets')) {
      expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      return;
    }
    const expected = expectedTicketRequesters(purpose);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual(expected.data);
    expect(sortEntries((res.body.extensions?.redactions ?? []) as Redaction[])).toEqual(
      sortEntries(expected.redactions),
    );
    for (const value of hiddenValues(purpose)) expect(res.text).not.toContain(value);
  });

  it('through @apollo/gateway (no directive enforced, extensions dropped): the same data, nothing leaks', async () => {
    const token = await federation.custos.token([role]);
    for (const [query, operation, expected] of [
      [CONTACT_TICKETS, 'Query.contacts', () => expectedContactTickets(purpose)],
      [TICKET_REQUESTERS, 'Query.tickets', () => expectedTicketRequesters(purpose)],
    ] as const) {
      const res = await viaApollo(query, token, purpose);
      for (const value of hiddenValues(purpose)) expect(res.text).not.toContain(value);
      if (!mayRunOperation(purpose, operation)) {
        expect(res.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        continue;
      }
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual(expected().data);
    }
  });
});

describe('PageInfo, shared by both subgraphs (@shareable)', () => {
  const PAGE_INFO = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';
  type Page = {
    edges: { cursor: string }[];
    pageInfo: {
      hasNextPage: boolean;
      hasPreviousPage: boolean;
      startCursor: string | null;
      endCursor: string | null;
    };
  };
  const expectPageInfo = (page: Page, previous: boolean, next: boolean) =>
    expect(page.pageInfo).toEqual({
      hasNextPage: next,
      hasPreviousPage: previous,
      startCursor: page.edges[0]!.cursor,
      endCursor: page.edges.at(-1)!.cursor,
    });

  it("one query through Hive Gateway: each subgraph's pages with their own PageInfo, the tickets' paging on", async () => {
    const res = await federation.gateway.gql<{ contacts: Page; tickets: Page }>(
      `{ contacts(first: 2) { edges { cursor } ${PAGE_INFO} } tickets(first: 2) { edges { cursor } ${PAGE_INFO} } }`,
    );
    expect(res.body.errors).toBeUndefined();
    const { contacts: custosPage, tickets: ticketsPage } = res.body.data!;
    expectPageInfo(custosPage, false, true);
    expectPageInfo(ticketsPage, false, true);
    const next = await federation.gateway.gql<{ tickets: Page & { nodes: { id: string }[] } }>(
      `query($after: String) { tickets(first: 2, after: $after) { nodes { id } edges { cursor } ${PAGE_INFO} } }`,
      { variables: { after: ticketsPage.pageInfo.endCursor } },
    );
    expect(next.body.errors).toBeUndefined();
    const visible = tickets
      .filter((t) => maySeeRow('customer_support', stateOf(contacts.get(t.requester_id)!)))
      .sort(newestFirst);
    expect(next.body.data!.tickets.nodes.map((t) => t.id)).toEqual(visible.slice(2, 4).map((t) => t.id));
    expectPageInfo(next.body.data!.tickets, true, visible.length > 4);
  });
});

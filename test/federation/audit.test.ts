import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  type ContactState,
  decideField,
  fieldVisibility,
  PERSONAL_FIELD_NAMES,
  type PersonalField,
  type Purpose,
} from '@custos/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL } from '../../apps/subgraph/test/support/harness.js';
import { type Federation, startFederation } from './support/federation.js';

/**
 * A query through the gateway that crosses both subgraphs leaves exactly one audit event per subgraph, joined
 * by the gateway's request id, and each says per contact which personal fields reached the caller and which
 * were redacted — as the policy decides. Fields the gateway removed never reached a subgraph: no event lists
 * them.
 */
let federation: Federation;

const QUERY = `query Cross { contacts(first: 8) { nodes { id fullName email healthNotes
  tickets(first: 5) { id subject description } } } }`;
const CONTACT_FIELDS: PersonalField[] = ['Contact.fullName', 'Contact.email', 'Contact.healthNotes'];
const TICKET_FIELDS: PersonalField[] = ['Ticket.subject', 'Ticket.description'];

interface DbContact {
  id: string;
  restricted: boolean;
  limit_sensitive: boolean;
  consents: Record<string, string> | null;
}

interface Access {
  revealed: string[];
  redacted: string[];
}

/** What the policy says one request did with each contact, for the fields asked. */
function expected(
  purpose: Purpose,
  contacts: readonly DbContact[],
  fields: readonly PersonalField[],
): Map<string, Access> {
  const result = new Map<string, Access>();
  for (const contact of contacts) {
    const state: ContactState = {
      erased: false,
      restricted: contact.restricted,
      limitSensitive: contact.limit_sensitive,
      consents: (contact.consents ?? {}) as ContactState['consents'],
    };
    const access: Access = { revealed: [], redacted: [] };
    for (const field of fields) {
      if (fieldVisibility(purpose, field) === 'never') continue; // removed by the gateway
      if (decideField(purpose, field, state).allowed) access.revealed.push(field);
      else access.redacted.push(field);
    }
    result.set(contact.id, access);
  }
  return result;
}

/** The stored accesses of one event, per contact id (through the pseudonym table, as a superuser). */
async function storedAccesses(eventId: string): Promise<Map<string, Access>> {
  const rows = await federation.custos.sql<{ contact_id: string; revealed: string[]; redacted: string[] }>(
    `select s.contact_id, a.revealed, a.redacted
       from audit_access a left join audit_subject_set t on t.digest = a.subject_set
            cross join unnest(coalesce(a.subjects, t.subjects)) u(p) join audit_subject s on s.pseudonym = u.p
      where a.event_id = $1`,
    [eventId],
  );
  return new Map(rows.map((row) => [row.contact_id, { revealed: row.revealed, redacted: row.redacted }]));
}

beforeAll(async () => {
  federation = await startFederation({ seedContacts: 40, tickets: true });
});
afterAll(() => federation?.close());

describe('auditing through the gateway', () => {
  for (const [role, purpose] of [
    ['support_agent', 'customer_support'],
    ['sales_rep', 'sales'],
  ] as const) {
    it(`${purpose}: one event per subgraph, with the fields revealed and redacted per contact`, async () => {
      const actor = `gateway-${purpose}`;
      const token = await federation.custos.token([role], actor);
      // The client's own request id travels only as the client's: the gateway makes its own, answers with it,
      // and the subgraphs' events name that one.
      const clientId = `fed-audit-${purpose}-${Date.now()}`;
      const res = await federation.gateway.gql<{
        contacts: { nodes: { id: string; tickets: { id: string }[] | null }[] };
      }>(QUERY, { token, purpose, headers: { 'x-request-id': clientId } });
      expect(res.body.errors).toBeUndefined();
      const requestId = res.headers.get('x-request-id');
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(requestId).not.toBe(clientId);
      await federation.custos.flushAudit();
      await federation.tickets!.flushAudit();
      const spoofed = await federation.custos.sql<{ n: number }>(
        'select count(*)::int as n from audit_event where gateway_request_id = $1',
        [clientId],
      );
      expect(spoofed[0]!.n).toBe(0);

      const events = await federation.custos.sql<{
        id: string;
        service: string;
        actor_sub: string;
        purpose: string;
        root_fields: string[];
        outcome: string;
        channels: string[];
      }>(
        `select e.id, e.service, e.actor_sub, e.purpose, e.root_fields, e.outcome,
                array(select distinct a.channel from audit_access a where a.event_id = e.id) as channels
           from audit_event e where e.gateway_request_id = $1 order by e.service`,
        [requestId],
      );
      expect(
        events.map((e) => [e.service, e.actor_sub, e.purpose, e.root_fields, e.outcome, e.channels]),
      ).toEqual([
        ['custos', actor, purpose, ['contacts'], 'OK', ['QUERY']],
        ['tickets', actor, purpose, ['_entities'], 'OK', ['ENTITIES']],
      ]);

      const ids = res.body.data!.contacts.nodes.map((n) => n.id);
      const contacts = await federation.custos.sql<DbContact>(
        `select c.id, c.restricted, c.limit_sensitive,
                (select jsonb_object_agg(cs.purpose, cs.status) from consent_state cs where cs.contact_id = c.id) consents
           from contact c where c.id = any($1::uuid[])`,
        [ids],
      );
      expect(await storedAccesses(events[0]!.id)).toEqual(expected(purpose, contacts, CONTACT_FIELDS));

      const requesters = await federation.custos.sql<{ requester_id: string }>(
        'select distinct requester_id from tickets.ticket where requester_id = any($1::uuid[])',
        [ids],
      );
      expect(requesters.length).toBeGreaterThan(0);
      // That a contact has tickets is itself personal data (Contact.tickets), revealed or redacted for every
      // contact the gateway asked the tickets subgraph about; the tickets' text only where the list was shown.
      const hasTickets = (c: DbContact) => requesters.some((r) => r.requester_id === c.id);
      const inPolicyOrder = (fields: readonly string[]) =>
        PERSONAL_FIELD_NAMES.filter((f) => fields.includes(f));
      const ticketAccesses = new Map(
        contacts.map((c) => {
          const [listed] = expected(purpose, [c], ['Contact.tickets']).get(c.id)!.revealed;
          const fields =
            listed && hasTickets(c) ? [...TICKET_FIELDS, 'Contact.tickets'] : ['Contact.tickets'];
          return [c.id, expected(purpose, [c], inPolicyOrder(fields)).get(c.id)!] as const;
        }),
      );
      expect(contacts.some(hasTickets)).toBe(true);
      expect(await storedAccesses(events[1]!.id)).toEqual(ticketAccesses);
    });
  }

  it("one chain holds both services' batches, and it verifies with both services' checkpoints", async () => {
    const officer = await federation.custos.token(['privacy_officer'], 'federation-officer');
    const services = await federation.custos.sql<{ service: string }>(
      'select distinct service from audit_batch order by service',
    );
    expect(services.map((s) => s.service)).toEqual(['custos', 'tickets']);
    const res = await federation.gateway.gql<{ verifyAuditLog: Record<string, unknown> }>(
      '{ verifyAuditLog { valid checkpoints problem } }',
      { token: officer, purpose: 'compliance' },
    );
    expect(res.body.data!.verifyAuditLog).toMatchObject({ valid: true, problem: null });
    expect(res.body.data!.verifyAuditLog.checkpoints as number).toBeGreaterThanOrEqual(2);
  });
});

/**
 * The tickets subgraph shares the runtime: its cursors are sealed and bound the same way, and every ticket or
 * requester a response reaches names its contact, whatever was selected of it.
 */
describe('the tickets subgraph: opaque cursors and rows reached', () => {
  const tickets = <T>(query: string, token: string, variables: Record<string, unknown> = {}) =>
    postGraphQL<T>(`${federation.tickets!.url}/graphql`, query, { token, variables });

  /** The contacts named by the tickets service's events of `actor` (as a superuser, through the pseudonyms). */
  async function reachedBy(actor: string): Promise<{ events: number; contacts: string[] }> {
    await federation.tickets!.flushAudit();
    const [count] = await federation.custos.sql<{ n: number }>(
      "select count(*)::int as n from audit_event where actor_sub = $1 and service = 'tickets'",
      [actor],
    );
    const rows = await federation.custos.sql<{ contact_id: string }>(
      `select distinct s.contact_id from audit_event e join audit_access a on a.event_id = e.id
              left join audit_subject_set t on t.digest = a.subject_set
              cross join unnest(coalesce(a.subjects, t.subjects)) u(p) join audit_subject s on s.pseudonym = u.p
        where e.actor_sub = $1 and e.service = 'tickets'`,
      [actor],
    );
    return { events: count!.n, contacts: rows.map((r) => r.contact_id).sort() };
  }

  /** Requesters of the newest visible tickets (customer_support sees the tickets of live contacts). */
  async function newestTickets(n: number) {
    return federation.custos.sql<{ id: string; requester_id: string }>(
      `select t.id, t.requester_id from tickets.ticket t join contact c on c.id = t.requester_id
        where c.erased_at is null order by t.created_at desc, t.id desc limit $1`,
      [n],
    );
  }

  it('edges { cursor } and nodes { requester { __typename } } reach the requesters; a count reaches none', async () => {
    const expected = [...new Set((await newestTickets(5)).map((t) => t.requester_id))].sort();
    expect(expected.length).toBeGreaterThan(0);
    for (const [actor, selection] of [
      ['tickets-cursors', 'edges { cursor }'],
      ['tickets-requesters', 'nodes { requester { __typename } }'],
    ] as const) {
      const token = await federation.custos.token(['support_agent'], actor);
      const res = await tickets(`{ tickets(first: 5) { ${selection} } }`, token);
      expect(res.body.errors).toBeUndefined();
      expect(await reachedBy(actor)).toEqual({ events: 1, contacts: expected });
    }
    const counter = await federation.custos.token(['support_agent'], 'tickets-counter');
    const counted = await tickets<{ tickets: { totalCount: number } }>(
      '{ tickets(first: 5) { totalCount pageInfo { hasNextPage } } }',
      counter,
    );
    expect(counted.body.data!.tickets.totalCount).toBeGreaterThan(5);
    expect(await reachedBy('tickets-counter')).toEqual({ events: 0, contacts: [] });
  });

  it('its cursors are opaque, page on, and are refused in another list', async () => {
    const token = await federation.custos.token(['support_agent'], 'tickets-pager');
    const newest = await newestTickets(6);
    type Page = { tickets: { edges: { cursor: string; node: { id: string } }[] } };
    const first = await tickets<Page>('{ tickets(first: 3) { edges { cursor node { id } } } }', token);
    const edges = first.body.data!.tickets.edges;
    expect(edges.map((e) => e.node.id)).toEqual(newest.slice(0, 3).map((t) => t.id));
    for (const [index, edge] of edges.entries()) {
      // Tickets are time-ordered: the enciphered form, `<key id>~<32 bytes>` (shared/cursors.ts).
      expect(edge.cursor).toMatch(/^dev~[A-Za-z0-9_-]{43}$/);
      const body = Buffer.from(edge.cursor.slice(edge.cursor.indexOf('~') + 1), 'base64url');
      for (const view of [edge.cursor, body.toString('latin1'), body.toString('hex')]) {
        expect(view).not.toContain(newest[index]!.id);
        expect(view).not.toContain(newest[index]!.id.replaceAll('-', ''));
      }
    }
    const next = await tickets<Page>(
      'query($a: String) { tickets(first: 3, after: $a) { edges { node { id } } } }',
      token,
      { a: edges[2]!.cursor },
    );
    expect(next.body.data!.tickets.edges.map((e) => e.node.id)).toEqual(newest.slice(3, 6).map((t) => t.id));
    // A Custos list's cursor (same development key, another list) is refused here, and not echoed.
    const custosPage = await federation.custos.gql<{ contacts: { pageInfo: { endCursor: string } } }>(
      '{ contacts(first: 2) { pageInfo { endCursor } } }',
      { token },
    );
    const foreign = custosPage.body.data!.contacts.pageInfo.endCursor;
    // Development: both services seal with the key made once under the data directory (0600), named `dev`.
    expect(foreign.startsWith('dev~')).toBe(true);
    const keyFile = await stat(path.join(federation.custos.dataDir, 'keys', 'cursor.key'));
    expect(keyFile.mode & 0o777).toBe(0o600);
    expect(keyFile.size).toBeGreaterThanOrEqual(32);
    const refused = await tickets('query($a: String) { tickets(after: $a) { totalCount } }', token, {
      a: foreign,
    });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.body.errors?.[0]?.message).toContain('after');
    expect(refused.text).not.toContain(foreign);
  });
});

import {
  type ContactState,
  decideField,
  fieldVisibility,
  PERSONAL_FIELD_NAMES,
  type PersonalField,
  type Purpose,
} from '@custos/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
      // The client's request id, which the gateway keeps, echoes and forwards to every subgraph it calls.
      const requestId = `fed-audit-${purpose}-${Date.now()}`;
      const res = await federation.gateway.gql<{
        contacts: { nodes: { id: string; tickets: { id: string }[] | null }[] };
      }>(QUERY, { token, purpose, headers: { 'x-request-id': requestId } });
      expect(res.body.errors).toBeUndefined();
      expect(res.headers.get('x-request-id')).toBe(requestId);
      await federation.custos.flushAudit();
      await federation.tickets!.flushAudit();

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

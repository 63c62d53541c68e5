import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Federation, type StartedGateway, startFederation } from './support/federation.js';
import type { RecordedRequest } from './support/recorder.js';

/**
 * The single-subgraph fast path (apps/gateway/src/direct.ts): an operation one subgraph answers goes to it as
 * the client wrote it (minus what the purpose never sees) in one request; anything that needs the other
 * subgraph takes the general path. The answers themselves are compared with the subgraph's in parity.test.ts
 * (every role and purpose) and with the policy in tickets.test.ts.
 */
let federation: Federation;
let restrictedId: string;
/** The gateway per direct-path client (GATEWAY_SUBGRAPH_CLIENT): the default's, and one with undici's Pool. */
const gateways = new Map<string, StartedGateway>();

beforeAll(async () => {
  federation = await startFederation({ seedContacts: 30, tickets: true });
  const [newest] = await federation.custos.sql<{ id: string }>(
    'select id from contact order by created_at desc, id desc limit 1',
  );
  restrictedId = newest!.id;
  await federation.custos.sql('update contact set restricted = true where id = $1', [restrictedId]);
  gateways.set('custom', federation.gateway);
  gateways.set('undici', await federation.startGateway({ GATEWAY_SUBGRAPH_CLIENT: 'undici' }));
});
afterAll(() => federation?.close());

async function sent(name: 'custos' | 'tickets', fn: () => Promise<unknown>): Promise<RecordedRequest[]> {
  const requests = federation.recorders[name]!.requests;
  const before = requests.length;
  await fn();
  return requests.slice(before);
}

describe.each(['custom', 'undici'])(
  'single-subgraph operations go straight to their subgraph (%s client)',
  (client) => {
    const gateway = (): StartedGateway => {
      const started = gateways.get(client);
      if (!started) throw new Error(`no gateway with the ${client} client`);
      return started;
    };

    it('as the client wrote them: aliases, operation name and variables, in one request', async () => {
      const token = await federation.custos.token(['sales_rep']);
      const query =
        'query Page($n: Int) { page: contacts(first: $n) { edges { who: node { id mail: email } } } }';
      let gatewayId: string | null = null;
      const requests = await sent('custos', async () => {
        const res = await gateway().gql(query, {
          token,
          purpose: 'sales',
          variables: { n: 3 },
          headers: { 'x-request-id': 'direct-path-1' },
        });
        // The gateway's own id, never the client's (which travels only as the client's).
        expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
        expect(res.headers.get('x-request-id')).not.toBe('direct-path-1');
        gatewayId = res.headers.get('x-request-id');
        expect(res.body.errors).toBeUndefined();
        expect((res.body.data as { page: { edges: unknown[] } }).page.edges).toHaveLength(3);
      });
      expect(requests).toHaveLength(1);
      expect(requests[0]!.query).toMatch(/query Page\(\$n: Int\)/);
      expect(requests[0]!.query).toMatch(/page: contacts\(first: \$n\)/);
      expect(requests[0]!.query).toMatch(/mail: email/);
      expect(requests[0]!.headers['x-purpose']).toBe('sales');
      // The gateway's request id reaches the subgraph as such; the client's only as the client's.
      expect(requests[0]!.headers['x-request-id']).toBe(gatewayId);
      expect(requests[0]!.headers['x-client-request-id']).toBe('direct-path-1');
    });

    it('a query it takes nothing out of goes as the client’s own text, asking for JSON: what a direct client sends', async () => {
      const token = await federation.custos.token(['support_agent']);
      // The bench's page query: every field visible to the purpose, one operation, the client's spelling.
      const query =
        'query Same($first: Int!) { contacts(first: $first) { edges { cursor node { id fullName email } } ' +
        'pageInfo { hasNextPage endCursor } } }';
      const requests = await sent('custos', async () => {
        // The first through the runtime, the second at the edge (a text it has accepted before).
        for (let i = 0; i < 2; i++) {
          const res = await gateway().gql(query, {
            token,
            purpose: 'customer_support',
            variables: { first: 2 },
          });
          expect(res.body.errors).toBeUndefined();
          expect((res.body.data as { contacts: { edges: unknown[] } }).contacts.edges).toHaveLength(2);
        }
      });
      // Byte for byte the client's text (the subgraph's document cache is keyed by it), not a reprinted spelling.
      expect(requests.map((r) => r.query)).toEqual([query, query]);
      for (const request of requests) {
        // The subgraph's plain JSON answer, as for a client that asks for nothing else.
        expect(request.headers.accept).toBe('application/json');
        // Still the caller's token and purpose, and the gateway's own id for the audit trail.
        expect(request.headers.authorization).toBe(`Bearer ${token}`);
        expect(request.headers['x-purpose']).toBe('customer_support');
        expect(request.headers['x-request-id']).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
      }

      // Anything taken out, or a fragment inlined, and the subgraph gets the rewritten document instead.
      const rewritten = await sent('custos', async () => {
        await gateway().gql('query Less { contacts(first: 1) { edges { node { id ipAddress } } } }', {
          token,
          purpose: 'customer_support',
        });
        await gateway().gql(
          'query Spread { contacts(first: 1) { edges { node { ...F } } } } fragment F on Contact { id }',
          {
            token,
            purpose: 'customer_support',
          },
        );
      });
      expect(rewritten).toHaveLength(2);
      expect(rewritten[0]!.query).toMatch(/query Less/);
      expect(rewritten[0]!.query).not.toMatch(/ipAddress/);
      expect(rewritten[1]!.query).toMatch(/query Spread/);
      expect(rewritten[1]!.query).not.toMatch(/fragment|\.\.\./);
    });

    it('without the fields the purpose never sees, answering them null with the subgraph’s reasons', async () => {
      const token = await federation.custos.token(['support_agent']);
      const query = `{ contacts(first: 1) { edges { node { id restricted ipAddress healthNotes } } } }`;
      const requests = await sent('custos', async () => {
        const res = await gateway().gql(query, { token, purpose: 'customer_support' });
        const node = (res.body.data as { contacts: { edges: { node: Record<string, unknown> }[] } }).contacts
          .edges[0]!.node;
        // The newest contact is restricted: every removed field is reported PROCESSING_RESTRICTED, as the
        // subgraph itself would, and the gateway's own `restricted` selection is not in the answer.
        expect(node).toEqual({ id: restrictedId, restricted: true, ipAddress: null, healthNotes: null });
        expect(res.body.extensions?.redactions).toEqual([
          expect.objectContaining({
            path: ['contacts', 'edges', 0, 'node', 'ipAddress'],
            reason: 'PROCESSING_RESTRICTED',
          }),
          expect.objectContaining({
            path: ['contacts', 'edges', 0, 'node', 'healthNotes'],
            reason: 'PROCESSING_RESTRICTED',
          }),
        ]);
      });
      expect(requests).toHaveLength(1);
      expect(requests[0]!.query).not.toMatch(/ipAddress|healthNotes/);
    });

    it('keeps a selection valid when the purpose sees none of its fields, and answers only what was asked', async () => {
      const token = await federation.custos.token(['admin']);
      const res = await gateway().gql('{ contacts(first: 2) { edges { node { fullName email } } } }', {
        token,
        purpose: 'administration',
      });
      expect(res.body.errors).toBeUndefined();
      expect((res.body.data as { contacts: { edges: { node: unknown }[] } }).contacts.edges).toEqual([
        { node: { fullName: null, email: null } },
        { node: { fullName: null, email: null } },
      ]);
      expect(res.body.extensions?.redactions).toHaveLength(4);
    });

    it('answers a query text it has accepted before at the edge, without the runtime, the same way', async () => {
      const token = await federation.custos.token(['support_agent']);
      const query = 'query Again { contacts(first: 3) { edges { node { id fullName ipAddress } } } }';
      const first = await gateway().gql(query, { token, purpose: 'customer_support' });
      const logged = gateway().logs.length;
      const requests = federation.recorders.custos!.requests;
      const sentBefore = requests.length;
      const second = await gateway().gql(query, { token, purpose: 'customer_support' });
      expect(second.status).toBe(200);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('cache-control')).toBe('no-store');
      // Without one from the client, the edge makes a request id, answers with it and sends it to the subgraph.
      const id = second.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(requests.slice(sentBefore).map((r) => r.headers['x-request-id'])).toEqual([id]);
      const lines = gateway()
        .logs.slice(logged)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'request', op: 'Again', via: 'direct', status: 200, requestId: id }),
      );

      // The caller is checked every time: a forged token on a known text is refused like any other.
      const forged = await gateway().gql(query, {
        token: `${token.slice(0, -4)}AAAA`,
        purpose: 'customer_support',
      });
      expect(forged.status).toBe(401);
      // Known for one purpose is not known for another: sales goes through the runtime, and sees its own answer.
      const sales = await gateway().gql(query, {
        token: await federation.custos.token(['sales_rep']),
        purpose: 'sales',
      });
      expect(sales.status).toBe(200);
      const direct = await federation.custos.gql(query, {
        token: await federation.custos.token(['sales_rep']),
        purpose: 'sales',
      });
      expect(sales.body.data).toEqual(direct.body.data);
    });

    it('sends an operation that needs both subgraphs through the general path', async () => {
      const token = await federation.custos.token(['support_agent']);
      const query = 'query Cross { contacts(first: 2) { edges { node { id tickets { id } } } } }';
      let toTickets: RecordedRequest[] = [];
      const toCustos = await sent('custos', async () => {
        toTickets = await sent('tickets', async () => {
          const res = await gateway().gql(query, { token, purpose: 'customer_support' });
          expect(res.body.errors).toBeUndefined();
        });
      });
      // The planner's documents: Custos is asked for the contacts only, tickets for the entities' tickets.
      expect(toCustos).toHaveLength(1);
      expect(toCustos[0]!.query).not.toMatch(/tickets/);
      expect(toTickets).toHaveLength(1);
      expect(toTickets[0]!.query).toMatch(/_entities/);
    });
  },
);

import { AuditWriter, enqueueAuditEvent } from '@custos/audit';
import { createLogger } from '@custos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startTestServer, type TestServer } from './support/harness.js';

/**
 * A mutation's audit event commits with its change (the audit outbox, table audit_pending): a full or failing
 * audit buffer never turns a committed mutation into a 503, an outbox that cannot take the event leaves nothing
 * changed, and several writers moving the outbox at once chain each event exactly once.
 */
let server: TestServer;

beforeAll(async () => {
  // A buffer of one event and a short wait: the buffer is full as soon as the chain cannot be written.
  server = await startTestServer({
    seedContacts: 3,
    env: { AUDIT_BUFFER_EVENTS: '1', AUDIT_WAIT_MS: '300', AUDIT_FLUSH_MS: '10' },
  });
});
afterAll(() => server?.close());

const RENAME =
  'mutation Rename($id: ID!, $name: String!) { updateContact(id: $id, input: { fullName: $name }) { id fullName } }';
const READ = '{ contacts(first: 2) { nodes { id email } } }';

const firstContact = async () =>
  (
    await server.sql<{ id: string; full_name: string }>(
      'select id, full_name from contact order by id limit 1',
    )
  )[0]!;
const eventsWithRequestId = (requestId: string | null) =>
  server.sql<{ id: string; operation_type: string; outcome: string }>(
    'select id, operation_type, outcome from audit_event where request_id = $1',
    [requestId],
  );

describe('the audit outbox', () => {
  it('answers a committed mutation 200 while the chain cannot be written, and chains its event later', async () => {
    const contact = await firstContact();
    await server.sql(`revoke insert on audit_batch from "${server.roles.app}"`);
    try {
      // The buffer fills with a read's event, which cannot be stored: reads are now refused …
      expect((await server.gql(READ)).status).toBe(200);
      const read = await server.gql(READ);
      expect([read.status, errorCode(read)]).toEqual([503, 'AUDIT_UNAVAILABLE']);
      // … but a mutation's event does not need the buffer: it commits with the change.
      const renamed = await server.gql(RENAME, { variables: { id: contact.id, name: 'Outbox Renamed' } });
      expect(renamed.status).toBe(200);
      expect(renamed.body.data).toEqual({ updateContact: { id: contact.id, fullName: 'Outbox Renamed' } });
      const requestId = renamed.headers.get('x-request-id');
      expect(await eventsWithRequestId(requestId)).toEqual([]);
      expect(await server.sql('select id from audit_pending')).toHaveLength(1);
      await server.sql(`grant insert on audit_batch to "${server.roles.app}"`);
      await server.flushAudit();
      expect(await eventsWithRequestId(requestId)).toEqual([
        { id: expect.any(String), operation_type: 'mutation', outcome: 'OK' },
      ]);
      expect(await server.sql('select id from audit_pending')).toEqual([]);
    } finally {
      await server.sql(`grant insert on audit_batch to "${server.roles.app}"`);
    }
  });

  it('changes nothing when the event cannot be stored with the change', async () => {
    const contact = await firstContact();
    await server.sql(`revoke insert on audit_pending from "${server.roles.app}"`);
    try {
      const refused = await server.gql(RENAME, { variables: { id: contact.id, name: 'Never Stored' } });
      expect([refused.status, errorCode(refused)]).toEqual([503, 'AUDIT_UNAVAILABLE']);
      expect(refused.body.data).toBeUndefined();
      expect(refused.text).not.toContain('Never Stored');
      expect((await firstContact()).full_name).toBe(contact.full_name);
    } finally {
      await server.sql(`grant insert on audit_pending to "${server.roles.app}"`);
    }
    await server.flushAudit();
    // The attempt itself is audited (from the buffer), as an error that revealed nothing.
    const events = await server.sql<{ outcome: string; subjects: number }>(
      "select outcome, subjects from audit_event where operation_name = 'Rename' order by occurred_at desc limit 1",
    );
    expect(events).toEqual([{ outcome: 'ERROR', subjects: 0 }]);
  });

  it('is moved exactly once by several writers at once, and the chain verifies', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push(
        await enqueueAuditEvent((sql, params) => server.sql(sql, params), 'custos', {
          occurredAt: new Date(),
          actorSub: `outbox-${i}`,
          actorRoles: ['support_agent'],
          purpose: 'customer_support',
          operationType: 'mutation',
          operationName: 'OutboxTest',
          rootFields: ['updateContact'],
          requestId: `outbox-${i}`,
          gatewayRequestId: null,
          outcome: 'OK',
          subjects: new Map(),
        }),
      );
    }
    const writers = [1, 2, 3].map(
      (n) =>
        new AuditWriter({
          url: server.databaseUrl,
          service: `instance-${n}`,
          logger: createLogger('silent'),
          batchMax: 7,
        }),
    );
    try {
      await Promise.all([...writers.map((w) => w.flush()), server.flushAudit()]);
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
    const chained = await server.sql<{ id: string; n: number }>(
      'select id, count(*)::int as n from audit_event where id = any($1::uuid[]) group by id',
      [ids],
    );
    expect(chained.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(chained.every((row) => row.n === 1)).toBe(true);
    expect(await server.sql('select id from audit_pending')).toEqual([]);
    const officer = await server.token(['privacy_officer'], 'officer');
    const check = await server.gql<{ verifyAuditLog: { valid: boolean; problem: string | null } }>(
      '{ verifyAuditLog { valid problem } }',
      { token: officer, purpose: 'compliance' },
    );
    expect(check.body.data!.verifyAuditLog).toEqual({ valid: true, problem: null });
  });
});

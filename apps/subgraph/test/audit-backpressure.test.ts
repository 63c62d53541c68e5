import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, startTestServer, type TestServer } from './support/harness.js';

/**
 * The audit buffer is bounded: a full buffer makes requests wait for room, and a request that cannot be audited
 * in time is refused without its data — never answered unaudited, never dropped from the log.
 */
let server: TestServer;
const READ = '{ contacts(first: 2) { nodes { id email } } }';

const storedRequestIds = async () =>
  (await server.sql<{ request_id: string }>('select request_id from audit_event')).map((r) => r.request_id);

beforeAll(async () => {
  server = await startTestServer({
    seedContacts: 5,
    // A buffer of one event: the limit is reached with a handful of requests. The wait is long enough for eight
    // one-event batches on a loaded machine (a request that waits too long would be a 503, not a slow answer),
    // and still short enough for the refusal below to come within the test's time.
    env: { AUDIT_BUFFER_EVENTS: '1', AUDIT_WAIT_MS: '5000', AUDIT_FLUSH_MS: '10' },
  });
});
afterAll(() => server?.close());

describe('a bounded audit buffer', () => {
  it('makes concurrent requests wait for room, and stores every one of their events', async () => {
    const responses = await Promise.all(Array.from({ length: 8 }, () => server.gql(READ)));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    await server.flushAudit();
    const stored = await storedRequestIds();
    for (const response of responses) expect(stored).toContain(response.headers.get('x-request-id'));
  });

  it('refuses a request it cannot audit, without its data, and loses none it accepted', async () => {
    // The database refuses the audit writes (as when it is unreachable): batches fail and the buffer stays full.
    await server.sql(`revoke insert on audit_batch from "${server.roles.app}"`);
    try {
      const accepted = await server.gql(READ);
      expect(accepted.status).toBe(200);
      const refused = await server.gql(READ);
      expect(refused.status).toBe(503);
      expect(errorCode(refused)).toBe('AUDIT_UNAVAILABLE');
      expect(refused.body.data).toBeUndefined();
      expect(refused.text).not.toMatch(/@/);
      // The accepted event is still waiting, not dropped.
      expect(await storedRequestIds()).not.toContain(accepted.headers.get('x-request-id'));
      await server.sql(`grant insert on audit_batch to "${server.roles.app}"`);
      await server.flushAudit();
      const stored = await storedRequestIds();
      expect(stored).toContain(accepted.headers.get('x-request-id'));
      expect(stored).not.toContain(refused.headers.get('x-request-id'));
    } finally {
      await server.sql(`grant insert on audit_batch to "${server.roles.app}"`);
    }
    // And the service is back to normal.
    expect((await server.gql(READ)).status).toBe(200);
  });
});

import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './support/harness.js';
import { closeSmtp, mailingTestServer, mailTo, until } from './support/mail.js';

// Mail an SMTP server refuses: a permanent refusal (5xx) is a dead letter after its one attempt, a transient one
// (4xx) after its retries.

/** An SMTP server on loopback that refuses `refused-*` recipients for good (550) and `deferred-*` for now (451). */
function refusingSmtp(rcpts: string[]): SMTPServer {
  return new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onRcptTo(address, _session, callback) {
      rcpts.push(address.address);
      const reply = address.address.startsWith('refused-')
        ? 550
        : address.address.startsWith('deferred-')
          ? 451
          : undefined;
      if (reply === undefined) return callback();
      callback(Object.assign(new Error(`${reply} mailbox unavailable`), { responseCode: reply }));
    },
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => callback());
    },
  });
}

type Letter = {
  id: string;
  queue: string;
  jobId: string;
  attempts: number;
  errorName: string;
  deadLetteredAt: string;
};
type Page = {
  deadLetters: {
    totalCount: number;
    nodes: Letter[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};
const PAGE = `query Page($first: Int, $after: String, $queue: String) {
  deadLetters(first: $first, after: $after, queue: $queue) {
    totalCount
    nodes { id queue jobId attempts errorName deadLetteredAt }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('mail the SMTP server refuses', () => {
  let server: TestServer;
  let smtp: SMTPServer;
  let officer: string;
  const rcpts: string[] = [];

  beforeAll(async () => {
    smtp = refusingSmtp(rcpts);
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const { port } = smtp.server.address() as { port: number };
    // Two retries about a second apart: a transient refusal is tried three times.
    server = await mailingTestServer(port, { retryLimit: 2, timeoutMs: 5000, seedContacts: 2 });
    officer = await server.token(['privacy_officer']);
  });
  afterAll(async () => {
    await server?.close();
    await closeSmtp(smtp);
  });

  const mail = (to: string) => mailTo(server, to);
  const page = async (variables: Record<string, unknown>) => {
    const res = await server.gql<Page>(PAGE, { token: officer, purpose: 'compliance', variables });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.deadLetters;
  };
  /** The job id a row's mail.deliver job had (from pg-boss' table, not from the list under test). */
  const jobOf = async (outboxId: string) =>
    (
      await server.sql<{ id: string }>(
        `select id from pgboss.job where name = 'mail.deliver' and data ->> 'outboxId' = $1`,
        [outboxId],
      )
    )[0]?.id;
  const outboxRow = async (id: string) =>
    (
      await server.sql<{ status: string; attempts: number; last_error: string | null }>(
        'select status, attempts, last_error from mail_outbox where id = $1',
        [id],
      )
    )[0];

  it('a 5xx refusal is a dead letter after one attempt; a 4xx one after its retries', async () => {
    const refused = await mail('refused-1@example.com');
    const deferred = await mail('deferred-1@example.com');
    const [refusedJob, deferredJob] = [await jobOf(refused), await jobOf(deferred)];
    expect(refusedJob).toBeDefined();
    expect(deferredJob).toBeDefined();
    const letters = await until('both dead letters', async () => {
      const { nodes } = await page({ first: 10 });
      const both = [nodes.find((n) => n.jobId === refusedJob), nodes.find((n) => n.jobId === deferredJob)];
      return both[0] && both[1] ? both : undefined;
    });
    // The refused one: one attempt, shown by the transport's code (never the reply, which may quote the address).
    expect(letters[0]).toMatchObject({ queue: 'mail.deliver', attempts: 1, errorName: 'EENVELOPE' });
    expect(await outboxRow(refused)).toEqual({ status: 'failed', attempts: 1, last_error: 'EENVELOPE' });
    // The deferred one: the first attempt and both retries.
    expect(letters[1]).toMatchObject({ queue: 'mail.deliver', attempts: 3, errorName: 'EENVELOPE' });
    expect(await outboxRow(deferred)).toEqual({ status: 'failed', attempts: 3, last_error: 'EENVELOPE' });
    // Past when the refused one's retries would have run: it was offered to the SMTP server once.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(rcpts.filter((to) => to === 'refused-1@example.com')).toHaveLength(1);
    expect(rcpts.filter((to) => to === 'deferred-1@example.com')).toHaveLength(3);
    expect(await outboxRow(refused)).toEqual({ status: 'failed', attempts: 1, last_error: 'EENVELOPE' });
    const [pgJob] = await server.sql<{ state: string; retry_count: number }>(
      'select state, retry_count from pgboss.job where id = $1',
      [refusedJob],
    );
    expect(pgJob).toEqual({ state: 'failed', retry_count: 0 });
    expect(JSON.stringify(letters)).not.toMatch(/mailbox unavailable|refused-1|deferred-1/);
  });
});

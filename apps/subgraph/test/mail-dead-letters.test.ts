import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './support/harness.js';
import { closeSmtp, mailingTestServer, mailTo, until } from './support/mail.js';

// Mail an SMTP server refuses: a permanent refusal (5xx) is a dead letter after its one attempt, a transient one
// (4xx) after its retries; compliance pages through the dead letters with `deadLetters(first, after, queue)`.

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

  it('pages newest first: `after` a page’s cursor gives the rest, without duplicates or gaps', async () => {
    const outboxIds: string[] = [];
    for (let i = 0; i < 7; i++) outboxIds.push(await mail(`refused-page-${i}@example.com`));
    const jobIds = await Promise.all(outboxIds.map(jobOf));
    await until('seven more dead letters', async () => {
      const { nodes } = await page({ first: 100 });
      return jobIds.every((id) => nodes.some((n) => n.jobId === id)) ? true : undefined;
    });
    // Every dead letter, as pg-boss' table holds them (not through the list under test).
    const stored = await server.sql<{ id: string }>(
      `select id from pgboss.job where name = 'mail.deliver.dead'`,
    );
    expect(stored.length).toBeGreaterThanOrEqual(7);

    const all = await page({ first: 100 });
    expect(all.totalCount).toBe(stored.length);
    expect(all.pageInfo.hasNextPage).toBe(false);
    expect(all.nodes.map((n) => n.id).sort()).toEqual(stored.map((row) => row.id).sort());
    // Newest first: by time, then id, both descending (the timestamps have microseconds, so they sort as text).
    const key = (n: Letter) => `${n.deadLetteredAt} ${n.id}`;
    const newestFirst = [...all.nodes].sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
    expect(all.nodes.map((n) => n.id)).toEqual(newestFirst.map((n) => n.id));
    // The seven just made are the newest.
    expect(new Set(all.nodes.slice(0, 7).map((n) => n.jobId))).toEqual(new Set(jobIds));

    // Three at a time: the same letters in the same order, each page full but the last.
    const pages: Page['deadLetters'][] = [];
    let after: string | null = null;
    do {
      const next: Page['deadLetters'] = await page({ first: 3, after });
      pages.push(next);
      after = next.pageInfo.hasNextPage ? next.pageInfo.endCursor : null;
    } while (after !== null);
    expect(pages).toHaveLength(Math.ceil(stored.length / 3));
    expect(pages.map((p) => p.nodes.length)).toEqual(pages.map((_, i) => Math.min(3, stored.length - 3 * i)));
    expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual(pages.map((_, i) => i < pages.length - 1));
    expect(pages.every((p) => p.totalCount === stored.length)).toBe(true);
    const paged = pages.flatMap((p) => p.nodes.map((n) => n.id));
    expect(new Set(paged).size).toBe(paged.length);
    expect(paged).toEqual(all.nodes.map((n) => n.id));

    // After the first page's cursor: all the rest in one.
    const rest = await page({ first: 100, after: pages[0]!.pageInfo.endCursor });
    expect(rest.nodes.map((n) => n.id)).toEqual(all.nodes.slice(3).map((n) => n.id));
    expect(rest.pageInfo.hasNextPage).toBe(false);

    // `queue`: the subgraph's one mailing queue holds them all, and its pages are the same.
    const mailOnly = await page({ first: 100, queue: 'mail.deliver' });
    expect(mailOnly.totalCount).toBe(stored.length);
    expect(mailOnly.nodes.map((n) => n.id)).toEqual(all.nodes.map((n) => n.id));
    expect(mailOnly.nodes.every((n) => n.queue === 'mail.deliver')).toBe(true);
    const mailPage = await page({ first: 3, queue: 'mail.deliver', after: pages[1]!.pageInfo.endCursor });
    expect(mailPage.nodes.map((n) => n.id)).toEqual(pages[2]!.nodes.map((n) => n.id));
  });

  it('refuses an `after` it did not issue, naming the argument and never echoing it', async () => {
    const ask = (variables: Record<string, unknown>) =>
      server.gql<Page>(PAGE, { token: officer, purpose: 'compliance', variables });
    const { pageInfo } = await page({ first: 1 });
    expect(pageInfo.endCursor).toEqual(expect.any(String));
    const cursor = pageInfo.endCursor!;
    // Another list's cursor (contacts) is a sealed cursor too, but not one of this list's keys.
    const contacts = await server.gql<{ contacts: { pageInfo: { endCursor: string } } }>(
      '{ contacts(first: 1) { pageInfo { endCursor } } }',
    );
    const contactCursor = contacts.body.data!.contacts.pageInfo.endCursor;
    expect(contactCursor).toEqual(expect.any(String));
    const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of ['not-a-cursor', tampered, contactCursor, '']) {
      const res = await ask({ first: 2, after: bad });
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(res.body.errors?.[0]?.message).toMatch(/\bafter\b/);
      if (bad !== '') expect(res.body.errors?.[0]?.message).not.toContain(bad);
      expect(res.body.data?.deadLetters ?? null).toBeNull();
    }
    // A page larger than the largest, or negative, names `first`.
    for (const first of [501, -1]) {
      const res = await ask({ first });
      expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(res.body.errors?.[0]?.message).toMatch(/\bfirst\b/);
    }
    // The cursor as issued still works.
    const res = await ask({ first: 2, after: cursor });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data?.deadLetters.nodes).toHaveLength(2);
  });
});

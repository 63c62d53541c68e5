import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadChannelSettings } from '../src/jobs/settings.js';
import { startTestServer, type TestServer } from './support/harness.js';
import { closeSmtp, confirmation, mailingTestServer, mailTo, until } from './support/mail.js';

// The job queue and the mail outbox wired into the subgraph (issue 14): a message written in a transaction is
// delivered by the subgraph's own workers, a failing one ends in the dead letters that compliance lists and
// re-drives through GraphQL, and an instance with JOBS_WORKERS=0 delivers nothing.

const FAST = { JOBS_POLL_MS: '500', JOBS_SUPERVISE_SECONDS: '1' };

const outboxRow = async (server: TestServer, id: string) =>
  (
    await server.sql<{ status: string; attempts: number; transport_message_id: string | null }>(
      'select status, attempts, transport_message_id from mail_outbox where id = $1',
      [id],
    )
  )[0];

const captured = (server: TestServer) =>
  readdir(path.join(server.dataDir, 'outbox')).catch(() => [] as string[]);

describe('the subgraph delivers its outbox', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { ...FAST, MAIL_SWEEP_SECONDS: '1' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('sends a message enqueued in a transaction to the capture folder, and the outbox says sent', async () => {
    const id = await mailTo(server, 'jane.doe@example.com');
    const eml = path.join(server.dataDir, 'outbox', `${id}.eml`);
    await until('the captured message', async () =>
      (await captured(server)).includes(`${id}.eml`) ? true : undefined,
    );
    const parsed = await simpleParser(await readFile(eml));
    expect(parsed.text).toContain('https://custos.example/public/consent/confirm?token=tok_abcdefghijklmnop');
    const to = Array.isArray(parsed.to) ? parsed.to : [parsed.to];
    expect(to.flatMap((list) => list?.value.map((v) => v.address) ?? [])).toEqual(['jane.doe@example.com']);
    const row = await until('the outbox row sent', async () => {
      const r = await outboxRow(server, id);
      return r?.status === 'sent' ? r : undefined;
    });
    expect(row).toEqual({ status: 'sent', attempts: 1, transport_message_id: parsed.messageId });
  });

  it('sweeps a row whose job was lost into the queue, and delivers it', async () => {
    // A message written without its job (as if the process died between commit and enqueue).
    const [inserted] = await server.sql<{ id: string }>(
      `insert into mail_outbox (id, template, recipient, subject, params, status, attempts, created_at)
        values (gen_random_uuid(), 'consent_confirmation', 'lost@example.com', 'Please confirm', $1::jsonb,
          'queued', 0, clock_timestamp())
        returning id`,
      [JSON.stringify(confirmation('lost@example.com').params)],
    );
    const id = inserted!.id;
    // A row that was tried has had its job: its retries and its dead letter are the queue's, never the sweep's.
    const [tried] = await server.sql<{ id: string }>(
      `insert into mail_outbox (id, template, recipient, subject, params, status, attempts, created_at)
        values (gen_random_uuid(), 'consent_confirmation', 'tried@example.com', 'Please confirm', $1::jsonb,
          'failed', 1, clock_timestamp())
        returning id`,
      [JSON.stringify(confirmation('tried@example.com').params)],
    );
    const row = await until('the swept row sent', async () => {
      const r = await outboxRow(server, id);
      return r?.status === 'sent' ? r : undefined;
    });
    expect(row.attempts).toBe(1);
    expect(await captured(server)).toContain(`${id}.eml`);
    await new Promise((resolve) => setTimeout(resolve, 2500)); // more than two sweeps
    expect(await outboxRow(server, tried!.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(await captured(server)).not.toContain(`${tried!.id}.eml`);
  });
});

describe('a mail job that keeps failing', () => {
  let server: TestServer;
  let port: number;
  let officer: string;
  const received: Buffer[] = [];
  let smtp: SMTPServer | undefined;

  beforeAll(async () => {
    // A loopback port nothing listens on (yet): every SMTP connection is refused.
    port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    server = await mailingTestServer(port, { retryLimit: 1, timeoutMs: 2000 });
    officer = await server.token(['privacy_officer']);
  });
  afterAll(async () => {
    await server?.close();
    await closeSmtp(smtp);
  });

  type Letters = {
    deadLetters: {
      totalCount: number;
      nodes: { id: string; queue: string; jobId: string; attempts: number; errorName: string }[];
    };
  };
  const LETTERS =
    '{ deadLetters(first: 10) { totalCount nodes { id queue jobId attempts errorName deadLetteredAt } } }';

  it('retries, ends in the dead letters seen by compliance only, and is delivered once when re-driven', async () => {
    const id = await mailTo(server, 'jane.doe@example.com');
    const letters = await until('the dead letter', async () => {
      const res = await server.gql<Letters>(LETTERS, { token: officer, purpose: 'compliance' });
      return res.body.data?.deadLetters.totalCount === 1 ? res.body.data.deadLetters : undefined;
    });
    const [letter] = letters.nodes;
    expect(letter).toMatchObject({ queue: 'mail.deliver', attempts: 2 });
    expect(letter!.errorName).toMatch(/^E[A-Z]+$/); // the transport's error code, never a message
    expect(await outboxRow(server, id)).toEqual({
      status: 'failed',
      attempts: 2,
      transport_message_id: null,
    });
    // The payload (the outbox id) is not served, not even as a field name.
    expect(JSON.stringify(letters)).not.toContain(id);

    // Another purpose is refused, whoever holds it.
    for (const purpose of ['customer_support']) {
      const refused = await server.gql<Letters>(LETTERS, { token: officer, purpose });
      expect(refused.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(refused.body.data?.deadLetters ?? null).toBeNull();
      const redrive = await server.gql(`mutation { redriveDeadLetter(id: "${letter!.id}") }`, {
        token: officer,
        purpose,
      });
      expect(redrive.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    }

    // The SMTP server comes up on that port; compliance re-drives the dead letter.
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push(Buffer.concat(chunks));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp!.listen(port, '127.0.0.1', resolve));
    const REDRIVE = 'mutation R($id: ID!) { redriveDeadLetter(id: $id) }';
    const redriven = await server.gql<{ redriveDeadLetter: boolean }>(REDRIVE, {
      token: officer,
      purpose: 'compliance',
      variables: { id: letter!.id },
    });
    expect(redriven.body).toEqual({ data: { redriveDeadLetter: true } });
    const row = await until('the re-driven row sent', async () => {
      const r = await outboxRow(server, id);
      return r?.status === 'sent' ? r : undefined;
    });
    expect(row.attempts).toBe(3);
    const parsed = await simpleParser(received[0]!);
    expect(parsed.messageId).toBe(row.transport_message_id);
    // Exactly once: a re-drive of the same dead letter finds none, and nothing more arrives.
    const again = await server.gql<{ redriveDeadLetter: boolean }>(REDRIVE, {
      token: officer,
      purpose: 'compliance',
      variables: { id: letter!.id },
    });
    expect(again.body).toEqual({ data: { redriveDeadLetter: false } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(received).toHaveLength(1);
    const after = await server.gql<Letters>(LETTERS, { token: officer, purpose: 'compliance' });
    expect(after.body.data!.deadLetters.totalCount).toBe(0);

    // Audited like every operation: compliance's reads and re-drives, and the refusals of another purpose.
    type Events = { auditEvents: { nodes: { rootFields: string[]; purpose: string; outcome: string }[] } };
    const audited = await server.gql<Events>(
      '{ auditEvents(actor: "test-privacy_officer", first: 100) { nodes { rootFields purpose outcome } } }',
      { token: officer, purpose: 'compliance' },
    );
    const seen = audited.body.data!.auditEvents.nodes.map(
      (e) => `${e.rootFields.join()} ${e.purpose} ${e.outcome}`,
    );
    expect(seen).toEqual(
      expect.arrayContaining([
        'deadLetters compliance OK',
        'redriveDeadLetter compliance OK',
        'deadLetters customer_support FORBIDDEN',
        'redriveDeadLetter customer_support FORBIDDEN',
      ]),
    );
  });

  it('refuses a queue it does not know and an id that is no UUID, naming the argument', async () => {
    const badQueue = await server.gql('{ deadLetters(queue: "mail.nope") { totalCount } }', {
      token: officer,
      purpose: 'compliance',
    });
    expect(badQueue.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(badQueue.body.errors?.[0]?.message).toMatch(/queue/);
    expect(badQueue.body.errors?.[0]?.message).not.toContain('mail.nope');
    const badId = await server.gql('mutation { redriveDeadLetter(id: "not-a-uuid") }', {
      token: officer,
      purpose: 'compliance',
    });
    expect(badId.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(badId.body.errors?.[0]?.message).toMatch(/\bid\b/);
    expect(badId.body.errors?.[0]?.message).not.toContain('not-a-uuid');
  });
});

describe('an instance without workers (JOBS_WORKERS=0)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { ...FAST, JOBS_WORKERS: '0', MAIL_SWEEP_SECONDS: '1' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('enqueues but delivers nothing', async () => {
    const id = await mailTo(server, 'jane.doe@example.com');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await outboxRow(server, id)).toEqual({
      status: 'queued',
      attempts: 0,
      transport_message_id: null,
    });
    expect(await captured(server)).toEqual([]);
    const [job] = await server.sql<{ state: string }>(
      `select state from pgboss.job where name = 'mail.deliver' and data ->> 'outboxId' = $1`,
      [id],
    );
    expect(job).toEqual({ state: 'created' });
  });
});

describe('the job queue and mail settings', () => {
  const production = { production: true, dataDir: '/nonexistent/custos-data' };
  const problems = (env: Record<string, string>, options = production) => {
    try {
      loadChannelSettings(env, options);
      return [];
    } catch (error) {
      return (error as { problems: string[] }).problems;
    }
  };

  it('refuses production without SMTP_URL, MAIL_FROM and PUBLIC_BASE_URL (the subgraph always mails links), and takes them', () => {
    expect(problems({})).toEqual([
      'SMTP_URL: required when NODE_ENV=production and a feature that mails is on',
      'MAIL_FROM: required when NODE_ENV=production and a feature that mails is on',
      'PUBLIC_BASE_URL: required when NODE_ENV=production (the links in confirmation mail start with it)',
    ]);
    const settings = loadChannelSettings(
      {
        SMTP_URL: 'smtps://mailer:s3cret@mail.acme.example:465',
        MAIL_FROM: 'privacy@acme.example',
        PUBLIC_BASE_URL: 'https://privacy.acme.example/forms/',
      },
      production,
    );
    expect(settings.consent).toEqual({
      publicBaseUrl: 'https://privacy.acme.example/forms',
      confirmTtlSeconds: 48 * 3600,
      maxAttempts: 5,
      resendSeconds: 900,
      submissionMaxAgeSeconds: 7 * 86_400,
    });
    expect(settings.mail).toMatchObject({ captureDir: undefined, from: { address: 'privacy@acme.example' } });
    expect(settings.jobs.workers).toBe(true);
    expect(settings.mailSweepSeconds).toBe(60);
  });

  it('captures outside production, and names every bad value without repeating it', () => {
    expect(loadChannelSettings({}, { production: false, dataDir: '/d' }).mail.captureDir).toBe('/d/outbox');
    const found = problems(
      {
        JOBS_WORKERS: '2',
        MAIL_SWEEP_SECONDS: '0',
        SMTP_URL: 'http://u:hunter2@x',
        MAIL_FROM: 'a@b.example',
      },
      { production: false, dataDir: '/d' },
    );
    expect(found.map((p) => p.split(':')[0])).toEqual(['JOBS_WORKERS', 'SMTP_URL', 'MAIL_SWEEP_SECONDS']);
    expect(JSON.stringify(found)).not.toContain('hunter2');
  });

  it('reads the double opt-in settings: durations with units, a base URL without query or credentials', () => {
    const dev = { production: false, dataDir: '/d', port: 4321 };
    expect(loadChannelSettings({}, dev).consent.publicBaseUrl).toBe('http://localhost:4321');
    for (const [ttl, seconds] of [
      ['90m', 5400],
      ['2d', 172_800],
      ['3600', 3600],
      ['3600s', 3600],
      ['48h', 172_800],
    ] as const) {
      expect(loadChannelSettings({ CONSENT_CONFIRM_TTL: ttl }, dev).consent.confirmTtlSeconds).toBe(seconds);
    }
    const found = problems(
      {
        CONSENT_CONFIRM_TTL: '1m',
        CONSENT_CONFIRM_MAX_ATTEMPTS: '0',
        CONSENT_CONFIRM_RESEND_SECONDS: 'soon',
        PUBLIC_BASE_URL: 'http://forms.acme.example/?secret=hunter2',
      },
      dev,
    );
    expect(found.map((p) => p.split(':')[0])).toEqual([
      'PUBLIC_BASE_URL',
      'CONSENT_CONFIRM_TTL',
      'CONSENT_CONFIRM_MAX_ATTEMPTS',
      'CONSENT_CONFIRM_RESEND_SECONDS',
    ]);
    expect(JSON.stringify(found)).not.toContain('hunter2');
    expect(problems({ PUBLIC_BASE_URL: 'https://u:p@forms.acme.example' }, dev)).toEqual([
      'PUBLIC_BASE_URL: must have no query, fragment or credentials',
    ]);
    for (const ttl of ['31d', '4m', '48 h', '-1h']) {
      expect(problems({ CONSENT_CONFIRM_TTL: ttl }, dev).map((p) => p.split(':')[0])).toEqual([
        'CONSENT_CONFIRM_TTL',
      ]);
    }
  });
});

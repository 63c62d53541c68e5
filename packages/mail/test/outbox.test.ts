import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ValidationError } from '@custos/runtime';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { deliver, enqueueMail, MAIL_OUTBOX_DDL, type RunSql, undeliveredMail } from '../src/outbox.js';
import { captureTransport, type MailTransport, type OutgoingMail } from '../src/transports.js';
import { confirmationParams, filesOf, memoryLogger, tempDir } from './support.js';

/**
 * The outbox on real PostgreSQL, in a database of its own with the table made from the migration's own DDL:
 * enqueued in the caller's transaction, delivered once however often `deliver` runs, and a crash between the
 * send and its record leaves one message in the capture folder.
 */
const FROM = { name: 'Acme Privacy', address: 'no-reply@acme.example' };
const RECIPIENT = 'Jane.Doe@Example.ORG';
const CANONICAL = 'Jane.Doe@example.org';

let admin: pg.Client;
let pool: pg.Pool;
let databaseName: string;
let folder: Awaited<ReturnType<typeof tempDir>>;
let dir: string;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
  databaseName = `mail_outbox_${randomBytes(6).toString('hex')}`;
  await admin.query(`create database ${databaseName}`);
  const url = new URL(inject('adminUrl'));
  url.pathname = `/${databaseName}`;
  pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  for (const statement of MAIL_OUTBOX_DDL) await pool.query(statement);
  folder = await tempDir('custos-mail-outbox-');
});
afterAll(async () => {
  await pool?.end();
  await admin?.query(`drop database if exists ${databaseName}`);
  await admin?.end();
  await folder?.remove();
});
beforeEach(async (context) => {
  dir = path.join(folder.dir, context.task.id);
});

/** Runs `fn` in one transaction on one connection, as a service's mutation would, and commits or rolls back. */
async function inTransaction<T>(fn: (run: RunSql) => Promise<T>, commit = true): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await fn((sql, params) => client.query(sql, params));
    await client.query(commit ? 'commit' : 'rollback');
    return result;
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

const enqueue = (commit = true) =>
  inTransaction(
    (run) =>
      enqueueMail(run, { template: 'consent_confirmation', to: RECIPIENT, params: confirmationParams() }),
    commit,
  );

interface Row {
  status: string;
  attempts: number;
  recipient: string;
  subject: string;
  params: Record<string, unknown>;
  transport_message_id: string | null;
  last_error: string | null;
  sent_at: Date | null;
}
async function row(id: string): Promise<Row> {
  const { rows } = await pool.query<Row>('select * from mail_outbox where id = $1', [id]);
  return rows[0]!;
}

/** A transport that counts its sends around another. */
function counting(inner: MailTransport): MailTransport & { sends: number } {
  const wrapper = {
    name: inner.name,
    sends: 0,
    async send(mail: OutgoingMail) {
      wrapper.sends++;
      return inner.send(mail);
    },
    close: () => inner.close(),
  };
  return wrapper;
}

describe('enqueueMail', () => {
  it("inserts in the caller's transaction: rolled back with it, committed with it", async () => {
    const rolledBack = await enqueue(false);
    expect((await pool.query('select 1 from mail_outbox where id = $1', [rolledBack])).rowCount).toBe(0);
    const id = await enqueue();
    expect(await row(id)).toMatchObject({
      status: 'queued',
      attempts: 0,
      recipient: CANONICAL,
      subject: 'Please confirm your consent – Acme Widgets GmbH',
      params: JSON.parse(JSON.stringify(confirmationParams())),
      transport_message_id: null,
      sent_at: null,
    });
  });

  it('refuses a bad address or bad params in the transaction, by field and rule, writing nothing', async () => {
    const before = (await pool.query('select count(*)::int as n from mail_outbox')).rows[0].n;
    await expect(
      inTransaction((run) =>
        enqueueMail(run, {
          template: 'consent_confirmation',
          to: '"quoted secret"@example.org',
          params: confirmationParams(),
        }),
      ),
    ).rejects.toThrow(/^to: must not have a quoted local part$/);
    const error = await inTransaction((run) =>
      enqueueMail(run, {
        template: 'consent_confirmation',
        to: RECIPIENT,
        params: confirmationParams({ link: 'ftp://secret.example/x' }),
      }),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([
      { field: 'link', rule: 'url', message: expect.any(String) },
    ]);
    expect((error as Error).message).not.toContain('secret');
    expect((await pool.query('select count(*)::int as n from mail_outbox')).rows[0].n).toBe(before);
  });
});

describe('deliver', () => {
  it('sends once, records sent with the message id, empties the params; run again, sends nothing', async () => {
    const id = await enqueue();
    const transport = counting(captureTransport({ dir, from: FROM }));
    const { logger, lines } = memoryLogger();
    const first = await deliver(pool, id, transport, { logger });
    expect(first).toEqual({ outcome: 'sent', attempt: 1, messageId: `<${id}@acme.example>` });
    const stored = await row(id);
    expect(stored).toMatchObject({
      status: 'sent',
      attempts: 1,
      transport_message_id: `<${id}@acme.example>`,
      last_error: null,
      params: {},
    });
    expect(stored.sent_at).toBeInstanceOf(Date);
    const eml = path.join(dir, `${id}.eml`);
    const written = (await stat(eml)).mtimeMs;

    expect(await deliver(pool, id, transport, { logger })).toEqual({
      outcome: 'already_sent',
      messageId: `<${id}@acme.example>`,
    });
    expect(transport.sends).toBe(1);
    expect((await stat(eml)).mtimeMs).toBe(written);
    expect(await filesOf(dir)).toEqual([`${id}.eml`, `${id}.json`]);
    const parsed = await simpleParser(await readFile(eml));
    expect(parsed.messageId).toBe(`<${id}@acme.example>`);
    expect(parsed.text).toContain(confirmationParams().link);

    // The log says which row, which template, what happened — never the address, the link or the subject.
    const log = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(log.map((entry) => [entry.outboxId, entry.template, entry.outcome])).toEqual([
      [id, 'consent_confirmation', 'sent'],
      [id, undefined, 'already_sent'],
    ]);
    const text = lines().join('\n');
    for (const secret of ['Jane.Doe', 'example.org', 'token=', 'tok_', 'Please confirm', 'Acme Widgets']) {
      expect(text).not.toContain(secret);
    }
  });

  it('two concurrent runs send once: the other finds the row claimed or sent', async () => {
    const id = await enqueue();
    const transport = counting(captureTransport({ dir, from: FROM }));
    const outcomes = await Promise.all([deliver(pool, id, transport), deliver(pool, id, transport)]);
    expect(transport.sends).toBe(1);
    const names = outcomes.map((o) => o.outcome);
    expect(names.filter((name) => name === 'sent')).toHaveLength(1);
    expect(names.filter((name) => name !== 'sent')).toEqual([expect.stringMatching(/^(busy|already_sent)$/)]);
    expect((await row(id)).attempts).toBe(1);
  });

  it('a crash between send and record: after the lease, the retry sends again into the same file, recorded once', async () => {
    const id = await enqueue();
    const capture = captureTransport({ dir, from: FROM });
    // The first worker's transport accepts the message and then the worker is gone: it never returns.
    let release: () => void = () => {};
    const stuck: MailTransport = {
      name: 'capture',
      async send(mail) {
        const sent = await capture.send(mail);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return sent;
      },
      close: () => capture.close(),
    };
    const dead = deliver(pool, id, stuck);
    await expect.poll(() => filesOf(dir)).toEqual([`${id}.eml`, `${id}.json`]);
    expect(await row(id)).toMatchObject({ status: 'sending', attempts: 1 });

    // Within the lease, another run leaves the row alone.
    const retry = counting(captureTransport({ dir, from: FROM }));
    expect(await deliver(pool, id, retry)).toEqual({ outcome: 'busy' });
    expect(retry.sends).toBe(0);
    // After it, the retry takes the row over and sends again — into the same file.
    expect(await deliver(pool, id, retry, { leaseMs: 0 })).toEqual({
      outcome: 'sent',
      attempt: 2,
      messageId: `<${id}@acme.example>`,
    });
    expect(retry.sends).toBe(1);
    expect(await filesOf(dir)).toEqual([`${id}.eml`, `${id}.json`]);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });

    // Should the first worker come back after all, it finds its claim taken over and records nothing.
    release();
    expect(await dead).toEqual({ outcome: 'superseded', attempt: 1 });
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a failed send is recorded by error name only, and a later run delivers it', async () => {
    const id = await enqueue();
    const refusing: MailTransport = {
      name: 'smtp',
      async send() {
        // What an SMTP relay says quotes the address: none of it may reach the row or the log.
        throw Object.assign(new Error('550 5.1.1 <Jane.Doe@example.org>: Recipient address rejected'), {
          code: 'EENVELOPE',
          responseCode: 550,
          permanent: true,
        });
      },
      close: async () => {},
    };
    const { logger, lines } = memoryLogger();
    expect(await deliver(pool, id, refusing, { logger })).toEqual({
      outcome: 'failed',
      attempt: 1,
      error: 'EENVELOPE',
      permanent: true,
    });
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 1, last_error: 'EENVELOPE' });
    expect(lines().join('\n')).not.toMatch(/Jane|example\.org|Recipient address rejected/);

    const transport = counting(captureTransport({ dir, from: FROM }));
    expect(await deliver(pool, id, transport)).toMatchObject({ outcome: 'sent', attempt: 2 });
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
  });

  it('an unknown id is not_found; undeliveredMail lists what is not sent yet', async () => {
    const transport = counting(captureTransport({ dir, from: FROM }));
    expect(await deliver(pool, '00000000-0000-4000-8000-000000000000', transport)).toEqual({
      outcome: 'not_found',
    });
    expect(await deliver(pool, 'not-a-uuid', transport)).toEqual({ outcome: 'not_found' });
    expect(transport.sends).toBe(0);
    const a = await enqueue();
    const b = await enqueue();
    const pending = await undeliveredMail(pool, 1000);
    expect(pending).toEqual(expect.arrayContaining([a, b]));
    await deliver(pool, a, transport);
    expect(await undeliveredMail(pool, 1000)).not.toContain(a);
  });

  it('takes a URL as well as a pool', async () => {
    const id = await enqueue();
    const url = new URL(inject('adminUrl'));
    url.pathname = `/${databaseName}`;
    const outcome = await deliver(url.toString(), id, captureTransport({ dir, from: FROM }));
    expect(outcome).toMatchObject({ outcome: 'sent', attempt: 1 });
  });
});

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GPC_REFUSES, PURPOSE_DEFINITIONS, PURPOSES } from '@custos/policy';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/harness.js';
import { until } from './support/mail.js';

// Consent from public forms (issue 14): the endpoint answers before, and independently of, looking anyone up; a
// grant is recorded only when the person opens the single-use link mailed to the address on file (double
// opt-in); refusals, withdrawals and GPC take effect at once as unverified public signals.

let server: TestServer;
let marketer: string;
let officer: string;

const FAST = { JOBS_POLL_MS: '500', JOBS_SUPERVISE_SECONDS: '1', PUBLIC_RATE_LIMIT_PER_MINUTE: '100000' };
const NOTICE = '2026-01';
const CONSENT_PURPOSES = PURPOSES.filter((purpose) => PURPOSE_DEFINITIONS[purpose].lawfulBasis === 'consent');

beforeAll(async () => {
  server = await startTestServer({ env: FAST });
  marketer = await server.token(['marketer']);
  officer = await server.token(['privacy_officer']);
});
afterAll(() => server?.close());

const post = (body: unknown, headers: Record<string, string> = {}, target = () => server) =>
  fetch(`${target().baseUrl}/public/consent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'FormTest/1.0', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function freshContact(): Promise<{ id: string; email: string }> {
  const [row] = await server.sql<{ id: string; email: string }>(
    `insert into contact (id, full_name, email, created_at, updated_at)
     values (gen_random_uuid(), 'Form Person', 'form-' || gen_random_uuid() || '@example.org', now(), now())
     returning id, email`,
  );
  return row!;
}

/** Every stored submission processed by the workers, and their jobs done. */
const settled = () =>
  until('the submissions processed', async () => {
    const [row] = await server.sql<{ submissions: number; jobs: number }>(
      `select (select count(*)::int from consent_submission) submissions,
              (select count(*)::int from pgboss.job where name = 'consent.submission' and state < 'completed') jobs`,
    );
    return row!.submissions === 0 && row!.jobs === 0 ? true : undefined;
  });

interface EventRow {
  purpose: string;
  status: string;
  method: string;
  recorded_by: string;
  verification: string | null;
}
const eventsOf = (contactId: string) =>
  server.sql<EventRow>(
    'select purpose, status, method, recorded_by, verification from consent_event where contact_id = $1 order by seq',
    [contactId],
  );

/** The confirmation mails sent to `email`, oldest first, each with the link its capture sidecar lists. */
async function mailsTo(email: string): Promise<{ id: string; messageId: string; link: string }[]> {
  const rows = await server.sql<{ id: string; message_id: string }>(
    `select id, transport_message_id as message_id from mail_outbox
      where recipient = $1 and status = 'sent' order by created_at`,
    [email.toLowerCase()],
  );
  return Promise.all(
    rows.map(async (row) => {
      const sidecar = JSON.parse(
        await readFile(path.join(server.dataDir, 'outbox', `${row.id}.json`), 'utf8'),
      ) as { links: string[] };
      expect(sidecar.links).toHaveLength(1);
      return { id: row.id, messageId: row.message_id, link: sidecar.links[0]! };
    }),
  );
}

/** Waits for the one confirmation mail to `email` and returns its link on this server. */
async function confirmationLink(email: string): Promise<{ url: string; token: string; messageId: string }> {
  const [mail] = await until('the confirmation mail', async () => {
    const mails = await mailsTo(email);
    return mails.length > 0 ? mails : undefined;
  });
  const link = new URL(mail!.link);
  expect(link.pathname).toBe('/public/consent/confirm');
  const token = link.searchParams.get('token');
  expect(token).toMatch(/^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/);
  return {
    url: `${server.baseUrl}${link.pathname}${link.search}`,
    token: token!,
    messageId: mail!.messageId,
  };
}

const confirm = (token: string) =>
  fetch(`${server.baseUrl}/public/consent/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });

const CONTACT = 'query C($id: ID!) { contact(id: $id) { id email } }';
/** What the sale_share purpose sees of the contact: null unless a GRANTED sale_share consent is current. */
const asSaleShare = async (id: string) =>
  (await server.gql(CONTACT, { token: marketer, purpose: 'sale_share', variables: { id } })).body.data
    ?.contact;

describe('double opt-in', () => {
  it('records a public grant only when the person opens the mailed link, once', async () => {
    const contact = await freshContact();
    const res = await post({
      email: contact.email.toUpperCase(),
      purpose: 'sale_share',
      status: 'GRANTED',
      noticeVersion: NOTICE,
      source: 'partner-offers-form',
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: 'accepted' });
    await settled();
    const { url, token, messageId } = await confirmationLink(contact.email);
    // Mailed, not recorded: the contact stays out of sale_share's rows.
    expect(await eventsOf(contact.id)).toEqual([]);
    expect(await asSaleShare(contact.id)).toBeNull();

    // Opening the link shows what it would confirm and records nothing (a mail scanner follows links).
    const opened = await fetch(url);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(opened.headers.get('referrer-policy')).toBe('no-referrer');
    const page = await opened.text();
    expect(page).toContain(PURPOSE_DEFINITIONS.sale_share.plainName);
    expect(page).toContain('<form method="post">');
    expect(page).toContain(`value="${token}"`);
    expect(page).not.toContain(contact.email);
    expect(await eventsOf(contact.id)).toEqual([]);

    const confirmed = await confirm(token);
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('your consent is recorded');
    expect(await eventsOf(contact.id)).toEqual([
      {
        purpose: 'sale_share',
        status: 'GRANTED',
        method: 'WEB_FORM',
        recorded_by: 'data-subject',
        verification: 'EMAIL_CONFIRMATION',
      },
    ]);
    // The very next request sees the contact under sale_share.
    expect(await asSaleShare(contact.id)).toEqual({ id: contact.id, email: contact.email });

    // The receipt names the confirmation as the evidence: method, time, the mail's Message-ID.
    const [event] = await server.sql<{ id: string; verified_at: Date; captured_at: Date }>(
      'select id, verified_at, captured_at from consent_event where contact_id = $1',
      [contact.id],
    );
    const receipt = await server.gql(
      `query R($id: ID!) { consentReceipt(eventId: $id) { method status notice { version }
         verification { method verifiedAt messageId } } }`,
      { token: officer, purpose: 'compliance', variables: { id: event!.id } },
    );
    expect(receipt.body.data?.consentReceipt).toEqual({
      method: 'WEB_FORM',
      status: 'GRANTED',
      notice: { version: NOTICE },
      verification: {
        method: 'EMAIL_CONFIRMATION',
        verifiedAt: event!.verified_at.toISOString(),
        messageId,
      },
    });
    expect(messageId).toMatch(/^<.+@.+>$/);
    // The choice was made on the form, before it was confirmed.
    expect(event!.captured_at.getTime()).toBeLessThan(event!.verified_at.getTime());
    const [evidence] = await server.sql<{ source: string; user_agent: string; ip_hmac: string }>(
      'select source, user_agent, ip_hmac from consent_evidence where event_id = $1',
      [event!.id],
    );
    expect(evidence).toMatchObject({ source: 'partner-offers-form', user_agent: 'FormTest/1.0' });
    expect(evidence!.ip_hmac).toMatch(/^[0-9a-f]{64}$/);

    // A second use changes nothing.
    const again = await confirm(token);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('already been used');
    const reopened = await fetch(url);
    expect(reopened.status).toBe(410);
    expect(await eventsOf(contact.id)).toHaveLength(1);
    const verify = await server.gql(
      'query V($c: ID) { verifyConsentLedger(contactId: $c) { valid events stateMismatches } }',
      { token: officer, purpose: 'compliance', variables: { c: contact.id } },
    );
    expect(verify.body.data?.verifyConsentLedger).toEqual({ valid: true, events: 1, stateMismatches: 0 });
  });

  it('names the Message-ID the mail was sent with when the link is opened before the outbox records it sent', async () => {
    const receiptMessageId = async (contactId: string) => {
      const [event] = await server.sql<{ id: string; ref: string | null }>(
        'select id, verification_ref as ref from consent_event where contact_id = $1',
        [contactId],
      );
      const receipt = await server.gql<{ consentReceipt: { verification: { messageId: string | null } } }>(
        'query R($id: ID!) { consentReceipt(eventId: $id) { verification { method messageId } } }',
        { token: officer, purpose: 'compliance', variables: { id: event!.id } },
      );
      expect(receipt.body.data?.consentReceipt.verification.messageId).toBe(event!.ref);
      return event!.ref;
    };
    /** A grant mailed and captured, then its outbox row put back as a crash after the relay accepted it leaves it. */
    const mailedThenUnrecorded = async () => {
      const contact = await freshContact();
      await post({ email: contact.email, purpose: 'marketing', status: 'GRANTED', noticeVersion: NOTICE });
      await settled();
      const { token } = await confirmationLink(contact.email);
      const [mail] = await mailsTo(contact.email);
      const captured = JSON.parse(
        await readFile(path.join(server.dataDir, 'outbox', `${mail!.id}.json`), 'utf8'),
      ) as { messageId: string };
      await server.sql(
        `update mail_outbox set status = 'sending', transport_message_id = null, sent_at = null where id = $1`,
        [mail!.id],
      );
      return { contact, token, outboxId: mail!.id, sent: captured.messageId };
    };

    // The outbox has no record of the send: the receipt names the Message-ID the message went out with.
    const early = await mailedThenUnrecorded();
    expect(early.sent).toBe(`<${early.outboxId}@custos.invalid>`);
    expect((await confirm(early.token)).status).toBe(200);
    expect(await receiptMessageId(early.contact.id)).toBe(early.sent);

    // Both ways: when the outbox did record one (sent while MAIL_FROM named another domain), that one is named.
    const recorded = await mailedThenUnrecorded();
    const asSent = `<${recorded.outboxId}@previous-sender.example>`;
    await server.sql(`update mail_outbox set status = 'sent', transport_message_id = $2 where id = $1`, [
      recorded.outboxId,
      asSent,
    ]);
    expect((await confirm(recorded.token)).status).toBe(200);
    expect(await receiptMessageId(recorded.contact.id)).toBe(asSent);
  });

  it('stores only the hash of the token, and two concurrent confirmations record one grant', async () => {
    const contact = await freshContact();
    await post({ email: contact.email, purpose: 'marketing', status: 'GRANTED', noticeVersion: NOTICE });
    await settled();
    const { token } = await confirmationLink(contact.email);
    const secret = token.split('.')[1]!;
    const rows = await server.sql<{ token_hash: string }>(
      'select token_hash from consent_confirmation where contact_id = $1',
      [contact.id],
    );
    expect(rows).toHaveLength(1);
    const { createHash } = await import('node:crypto');
    expect(rows[0]!.token_hash).toBe(createHash('sha256').update(secret).digest('hex'));
    const dump = JSON.stringify(
      await server.sql('select * from consent_confirmation where contact_id = $1', [contact.id]),
    );
    expect(dump).not.toContain(secret);
    const statuses = (await Promise.all([confirm(token), confirm(token), confirm(token)])).map(
      (r) => r.status,
    );
    expect(statuses.sort()).toEqual([200, 410, 410]);
    expect((await eventsOf(contact.id)).map((e) => e.status)).toEqual(['GRANTED']);
  });

  it('an unconfirmed, expired, locked or unknown link records nothing, with a page that says what to do', async () => {
    const contact = await freshContact();
    await post({ email: contact.email, purpose: 'marketing', status: 'GRANTED', noticeVersion: NOTICE });
    await settled();
    const { token } = await confirmationLink(contact.email);
    const [id, secret] = token.split('.') as [string, string];

    // Unknown: malformed, an id that does not exist, a wrong secret.
    const wrong = `${id}.${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1)}`;
    for (const bad of ['', 'nonsense', `00000000-0000-4000-8000-000000000000.${secret}`, wrong]) {
      const res = await confirm(bad);
      expect(res.status).toBe(404);
      const page = await res.text();
      expect(page).toContain('This link is not valid');
      expect(page).toContain('submit the form again');
    }
    // The wrong secret counted against the link; CONSENT_CONFIRM_MAX_ATTEMPTS (5) locks it, even for the right one.
    const [{ attempts }] = (await server.sql<{ attempts: number }>(
      'select attempts from consent_confirmation where id = $1',
      [id],
    )) as [{ attempts: number }];
    expect(attempts).toBe(1);
    for (let i = 0; i < 4; i++) expect((await confirm(wrong)).status).toBe(404);
    const locked = await confirm(token);
    expect(locked.status).toBe(410);
    expect(await locked.text()).toContain('This link is locked');
    expect(await eventsOf(contact.id)).toEqual([]);

    // Expired: the link's time is over (set in the database, as 48 hours passing would).
    const other = await freshContact();
    await post({ email: other.email, purpose: 'marketing', status: 'GRANTED', noticeVersion: NOTICE });
    await settled();
    const second = await confirmationLink(other.email);
    await server.sql(
      "update consent_confirmation set expires_at = now() - interval '1 second' where contact_id = $1",
      [other.id],
    );
    const expired = await confirm(second.token);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('This link has expired');
    expect(await eventsOf(other.id)).toEqual([]);
  });

  it('mails a link that expires after CONSENT_CONFIRM_TTL (48 hours by default)', async () => {
    const contact = await freshContact();
    await post({ email: contact.email, purpose: 'marketing', status: 'GRANTED', noticeVersion: NOTICE });
    await settled();
    await confirmationLink(contact.email);
    const [row] = await server.sql<{ hours: number }>(
      `select extract(epoch from expires_at - requested_at)::float8 / 3600 as hours
         from consent_confirmation where contact_id = $1`,
      [contact.id],
    );
    expect(row!.hours).toBeCloseTo(48, 2);
  });

  it('sends one mail while a link is pending: posting an address in a loop does not flood its mailbox', async () => {
    const contact = await freshContact();
    for (let i = 0; i < 3; i++) {
      expect(
        (await post({ email: contact.email, purpose: 'marketing', status: 'GRANTED', noticeVersion: NOTICE }))
          .status,
      ).toBe(202);
    }
    await settled();
    await confirmationLink(contact.email);
    const [{ n }] = (await server.sql<{ n: number }>(
      'select count(*)::int n from mail_outbox where recipient = $1',
      [contact.email],
    )) as [{ n: number }];
    expect(n).toBe(1);
  });
});

describe('refusals, withdrawals and GPC take effect at once, unverified', () => {
  it('a withdrawal is recorded without confirmation and cancels a pending link', async () => {
    const contact = await freshContact();
    await post({ email: contact.email, purpose: 'marketing', status: 'GRANTED', noticeVersion: NOTICE });
    await settled();
    const { token } = await confirmationLink(contact.email);
    expect((await post({ email: contact.email, purpose: 'marketing', status: 'WITHDRAWN' })).status).toBe(
      202,
    );
    await settled();
    expect(await eventsOf(contact.id)).toEqual([
      {
        purpose: 'marketing',
        status: 'WITHDRAWN',
        method: 'WEB_FORM',
        recorded_by: 'data-subject',
        verification: 'UNVERIFIED_SIGNAL',
      },
    ]);
    const res = await confirm(token);
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('no longer valid');
    expect(await eventsOf(contact.id)).toHaveLength(1);
  });

  // Generated from the policy: which purposes the signal refuses is its GPC_REFUSES row, not the endpoint's code.
  it.each(CONSENT_PURPOSES)(
    'a %s grant with Sec-GPC: 1: each purpose GPC_REFUSES marks is refused at once; the grant is mailed unless refused',
    async (purpose) => {
      const refused = PURPOSES.filter((p) => GPC_REFUSES[p]);
      expect(refused.length).toBeGreaterThan(0);
      const contact = await freshContact();
      await post(
        { email: contact.email, purpose, status: 'GRANTED', noticeVersion: NOTICE },
        { 'sec-gpc': '1' },
      );
      await settled();
      expect(await eventsOf(contact.id)).toEqual(
        refused.map((p) => ({
          purpose: p,
          status: 'DENIED',
          method: 'GPC',
          recorded_by: 'data-subject',
          verification: 'UNVERIFIED_SIGNAL',
        })),
      );
      const confirmations = await server.sql<{ purpose: string }>(
        'select purpose from consent_confirmation where contact_id = $1',
        [contact.id],
      );
      expect(confirmations).toEqual(GPC_REFUSES[purpose] ? [] : [{ purpose }]);
    },
  );

  it('the receipt of an unverified signal says so', async () => {
    const contact = await freshContact();
    await post({ email: contact.email, purpose: 'marketing', status: 'DENIED' });
    await settled();
    const [event] = await server.sql<{ id: string }>('select id from consent_event where contact_id = $1', [
      contact.id,
    ]);
    const receipt = await server.gql(
      'query R($id: ID!) { consentReceipt(eventId: $id) { status verification { method messageId } } }',
      { token: officer, purpose: 'compliance', variables: { id: event!.id } },
    );
    expect(receipt.body.data?.consentReceipt).toEqual({
      status: 'DENIED',
      verification: { method: 'UNVERIFIED_SIGNAL', messageId: null },
    });
  });

  it('a receipt says who vouches for the choice: staff evidence, or nobody for a public event recorded before the double opt-in', async () => {
    const contact = await freshContact();
    const recorded = await server.gql<{ recordConsent: { id: string } }>(
      `mutation R($c: ID!) { recordConsent(input: { contactId: $c, purpose: "marketing", status: GRANTED,
         method: PHONE, noticeVersion: "2026-01", evidence: { source: "call 2026-11-02 #41" } }) { id } }`,
      { token: officer, purpose: 'compliance', variables: { c: contact.id } },
    );
    expect(recorded.body.errors).toBeUndefined();
    // A grant the public form recorded without confirmation, as it did before this change (an earlier event).
    const [legacy] = await server.sql<{ id: string }>(
      `insert into consent_event (id, contact_id, seq, purpose, status, method, notice_version, captured_at,
         recorded_at, recorded_by, evidence_digest, prev_hash, hash)
       values (gen_random_uuid(), $1, 0, 'sale_share', 'GRANTED', 'WEB_FORM', '2026-01', now(), now(),
         'data-subject', null, null, repeat('0', 64)) returning id`,
      [contact.id],
    );
    const method = async (id: string) =>
      (
        await server.gql<{ consentReceipt: { verification: { method: string } } }>(
          'query R($id: ID!) { consentReceipt(eventId: $id) { verification { method } } }',
          { token: officer, purpose: 'compliance', variables: { id } },
        )
      ).body.data?.consentReceipt.verification.method;
    expect(await method(recorded.body.data!.recordConsent.id)).toBe('RECORDED_BY_STAFF');
    expect(await method(legacy!.id)).toBe('UNVERIFIED_SIGNAL');
  });
});

describe('no oracle: the answer does not depend on who is in the CRM', () => {
  it('with the workers paused, a known and an unknown email get identical answers and nothing about either is read or written', async () => {
    const known = await freshContact();
    const unknown = 'nobody-here-at-all@example.org';
    const before = await server.sql<{ n: number }>('select count(*)::int n from audit_pending');
    await server.running.jobs.queue.pauseWorkers();
    // Hold every table about people: a request that read or wrote one would wait here until its timeout.
    const lock = new pg.Client({ connectionString: server.databaseOwnerUrl });
    await lock.connect();
    try {
      await lock.query('begin');
      await lock.query(
        `lock table contact, consent_event, consent_state, consent_evidence, consent_confirmation, mail_outbox,
           audit_pending in access exclusive mode`,
      );
      const answers = [];
      for (const email of [known.email, unknown, known.email, unknown]) {
        const res = await fetch(`${server.baseUrl}/public/consent`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, purpose: 'marketing', status: 'GRANTED', noticeVersion: NOTICE }),
          signal: AbortSignal.timeout(5_000),
        });
        const headers = Object.fromEntries(
          [...res.headers].filter(([name]) => !['date', 'x-request-id'].includes(name)),
        );
        answers.push({ status: res.status, headers, body: await res.text() });
      }
      expect(answers[0]).toMatchObject({ status: 202, body: '{"status":"accepted"}' });
      for (const answer of answers) expect(answer).toEqual(answers[0]);
      await lock.query('rollback');
    } finally {
      await lock.end();
    }
    // Stored as submissions, identical in shape; nothing recorded, mailed or audited.
    const stored = await server.sql<{ purpose: string; status: string }>(
      'select purpose, status from consent_submission order by received_at',
    );
    expect(stored).toEqual(Array(4).fill({ purpose: 'marketing', status: 'GRANTED' }));
    expect(await eventsOf(known.id)).toEqual([]);
    expect(await server.sql('select id from consent_confirmation where contact_id = $1', [known.id])).toEqual(
      [],
    );
    expect(
      await server.sql('select id from mail_outbox where recipient = any($1)', [[known.email, unknown]]),
    ).toEqual([]);
    expect(await server.sql<{ n: number }>('select count(*)::int n from audit_pending')).toEqual(before);
    // The jobs carry ids only.
    const payloads = await server.sql<{ data: unknown }>(
      "select data from pgboss.job where name = 'consent.submission' and state = 'created'",
    );
    expect(payloads).toHaveLength(4);
    for (const { data } of payloads) expect(Object.keys(data as object)).toEqual(['submissionId']);

    await server.running.jobs.queue.resumeWorkers();
    await settled();
    // Then: one link mailed to the known contact, nothing to the unknown address, and no submission kept.
    await confirmationLink(known.email);
    expect(await server.sql('select id from mail_outbox where recipient = $1', [unknown])).toEqual([]);
    expect(await server.sql('select id from consent_submission')).toEqual([]);
  });
});

describe('bad input: refused with the field and the rule, nothing stored, nothing mailed', () => {
  const stored = async () =>
    (
      await server.sql<{ n: number }>(
        `select (select count(*)::int from consent_submission)
              + (select count(*)::int from pgboss.job where name = 'consent.submission') as n`,
      )
    )[0]!.n;

  it.each([
    ['a malformed email', { email: 'not-an-email' }, 'email', 'email'],
    ['a quoted local part', { email: '"john doe"@example.com' }, 'email', 'quoted_local_part'],
    ['a comment', { email: 'john(work)@example.com' }, 'email', 'comment'],
    ['a display name', { email: 'John <john@example.com>' }, 'email', 'display_name'],
    ['two addresses', { email: 'a@example.com,b@example.com' }, 'email', 'single_address'],
    ['an unknown purpose', { purpose: 'newsletter' }, 'purpose', 'one_of'],
    ['a purpose without consent as its basis', { purpose: 'sales' }, 'purpose', 'one_of'],
    ['an unknown status', { status: 'OBJECTED' }, 'status', 'one_of'],
    ['a grant without a notice version', { noticeVersion: undefined }, 'noticeVersion', 'required'],
    ['an unpublished notice version', { noticeVersion: '1999-01' }, 'noticeVersion', 'exists'],
  ])('%s → 400 naming %s', async (_name, change, field, rule) => {
    const before = await stored();
    const body = {
      email: 'valid.person@example.org',
      purpose: 'marketing',
      status: 'GRANTED',
      noticeVersion: NOTICE,
      ...change,
    };
    const res = await post(body);
    expect(res.status).toBe(400);
    const text = await res.text();
    const parsed = JSON.parse(text) as {
      errors: { extensions: { code: string; problems: { field: string; rule: string }[] } }[];
    };
    expect(parsed.errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(parsed.errors[0]!.extensions.problems).toContainEqual(expect.objectContaining({ field, rule }));
    for (const value of Object.values(change)) if (value) expect(text).not.toContain(value);
    expect(await stored()).toBe(before);
  });

  it('a body over 16 KB → 413, a body that is not a JSON object → 400; nothing stored', async () => {
    const before = await stored();
    const big = await post({
      email: 'a@example.org',
      purpose: 'marketing',
      status: 'DENIED',
      x: 'y'.repeat(20_000),
    });
    expect(big.status).toBe(413);
    expect(
      ((await big.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code,
    ).toBe('BODY_TOO_LARGE');
    for (const body of ['[1, 2]', 'not json', '"text"']) expect((await post(body)).status).toBe(400);
    expect(await stored()).toBe(before);
  });
});

describe('one canonical address: contacts and the public form canonicalise alike', () => {
  const CREATE_CONTACT =
    'mutation C($input: CreateContactInput!) { createContact(input: $input) { id email } }';
  const create = (email: string) =>
    server.gql<{ createContact: { id: string; email: string } }>(CREATE_CONTACT, {
      variables: { input: { fullName: 'Canonical Person', email } },
    });

  it('a contact with an internationalised domain is stored as the form looks it up, and refused by the same rules', async () => {
    const local = `Canon.${Date.now().toString(36)}`;
    const created = await create(`  ${local}@Bücher.Example `);
    expect(created.body.errors).toBeUndefined();
    const contact = created.body.data!.createContact;
    // Trimmed, the domain lowercased and in A-labels, the local part as given: the form's canonical form.
    expect(contact.email).toBe(`${local}@xn--bcher-kva.example`);
    // The same address written the other way is the same contact.
    const again = await create(`${local.toLowerCase()}@xn--BCHER-kva.example`);
    expect(again.body.errors?.[0]?.extensions?.code).toBe('CONFLICT');

    // A refusal typed in Unicode on the form finds the contact.
    expect(
      (await post({ email: `${local}@BÜCHER.example`, purpose: 'marketing', status: 'DENIED' })).status,
    ).toBe(202);
    await settled();
    expect((await eventsOf(contact.id)).map((event) => `${event.purpose} ${event.status}`)).toEqual([
      'marketing DENIED',
    ]);

    // What the form refuses, a contact is refused by the same rule, naming the field and nothing of the value.
    for (const [email, rule] of [
      ['"canon person"@example.com', 'quoted_local_part'],
      ['canon(work)@example.com', 'comment'],
      ['Canon <canon@example.com>', 'display_name'],
      ['canon@example.com,other@example.com', 'single_address'],
      ['not-an-email', 'email'],
    ] as const) {
      const refused = await create(email);
      expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(refused.body.errors?.[0]?.extensions?.problems).toEqual([
        expect.objectContaining({ field: 'email', rule }),
      ]);
      expect(refused.text).not.toContain(email);
      const form = await post({ email, purpose: 'marketing', status: 'DENIED' });
      expect(form.status).toBe(400);
      expect(
        ((await form.json()) as { errors: { extensions: { problems: unknown[] } }[] }).errors[0]!.extensions
          .problems,
      ).toEqual([expect.objectContaining({ field: 'email', rule })]);
    }
  });
});

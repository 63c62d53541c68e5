import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, type GqlResponse, startTestServer, type TestServer } from './support/harness.js';

/**
 * The consent ledger: append-only and hash-chained in the database, the current state kept with each event,
 * and the row rules reading that state on the very next request.
 */
let server: TestServer;
let tokens: Record<'support' | 'sales' | 'marketer' | 'officer' | 'analyst', string>;

const RECORD = `mutation R($input: RecordConsentInput!) {
  recordConsent(input: $input) { id seq purpose status method noticeVersion prevHash hash recordedBy contact { id } } }`;
const WITHDRAW = `mutation W($c: ID!, $p: String!) { withdrawConsent(contactId: $c, purpose: $p) { id seq status } }`;
const OBJECT = `mutation O($c: ID!, $p: String!) { objectToProcessing(contactId: $c, purpose: $p, method: EMAIL) { id status method } }`;
const CONTACT = 'query C($id: ID!) { contact(id: $id) { id } }';
const HISTORY = `query H($c: ID!, $first: Int, $after: String) { consentHistory(contactId: $c, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } nodes { id seq status purpose prevHash hash } } }`;
const VERIFY =
  'query V($c: ID) { verifyConsentLedger(contactId: $c) { valid events brokenEventId stateMismatches } }';

const support = (query: string, variables?: Record<string, unknown>) =>
  server.gql(query, { token: tokens.support, purpose: 'customer_support', variables });
const officer = (query: string, variables?: Record<string, unknown>) =>
  server.gql(query, { token: tokens.officer, purpose: 'compliance', variables });

async function freshContact(): Promise<string> {
  const [row] = await server.sql<{ id: string }>(
    `insert into contact (id, full_name, email, created_at, updated_at)
     values (gen_random_uuid(), 'Consent Person', 'consent-' || gen_random_uuid() || '@example.org', now(), now())
     returning id`,
  );
  return row!.id;
}

const grant = (contactId: string, purpose = 'marketing', extra: Record<string, unknown> = {}) =>
  support(RECORD, {
    input: {
      contactId,
      purpose,
      status: 'GRANTED',
      method: 'WEB_FORM',
      noticeVersion: '2026-01',
      evidence: { source: 'signed form #1' },
      ...extra,
    },
  });

const eventCount = async () =>
  (await server.sql<{ n: number }>('select count(*)::int n from consent_event'))[0]!.n;

beforeAll(async () => {
  server = await startTestServer({ seedContacts: 80 });
  tokens = {
    support: await server.token(['support_agent'], 'agent-7'),
    sales: await server.token(['sales_rep']),
    marketer: await server.token(['marketer']),
    officer: await server.token(['privacy_officer']),
    analyst: await server.token(['analyst']),
  };
});
afterAll(() => server?.close());

describe('consent decides what each purpose sees', () => {
  it('a marketer sees a contact once it consents, and not on the very next request after a withdrawal', async () => {
    const id = await freshContact();
    const asMarketer = () =>
      server.gql(CONTACT, { token: tokens.marketer, purpose: 'marketing', variables: { id } });
    expect((await asMarketer()).body.data).toEqual({ contact: null });

    const granted = await grant(id);
    expect(granted.body.errors).toBeUndefined();
    expect(granted.body.data?.recordConsent).toMatchObject({
      seq: 1,
      purpose: 'marketing',
      status: 'GRANTED',
      method: 'WEB_FORM',
      noticeVersion: '2026-01',
      prevHash: null,
      recordedBy: 'agent-7',
      contact: { id },
    });
    expect((await asMarketer()).body.data).toEqual({ contact: { id } });

    // Withdrawal: one call, by the marketer itself, as easy as the grant.
    const withdrawn = await server.gql(WITHDRAW, {
      token: tokens.marketer,
      purpose: 'marketing',
      variables: { c: id, p: 'marketing' },
    });
    expect(withdrawn.body.data?.withdrawConsent).toMatchObject({ seq: 2, status: 'WITHDRAWN' });
    expect((await asMarketer()).body.data).toEqual({ contact: null });
    // … and a withdrawn contact is, for the marketer, an id that does not exist.
    const again = await server.gql(WITHDRAW, {
      token: tokens.marketer,
      purpose: 'marketing',
      variables: { c: id, p: 'marketing' },
    });
    expect(errorCode(again)).toBe('NOT_FOUND');
  });

  it('an objection removes the contact from that purpose’s rows', async () => {
    const id = await freshContact();
    const asSales = () => server.gql(CONTACT, { token: tokens.sales, purpose: 'sales', variables: { id } });
    expect((await asSales()).body.data).toEqual({ contact: { id } });
    const objected = await server.gql(OBJECT, {
      token: tokens.sales,
      purpose: 'sales',
      variables: { c: id, p: 'sales' },
    });
    expect(objected.body.data?.objectToProcessing).toMatchObject({ status: 'OBJECTED', method: 'EMAIL' });
    expect((await asSales()).body.data).toEqual({ contact: null });
    // Support, whose purpose an objection to sales does not touch, still sees the person.
    expect((await support(CONTACT, { id })).body.data).toEqual({ contact: { id } });
  });
});

describe('limit the use of sensitive data (CCPA)', () => {
  it('sets and lifts the flag on a contact the purpose sees; compliance, not bound by it, still sees', async () => {
    const id = await freshContact();
    await server.sql("update contact set health_notes = 'Asthma' where id = $1", [id]);
    const LIMIT =
      'mutation L($c: ID!, $on: Boolean) { limitSensitiveDataUse(contactId: $c, limited: $on) { id } }';
    const HEALTH = 'query H($id: ID!) { contact(id: $id) { healthNotes } }';
    expect((await officer(HEALTH, { id })).body.data).toEqual({ contact: { healthNotes: 'Asthma' } });
    const limited = await support(LIMIT, { c: id });
    expect(limited.body.data).toEqual({ limitSensitiveDataUse: { id } });
    const [row] = await server.sql<{ limit_sensitive: boolean }>(
      'select limit_sensitive from contact where id = $1',
      [id],
    );
    expect(row!.limit_sensitive).toBe(true);
    // Compliance is not bound by the limit (legal obligation); no other purpose sees special categories at all.
    expect((await officer(HEALTH, { id })).body.data).toEqual({ contact: { healthNotes: 'Asthma' } });
    await support(LIMIT, { c: id, on: false });
    const [lifted] = await server.sql<{ limit_sensitive: boolean }>(
      'select limit_sensitive from contact where id = $1',
      [id],
    );
    expect(lifted!.limit_sensitive).toBe(false);
    expect(
      errorCode(await server.gql(LIMIT, { token: tokens.sales, purpose: 'sales', variables: { c: id } })),
    ).toBe('FORBIDDEN');
    expect(errorCode(await support(LIMIT, { c: '40000000-0000-4000-8000-000000000009' }))).toBe('NOT_FOUND');
  });
});

describe('bad input writes nothing', () => {
  it.each([
    ['an unknown contact', { contactId: '40000000-0000-4000-8000-000000000001' }, 'NOT_FOUND', null],
    ['an id that is no uuid', { contactId: 'x' }, 'NOT_FOUND', null],
    ['an unknown purpose', { purpose: 'newsletter' }, 'NOT_FOUND', null],
    ['consent for a purpose not based on consent', { purpose: 'sales' }, 'BAD_USER_INPUT', 'lawful_basis'],
    [
      'an objection to a legal obligation',
      { purpose: 'compliance', status: 'OBJECTED' },
      'BAD_USER_INPUT',
      'lawful_basis',
    ],
    ['a grant without the notice it rests on', { noticeVersion: null }, 'BAD_USER_INPUT', 'required'],
    ['a notice version that was never published', { noticeVersion: '1999-01' }, 'BAD_USER_INPUT', 'exists'],
    ['a choice made in the future', { capturedAt: '2999-01-01T00:00:00Z' }, 'BAD_USER_INPUT', 'past'],
    [
      'an IP address that is none',
      { evidence: { source: 'call 7', ip: '999.1.1.1' } },
      'BAD_USER_INPUT',
      'ip_address',
    ],
  ] as const)('%s', async (_what, patch, code, rule) => {
    const id = await freshContact();
    const before = await eventCount();
    const res = await support(RECORD, {
      input: {
        contactId: id,
        purpose: 'marketing',
        status: 'GRANTED',
        method: 'WEB_FORM',
        noticeVersion: '2026-01',
        evidence: { source: 'signed form #1' },
        ...patch,
      },
    });
    expect(errorCode(res)).toBe(code);
    if (rule)
      expect(res.body.errors?.[0]?.extensions?.problems).toContainEqual(expect.objectContaining({ rule }));
    expect(res.text).not.toContain('999.1.1.1');
    expect(await eventCount()).toBe(before);
  });

  // Staff record consent captured elsewhere (a signed paper form): the controller must be able to demonstrate it
  // (Art 7(1)), so a grant names its notice and where its evidence is; refusals and withdrawals need neither.
  it.each([
    ['no evidence at all', null],
    ['evidence without its source', { userAgent: 'Paper/1' }],
    ['an empty source', { source: '' }],
  ])(
    'a GRANTED with %s is refused, naming evidence.source; a DENIED without evidence is recorded',
    async (_what, evidence) => {
      const id = await freshContact();
      const before = await eventCount();
      const input = {
        contactId: id,
        purpose: 'marketing',
        method: 'PHONE',
        noticeVersion: '2026-01',
        evidence,
      };
      const refused = await support(RECORD, { input: { ...input, status: 'GRANTED' } });
      expect(errorCode(refused)).toBe('BAD_USER_INPUT');
      expect(refused.body.errors?.[0]?.extensions?.problems).toEqual([
        expect.objectContaining({ field: 'evidence.source', rule: 'required' }),
      ]);
      expect(await eventCount()).toBe(before);
      const denied = await support(RECORD, { input: { ...input, status: 'DENIED', noticeVersion: null } });
      expect(denied.body.errors).toBeUndefined();
      expect(await eventCount()).toBe(before + 1);
    },
  );

  it('is refused for purposes that may not record consent, and analytics may not read the ledger', async () => {
    const id = await freshContact();
    const bySales = await server.gql(RECORD, {
      token: tokens.sales,
      purpose: 'sales',
      variables: {
        input: {
          contactId: id,
          purpose: 'marketing',
          status: 'GRANTED',
          method: 'PHONE',
          noticeVersion: '2026-01',
        },
      },
    });
    expect(errorCode(bySales)).toBe('FORBIDDEN');
    const history = await server.gql(HISTORY, {
      token: tokens.analyst,
      purpose: 'analytics',
      variables: { c: id },
    });
    expect(errorCode(history)).toBe('FORBIDDEN');
  });
});

describe('the ledger', () => {
  it('records concurrent grants and withdrawals in order, the chain intact and the state the last event', async () => {
    const id = await freshContact();
    const results: GqlResponse[] = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 === 0
          ? grant(id)
          : support(RECORD, {
              input: { contactId: id, purpose: 'marketing', status: 'WITHDRAWN', method: 'EMAIL' },
            }),
      ),
    );
    for (const res of results) expect(res.body.errors).toBeUndefined();
    const events = await server.sql<{ seq: number; status: string }>(
      'select seq, status from consent_event where contact_id = $1 order by seq',
      [id],
    );
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const [state] = await server.sql<{ status: string }>(
      "select status from consent_state where contact_id = $1 and purpose = 'marketing'",
      [id],
    );
    expect(state!.status).toBe(events.at(-1)!.status);
    const check = await officer(VERIFY, { c: id });
    expect(check.body.data?.verifyConsentLedger).toEqual({
      valid: true,
      events: 10,
      brokenEventId: null,
      stateMismatches: 0,
    });
  });

  it('pages a contact’s history oldest first, each event linked to the one before', async () => {
    const id = await freshContact();
    for (let i = 0; i < 3; i++) await grant(id);
    const first = await support(HISTORY, { c: id, first: 2 });
    const page = first.body.data?.consentHistory as {
      totalCount: number;
      pageInfo: { hasNextPage: boolean; endCursor: string };
      nodes: { seq: number; prevHash: string | null; hash: string }[];
    };
    expect(page.totalCount).toBe(3);
    expect(page.nodes.map((n) => n.seq)).toEqual([1, 2]);
    expect(page.nodes[1]!.prevHash).toBe(page.nodes[0]!.hash);
    const rest = await support(HISTORY, { c: id, first: 2, after: page.pageInfo.endCursor });
    const next = rest.body.data?.consentHistory as { nodes: { seq: number; prevHash: string }[] };
    expect(next.nodes.map((n) => n.seq)).toEqual([3]);
    expect(next.nodes[0]!.prevHash).toBe(page.nodes[1]!.hash);
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    const id = await freshContact();
    await grant(id);
    await expect(
      server.sql("update consent_event set status = 'DENIED' where contact_id = $1", [id]),
    ).rejects.toThrow(/append-only/);
    await expect(server.sql('delete from consent_event where contact_id = $1', [id])).rejects.toThrow(
      /append-only/,
    );
    await expect(server.sql('truncate consent_event cascade')).rejects.toThrow(/append-only/);
  });

  it('verify finds an edited event and a removed one (with the guard taken off by the table owner)', async () => {
    const edited = await freshContact();
    const removed = await freshContact();
    for (const id of [edited, removed]) {
      await grant(id);
      await support(RECORD, {
        input: { contactId: id, purpose: 'marketing', status: 'WITHDRAWN', method: 'EMAIL' },
      });
      await grant(id);
    }
    const [second] = await server.sql<{ id: string }>(
      'select id from consent_event where contact_id = $1 and seq = 2',
      [edited],
    );
    await server.sql('alter table consent_event disable trigger consent_event_no_update');
    try {
      await server.sql("update consent_event set status = 'GRANTED' where id = $1", [second!.id]);
      await server.sql('delete from consent_event where contact_id = $1 and seq = 2', [removed]);
    } finally {
      await server.sql('alter table consent_event enable trigger consent_event_no_update');
    }
    const byEdit = await officer(VERIFY, { c: edited });
    expect(byEdit.body.data?.verifyConsentLedger).toMatchObject({ valid: false, brokenEventId: second!.id });
    const byRemoval = await officer(VERIFY, { c: removed });
    expect(byRemoval.body.data?.verifyConsentLedger).toMatchObject({ valid: false });
    const whole = await officer(VERIFY, {});
    expect(whole.body.data?.verifyConsentLedger).toMatchObject({ valid: false });
  });

  it('keeps evidence beside the chain: the IP only as a keyed HMAC, none of it in an answer', async () => {
    const id = await freshContact();
    const res = await grant(id, 'sale_share', {
      evidence: { source: 'signup-form-v3', userAgent: 'Mozilla/5.0 Test', ip: '203.0.113.77' },
    });
    expect(res.text).not.toContain('203.0.113.77');
    const [evidence] = await server.sql<{ source: string; user_agent: string; ip_hmac: string }>(
      `select v.source, v.user_agent, v.ip_hmac from consent_evidence v join consent_event e on e.id = v.event_id
       where e.contact_id = $1`,
      [id],
    );
    expect(evidence).toMatchObject({ source: 'signup-form-v3', user_agent: 'Mozilla/5.0 Test' });
    expect(evidence!.ip_hmac).toMatch(/^[0-9a-f]{64}$/);
    // Deleting the evidence (what an erasure will do) leaves the chain verifiable: it holds only the digest.
    await server.sql(
      'delete from consent_evidence v using consent_event e where e.id = v.event_id and e.contact_id = $1',
      [id],
    );
    expect((await officer(VERIFY, { c: id })).body.data?.verifyConsentLedger).toMatchObject({ valid: true });
  });
});

describe('CSV import', () => {
  const IMPORT = 'mutation I($csv: String!) { importConsents(csv: $csv) { imported } }';
  const importCsv = (csv: string) => officer(IMPORT, { csv });

  it('imports every row in one transaction, quoted fields included', async () => {
    const [a, b] = [await freshContact(), await freshContact()];
    const csv = [
      'contact_id,purpose,status,method,notice_version,captured_at,source',
      `${a},marketing,GRANTED,WEB_FORM,2026-01,2026-02-01T09:00:00Z,"Newsletter form, footer"`,
      `${b},sale_share,DENIED,,,,`,
      `${a},marketing,WITHDRAWN,EMAIL,,2026-02-03T09:00:00Z,"mail ""unsubscribe"""`,
      '',
    ].join('\r\n');
    const res = await importCsv(csv);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({ importConsents: { imported: 3 } });
    const events = await server.sql<{ contact_id: string; seq: number; status: string; method: string }>(
      'select contact_id, seq, status, method from consent_event where contact_id = any($1) order by contact_id, seq',
      [[a, b]],
    );
    expect(events.filter((e) => e.contact_id === a).map((e) => [e.seq, e.status])).toEqual([
      [1, 'GRANTED'],
      [2, 'WITHDRAWN'],
    ]);
    expect(events.find((e) => e.contact_id === b)).toMatchObject({ status: 'DENIED', method: 'IMPORT' });
    const [source] = await server.sql<{ source: string }>(
      `select v.source from consent_evidence v join consent_event e on e.id = v.event_id
       where e.contact_id = $1 and e.seq = 2`,
      [a],
    );
    expect(source!.source).toBe('mail "unsubscribe"');
    expect((await officer(VERIFY, { c: a })).body.data?.verifyConsentLedger).toMatchObject({ valid: true });
  });

  it('rejects a file with one bad row, names the row and the rule, and writes nothing', async () => {
    const [a, b] = [await freshContact(), await freshContact()];
    const before = await eventCount();
    const csv = [
      'contact_id,purpose,status,notice_version,source',
      `${a},marketing,GRANTED,2026-01,paper form 17`,
      `${b},sales,GRANTED,2026-01,paper form 18`,
      `${a},marketing,GRANTED,2026-01,paper form 19`,
    ].join('\n');
    const res = await importCsv(csv);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.extensions?.problems).toEqual([
      expect.objectContaining({ field: 'line 3.status', rule: 'lawful_basis' }),
    ]);
    expect(res.text).not.toContain(b);
    expect(await eventCount()).toBe(before);
  });

  it('reports every kind of bad row at once', async () => {
    const a = await freshContact();
    const res = await importCsv(
      [
        'contact_id,purpose,status,method,notice_version,captured_at',
        'not-an-id,marketing,GRANTED,WEB_FORM,2026-01,',
        '40000000-0000-4000-8000-000000000077,marketing,GRANTED,WEB_FORM,2026-01,',
        `${a},newsletter,GRANTED,WEB_FORM,2026-01,`,
        `${a},marketing,MAYBE,CARRIER_PIGEON,2026-01,`,
        `${a},marketing,GRANTED,WEB_FORM,1999-01,`,
        `${a},marketing,GRANTED,WEB_FORM,2026-01,yesterday`,
        `${a},marketing`,
      ].join('\n'),
    );
    // No source column: every grant lacks the evidence it rests on, and says so by the CSV's own column name.
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    const problems = (res.body.errors?.[0]?.extensions?.problems ?? []) as { field: string; rule: string }[];
    expect(problems.map((p) => `${p.field}:${p.rule}`)).toEqual(
      expect.arrayContaining([
        'line 2.contact_id:id',
        'line 3.contact_id:exists',
        'line 4.purpose:unknown',
        'line 5.status:one_of',
        'line 5.method:one_of',
        'line 6.notice_version:exists',
        'line 7.captured_at:date_time',
        'line 8:columns',
        'line 2.source:required',
        'line 7.source:required',
      ]),
    );
  });

  it('refuses a file without its required columns, an unknown column, and anyone but compliance', async () => {
    expect(errorCode(await importCsv('contact_id,purpose\n'))).toBe('BAD_USER_INPUT');
    const unknown = await importCsv('contact_id,purpose,status,email\nx,y,z,w');
    expect(unknown.body.errors?.[0]?.extensions?.problems).toContainEqual(
      expect.objectContaining({ field: 'header', rule: 'column' }),
    );
    const bySupport = await support(IMPORT, { csv: 'contact_id,purpose,status\n' });
    expect(errorCode(bySupport)).toBe('FORBIDDEN');
  });
});

describe('consent receipts (ISO/IEC TS 27560)', () => {
  const RECEIPT = `query R($id: ID!) { consentReceipt(eventId: $id) { schema recordId controller { name contact }
    subjectPseudonym purpose { id description lawfulBasis } notice { version sha256 publishedAt } method status
    timestamp recordedAt eventHash prevHash } }`;

  it('serves each event as a receipt naming the person by a stable keyed pseudonym, never by id', async () => {
    const id = await freshContact();
    const other = await freshContact();
    const first = await grant(id, 'marketing', { capturedAt: '2026-03-01T10:00:00Z' });
    const second = await support(WITHDRAW, { c: id, p: 'marketing' });
    const elsewhere = await grant(other);
    const receipt = async (eventId: string) =>
      (await support(RECEIPT, { id: eventId })).body.data?.consentReceipt as Record<string, unknown> & {
        subjectPseudonym: string;
      };
    const event = first.body.data?.recordConsent as { id: string; hash: string };
    const r1 = await receipt(event.id);
    expect(r1).toMatchObject({
      schema: 'ISO/IEC TS 27560:2023',
      recordId: event.id,
      controller: { name: 'Custos demo controller', contact: 'privacy@example.com' },
      purpose: { id: 'marketing', lawfulBasis: 'consent' },
      notice: { version: '2026-01', publishedAt: '2026-01-01T00:00:00.000Z' },
      method: 'WEB_FORM',
      status: 'GRANTED',
      timestamp: '2026-03-01T10:00:00.000Z',
      eventHash: event.hash,
      prevHash: null,
    });
    expect((r1.notice as { sha256: string }).sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r1.subjectPseudonym).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(r1)).not.toContain(id);
    const r2 = await receipt((second.body.data!.withdrawConsent as { id: string }).id);
    expect(r2.subjectPseudonym).toBe(r1.subjectPseudonym);
    const r3 = await receipt((elsewhere.body.data!.recordConsent as { id: string }).id);
    expect(r3.subjectPseudonym).not.toBe(r1.subjectPseudonym);
  });

  it('answers null for an unknown event, FORBIDDEN for sales, and redacts the pseudonym of a restricted person', async () => {
    expect((await support(RECEIPT, { id: '50000000-0000-4000-8000-000000000001' })).body.data).toEqual({
      consentReceipt: null,
    });
    const id = await freshContact();
    const event = (await grant(id)).body.data?.recordConsent as { id: string };
    expect(
      errorCode(
        await server.gql(RECEIPT, { token: tokens.sales, purpose: 'sales', variables: { id: event.id } }),
      ),
    ).toBe('FORBIDDEN');
    await server.sql('update contact set restricted = true where id = $1', [id]);
    const restricted = await support(RECEIPT, { id: event.id });
    expect(
      (restricted.body.data!.consentReceipt as { subjectPseudonym: unknown }).subjectPseudonym,
    ).toBeNull();
    expect(restricted.body.extensions?.redactions).toEqual([
      expect.objectContaining({ field: 'ConsentReceipt.subjectPseudonym', reason: 'PROCESSING_RESTRICTED' }),
    ]);
  });
});

describe('the demo seed', () => {
  it('writes its consents as ledger events, from which every current state follows', async () => {
    const fresh = await startTestServer({ seedContacts: 60 });
    try {
      const [counts] = await fresh.sql<{ events: number; states: number }>(
        'select (select count(*)::int from consent_event) events, (select count(*)::int from consent_state) states',
      );
      expect(counts!.events).toBeGreaterThan(0);
      expect(counts!.events).toBe(counts!.states);
      const res = await fresh.gql(VERIFY, {
        token: await fresh.token(['privacy_officer']),
        purpose: 'compliance',
      });
      expect(res.body.data?.verifyConsentLedger).toMatchObject({
        valid: true,
        events: counts!.events,
        stateMismatches: 0,
      });
    } finally {
      await fresh.close();
    }
  });
});

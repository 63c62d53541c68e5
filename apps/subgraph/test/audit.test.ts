import { createHash, randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CheckpointLog, loadSigningKey } from '@custos/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eraseAuditSubject } from '../src/audit/audit.service.js';
import { errorCode, type GqlResponse, startTestServer, type TestServer } from './support/harness.js';

/**
 * The audit trail: one event per operation that revealed personal data (fields revealed and redacted, per
 * contact), hash-chained in batches, checkpointed outside the database, erasable per person, monitored.
 */
let server: TestServer;
let tokens: Record<'support' | 'sales' | 'officer' | 'analyst', string>;
let ids: string[];

interface AccessOut {
  channel: string;
  revealedFields: string[];
  redactedFields: string[];
  subjectCount: number;
  contactIds: string[];
}
interface EventOut {
  id: string;
  actor: string;
  actorRoles: string[];
  purpose: string;
  operationType: string;
  operationName: string | null;
  rootFields: string[];
  requestId: string;
  gatewayRequestId: string | null;
  outcome: string;
  subjectCount: number;
  policyVersion: string;
  accesses: AccessOut[];
}

const EVENTS = `query Events($contactId: ID, $actor: String, $purpose: String, $first: Int = 50, $after: String) {
  auditEvents(contactId: $contactId, actor: $actor, purpose: $purpose, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id actor actorRoles purpose operationType operationName rootFields requestId gatewayRequestId outcome
            subjectCount policyVersion accesses { channel revealedFields redactedFields subjectCount contactIds } } } }`;
const VERIFY =
  '{ verifyAuditLog { valid batches events headSeq checkpoints lastCheckpointSeq brokenBatchSeq problem } }';

const officer = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) =>
  server.gql<T>(query, { token: tokens.officer, purpose: 'compliance', variables });

async function eventsOf(actor: string): Promise<EventOut[]> {
  const res = await officer<{ auditEvents: { nodes: EventOut[] } }>(EVENTS, { actor, first: 100 });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.auditEvents.nodes;
}

const sorted = (list: readonly string[]) => [...list].sort();

/** Statements as a superuser with every trigger off (tampering, as an attacker with database access would). */
const tamper = (statements: string) =>
  server.sql(`begin; set local session_replication_role = replica; ${statements}; commit;`);

beforeAll(async () => {
  server = await startTestServer({ seedContacts: 30 });
  tokens = {
    support: await server.token(['support_agent'], 'audit-agent'),
    sales: await server.token(['sales_rep'], 'audit-sales'),
    officer: await server.token(['privacy_officer'], 'audit-officer'),
    analyst: await server.token(['analyst'], 'audit-analyst'),
  };
  // Ordinary contacts only (not restricted, no sensitive limit): every page below reveals the same fields.
  await server.sql('update contact set restricted = false, limit_sensitive = false, erased_at = null');
});
afterAll(() => server?.close());

describe('what is recorded', () => {
  it('a read records one event: actor, purpose, operation and, per contact, the fields revealed and redacted', async () => {
    const res = await server.gql(
      'query SupportPage { contacts(first: 3) { nodes { id fullName email healthNotes } } }',
      {
        token: tokens.support,
        headers: { 'x-request-id': 'gw-req-1' },
      },
    );
    expect(res.body.errors).toBeUndefined();
    ids = (res.body.data as { contacts: { nodes: { id: string }[] } }).contacts.nodes.map((n) => n.id);
    const events = await eventsOf('audit-agent');
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event).toMatchObject({
      actor: 'audit-agent',
      actorRoles: ['support_agent'],
      purpose: 'customer_support',
      operationType: 'query',
      operationName: 'SupportPage',
      rootFields: ['contacts'],
      requestId: res.headers.get('x-request-id'),
      gatewayRequestId: 'gw-req-1',
      outcome: 'OK',
      subjectCount: 3,
    });
    expect(event!.policyVersion).toMatch(/^policy-/);
    expect(event!.accesses).toHaveLength(1);
    expect(event!.accesses[0]).toMatchObject({
      channel: 'QUERY',
      revealedFields: ['Contact.fullName', 'Contact.email'],
      redactedFields: ['Contact.healthNotes'],
      subjectCount: 3,
    });
    expect(sorted(event!.accesses[0]!.contactIds)).toEqual(sorted(ids));
  });

  it('names every contact of an event whose contacts are partly new to the writer (pseudonyms made mid-batch)', async () => {
    // The writer knows the previous test's three contacts; a page of six adds three it has never seen, so the
    // event is grouped, its new contacts given pseudonyms, and grouped again (packages/audit store.ts).
    const wider = await server.token(['support_agent'], 'audit-wider');
    const res = await server.gql('query Wider { contacts(first: 6) { nodes { id email } } }', {
      token: wider,
    });
    expect(res.body.errors).toBeUndefined();
    const pageIds = (res.body.data as { contacts: { nodes: { id: string }[] } }).contacts.nodes.map(
      (n) => n.id,
    );
    expect(pageIds).toHaveLength(6);
    const known = pageIds.filter((id) => ids.includes(id));
    expect(known).toHaveLength(3);
    const [event, ...others] = await eventsOf('audit-wider');
    expect(others).toHaveLength(0);
    expect(event).toMatchObject({ operationName: 'Wider', outcome: 'OK', subjectCount: 6 });
    expect(event!.accesses).toHaveLength(1);
    expect(event!.accesses[0]).toMatchObject({
      channel: 'QUERY',
      revealedFields: ['Contact.email'],
      subjectCount: 6,
    });
    expect(sorted(event!.accesses[0]!.contactIds)).toEqual(sorted(pageIds));
    const stored = await server.sql<{ n: string }>(
      'select count(*)::text as n from audit_subject where contact_id = any($1::uuid[])',
      [pageIds],
    );
    expect(stored[0]!.n).toBe('6');
  });

  it('names a page read again by the same subject set, another page by its own; event ids are time-ordered', async () => {
    const again = await server.token(['support_agent'], 'audit-again');
    // PageC is the page after PageA: as many contacts, none the same.
    const page = (name: string, after?: string) =>
      server.gql<{ contacts: { pageInfo: { endCursor: string } } }>(
        `query ${name}($after: String) { contacts(first: 5, after: $after) { pageInfo { endCursor } nodes { id email } } }`,
        { token: again, variables: { after } },
      );
    let afterA: string | undefined;
    for (const name of ['PageA', 'PageB', 'PageC', 'PageD']) {
      const res = await page(name, name === 'PageC' ? afterA : undefined);
      expect(res.body.errors).toBeUndefined();
      if (name === 'PageA') afterA = res.body.data!.contacts.pageInfo.endCursor;
    }
    await server.flushAudit();
    const rows = await server.sql<{
      id: string;
      operation_name: string;
      ms: string;
      subject_set: string;
      subjects: string[];
    }>(
      `select e.id, e.operation_name, (extract(epoch from e.occurred_at) * 1000)::bigint::text as ms, a.subject_set,
              s.subjects::text[] as subjects
         from audit_event e join audit_access a on a.event_id = e.id
         join audit_subject_set s on s.digest = a.subject_set
        where e.actor_sub = 'audit-again' order by e.operation_name`,
    );
    expect(rows.map((r) => r.operation_name)).toEqual(['PageA', 'PageB', 'PageC', 'PageD']);
    // Each set's digest is the hash of its stored pseudonyms, computed here from the rows.
    for (const row of rows) {
      const expected = createHash('sha256')
        .update(`custos-audit-subjects-v1\n${row.subjects.join(',')}`)
        .digest('hex');
      expect(row.subject_set).toBe(expected);
    }
    const [a, b, c, d] = rows;
    expect(a!.subjects).toHaveLength(5);
    expect(c!.subjects).toHaveLength(5);
    expect(c!.subjects.filter((p) => a!.subjects.includes(p))).toEqual([]);
    expect(b!.subject_set).toBe(a!.subject_set);
    expect(d!.subject_set).toBe(a!.subject_set);
    expect(c!.subject_set).not.toBe(a!.subject_set);
    // UUIDv7 (RFC 9562): version 7, and the first 48 bits are the event's time in Unix milliseconds.
    for (const row of rows) {
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(Number.parseInt(row.id.replace(/-/g, '').slice(0, 12), 16)).toBe(Number(row.ms));
    }
    const verified = await officer<{ verifyAuditLog: { valid: boolean } }>(VERIFY);
    expect(verified.body.data?.verifyAuditLog.valid).toBe(true);
  });

  it('names how the data arrived, derived by the server: _entities and mutations', async () => {
    const entities = await server.gql(
      'query Refs($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id email } } }',
      { token: tokens.sales, purpose: 'sales', variables: { r: [{ __typename: 'Contact', id: ids[0] }] } },
    );
    expect(entities.body.errors).toBeUndefined();
    const created = await server.gql(
      `mutation { createContact(input: { fullName: "Audit Person", email: "audit-person@example.org" }) { id email } }`,
      { token: tokens.sales, purpose: 'sales' },
    );
    expect(created.body.errors).toBeUndefined();
    const newId = (created.body.data as { createContact: { id: string } }).createContact.id;
    const events = await eventsOf('audit-sales');
    expect(events.map((e) => [e.operationType, e.rootFields[0], e.accesses[0]?.channel])).toEqual([
      ['mutation', 'createContact', 'MUTATION'],
      ['query', '_entities', 'ENTITIES'],
    ]);
    expect(events[0]!.accesses[0]).toMatchObject({ revealedFields: ['Contact.email'], contactIds: [newId] });
    expect(events[1]!.accesses[0]).toMatchObject({ revealedFields: ['Contact.email'], contactIds: [ids[0]] });
  });

  it('records refusals, and nothing for an operation that revealed nothing personal', async () => {
    const before = (await eventsOf('audit-analyst')).length;
    const refused = await server.gql('{ contacts(first: 1) { nodes { id } } }', {
      token: tokens.analyst,
      purpose: 'analytics',
    });
    expect(errorCode(refused)).toBe('FORBIDDEN');
    await server.gql('{ companies(first: 2) { nodes { name } } }', {
      token: tokens.analyst,
      purpose: 'analytics',
    });
    const events = await eventsOf('audit-analyst');
    expect(events).toHaveLength(before + 1);
    expect(events[0]).toMatchObject({
      outcome: 'FORBIDDEN',
      rootFields: ['contacts'],
      subjectCount: 0,
      accesses: [],
    });
  });

  it('records every operation of a purpose the policy audits in full (compliance), personal or not', async () => {
    const auditor = await server.token(['privacy_officer'], 'audit-full');
    await server.gql('query Companies { companies(first: 2) { nodes { name } } }', {
      token: auditor,
      purpose: 'compliance',
    });
    const events = await eventsOf('audit-full');
    expect(events.map((e) => [e.operationName, e.outcome, e.subjectCount])).toEqual([['Companies', 'OK', 0]]);
  });
});

describe('privacy operations outside GraphQL', () => {
  it("a data subject's consent through the public endpoint is audited, naming the endpoint and the contact", async () => {
    const [contact] = await server.sql<{ id: string; email: string }>(
      'select id, email from contact where id = $1',
      [ids[2]],
    );
    const res = await fetch(`${server.baseUrl}/public/consent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-gpc': '1' },
      body: JSON.stringify({
        email: contact!.email,
        purpose: 'marketing',
        status: 'GRANTED',
        noticeVersion: '2026-01',
      }),
    });
    expect(res.status).toBe(202);
    // The lookup, the GPC refusal and their audit event happen in the submission's job, after the answer.
    let events: EventOut[] = [];
    for (const deadline = Date.now() + 20_000; events.length === 0 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await server.flushAudit();
      events = await eventsOf('data-subject');
    }
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actorRoles: [],
      purpose: null,
      operationType: 'public',
      operationName: 'publicConsent+GPC',
      rootFields: ['POST /public/consent'],
      requestId: res.headers.get('x-request-id'),
      accesses: [{ channel: 'MUTATION', revealedFields: [], redactedFields: [], contactIds: [ids[2]] }],
    });
  });
});

describe("the privacy officer's queries", () => {
  it("by contact: who saw this person's data, naming only that person", async () => {
    const res = await officer<{ auditEvents: { totalCount: number; nodes: EventOut[] } }>(EVENTS, {
      contactId: ids[0],
      first: 100,
    });
    const nodes = res.body.data!.auditEvents.nodes;
    expect(nodes.map((n) => n.actor)).toEqual(expect.arrayContaining(['audit-agent', 'audit-sales']));
    for (const node of nodes) {
      for (const access of node.accesses) expect(access.contactIds).toEqual([ids[0]]);
    }
    expect(res.body.data!.auditEvents.totalCount).toBe(nodes.length);
    const other = await officer<{ auditEvents: { nodes: EventOut[] } }>(EVENTS, {
      contactId: ids[2],
      first: 100,
    });
    expect(other.body.data!.auditEvents.nodes.map((n) => n.actor)).not.toContain('audit-sales');
  });

  it('by purpose, paged newest first, and only for compliance', async () => {
    const page = await officer<{
      auditEvents: { pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: EventOut[] };
    }>(EVENTS, { purpose: 'sales', first: 1 });
    expect(page.body.data!.auditEvents.nodes[0]!.operationType).toBe('mutation');
    expect(page.body.data!.auditEvents.pageInfo.hasNextPage).toBe(true);
    const next = await officer<{ auditEvents: { nodes: EventOut[] } }>(EVENTS, {
      purpose: 'sales',
      first: 1,
      after: page.body.data!.auditEvents.pageInfo.endCursor,
    });
    expect(next.body.data!.auditEvents.nodes[0]!.rootFields).toEqual(['_entities']);
    expect(errorCode(await officer(EVENTS, { purpose: 'nonsense' }))).toBe('BAD_USER_INPUT');
    const asSupport = await server.gql(EVENTS, { token: tokens.support });
    expect(errorCode(asSupport)).toBe('FORBIDDEN');
    expect(asSupport.body.data?.auditEvents ?? null).toBeNull();
  });

  it('one event by id: the same event as in the trail, NOT_FOUND otherwise, compliance only, and audited', async () => {
    const EVENT = `query Event($id: ID!) { auditEvent(id: $id) {
      id actor actorRoles purpose operationType operationName rootFields requestId gatewayRequestId outcome
      subjectCount policyVersion accesses { channel revealedFields redactedFields subjectCount contactIds } } }`;
    const [listed] = await eventsOf('audit-agent');
    const one = await officer<{ auditEvent: EventOut }>(EVENT, { id: listed!.id });
    expect(one.body.errors).toBeUndefined();
    expect(one.body.data!.auditEvent).toEqual(listed);
    // Every access of the event, whoever it names (the trail by contact shows only that contact's).
    const [stored] = await server.sql<{ n: number }>(
      'select count(*)::int as n from audit_access where event_id = $1',
      [listed!.id],
    );
    expect(one.body.data!.auditEvent.accesses).toHaveLength(stored!.n);

    const unknown = randomUUID();
    const malformed = 'not-an-id-<script>';
    for (const id of [unknown, malformed]) {
      const res = await officer<{ auditEvent: EventOut | null }>(EVENT, { id });
      expect(errorCode(res)).toBe('NOT_FOUND');
      expect(res.body.data?.auditEvent ?? null).toBeNull();
      expect(res.text).not.toContain(id);
    }

    const agent = await server.token(['support_agent'], 'audit-event-agent');
    const asSupport = await server.gql(EVENT, { token: agent, variables: { id: listed!.id } });
    expect(errorCode(asSupport)).toBe('FORBIDDEN');
    expect(asSupport.body.data?.auditEvent ?? null).toBeNull();

    // Read like the trail is read: each reading is an event of its own, for compliance.
    const reads = (await eventsOf('audit-officer')).filter((e) => e.rootFields.includes('auditEvent'));
    expect(reads.map((e) => `${e.purpose} ${e.outcome}`)).toEqual(
      expect.arrayContaining(['compliance OK', 'compliance PARTIAL']),
    );
    expect(reads).toHaveLength(3);
    const refused = await eventsOf('audit-event-agent');
    expect(refused.map((e) => `${e.rootFields} ${e.purpose} ${e.outcome}`)).toEqual([
      'auditEvent customer_support FORBIDDEN',
    ]);
  });
});

describe('tamper evidence', () => {
  type Check = { verifyAuditLog: Record<string, unknown> };
  const verify = async () => (await officer<Check>(VERIFY)).body.data!.verifyAuditLog;

  it('verifies, and finds an edited event', async () => {
    const ok = await verify();
    expect(ok).toMatchObject({ valid: true, brokenBatchSeq: null, problem: null });
    expect(ok.checkpoints as number).toBeGreaterThan(0);
    const [target] = await server.sql<{ id: string; batch_seq: string }>(
      "select id, batch_seq from audit_event where actor_sub = 'audit-agent' limit 1",
    );
    await server.sql('alter table audit_event disable trigger audit_event_no_update');
    try {
      await server.sql("update audit_event set purpose = 'compliance' where id = $1", [target!.id]);
      const broken = await verify();
      expect(broken).toMatchObject({ valid: false, brokenBatchSeq: Number(target!.batch_seq) });
      expect(broken.problem).toMatch(/altered/);
    } finally {
      await server.sql("update audit_event set purpose = 'customer_support' where id = $1", [target!.id]);
      await server.sql('alter table audit_event enable trigger audit_event_no_update');
    }
    expect(await verify()).toMatchObject({ valid: true, problem: null });
  });

  it('finds a subject set whose pseudonyms were swapped (sets are content-addressed)', async () => {
    const [set] = await server.sql<{ digest: string }>(
      "select a.subject_set as digest from audit_access a join audit_event e on e.id = a.event_id where e.actor_sub = 'audit-agent' limit 1",
    );
    const [original] = await server.sql<{ subjects: string }>(
      'select subjects::text from audit_subject_set where digest = $1',
      [set!.digest],
    );
    await server.sql(
      'update audit_subject_set set subjects = subjects[2:] || subjects[1:1] where digest = $1',
      [set!.digest],
    );
    try {
      const broken = await verify();
      expect(broken.valid).toBe(false);
      expect(broken.problem).toMatch(/subjects of event \d+ of batch \d+ were altered or removed/);
    } finally {
      await server.sql('update audit_subject_set set subjects = $2::uuid[] where digest = $1', [
        set!.digest,
        original!.subjects,
      ]);
    }
    expect(await verify()).toMatchObject({ valid: true, problem: null });
  });

  it('refuses UPDATE and DELETE to every role by trigger, and finds a deleted event', async () => {
    await expect(server.sql("update audit_event set outcome = 'OK'")).rejects.toThrow(/append-only/);
    await expect(server.sql('delete from audit_access')).rejects.toThrow(/append-only/);
    await expect(server.sql('truncate audit_batch cascade')).rejects.toThrow(/append-only/);
    const [target] = await server.sql<{ id: string; batch_seq: string }>(
      "select id, batch_seq from audit_event where actor_sub = 'audit-sales' order by occurred_at limit 1",
    );
    const saved = await server.sql('select * from audit_access where event_id = $1', [target!.id]);
    const [event] = await server.sql('select * from audit_event where id = $1', [target!.id]);
    await tamper(
      `delete from audit_access where event_id = '${target!.id}'; delete from audit_event where id = '${target!.id}'`,
    );
    const broken = await verify();
    expect(broken).toMatchObject({ valid: false, brokenBatchSeq: Number(target!.batch_seq) });
    expect(broken.problem).toMatch(/holds \d+ of its \d+ events/);
    // Put it back exactly (the rest of the suite verifies the same log).
    await server.sql(
      'insert into audit_event select * from jsonb_populate_record(null::audit_event, $1::jsonb)',
      [JSON.stringify(event)],
    );
    for (const row of saved) {
      await server.sql(
        'insert into audit_access select * from jsonb_populate_record(null::audit_access, $1::jsonb)',
        [JSON.stringify(row)],
      );
    }
    expect((await verify()).valid).toBe(true);
  });

  it("ignores another database's checkpoints in the same directory, and finds a forged one of its own", async () => {
    const key = await loadSigningKey(undefined, server.dataDir);
    const dir = path.join(server.dataDir, 'audit');
    // A reseeded development database, a test's: another chain, far ahead — not this chain's business.
    await new CheckpointLog(dir, 'elsewhere', key).write(randomUUID(), 99_999, 'f'.repeat(64));
    expect(await verify()).toMatchObject({ valid: true, problem: null });
    const [chain] = await server.sql<{ id: string }>('select id from audit_chain');
    const forged = {
      chain: chain!.id,
      seq: 1,
      hash: '0'.repeat(64),
      at: new Date().toISOString(),
      service: 'x',
    };
    const file = path.join(dir, 'checkpoints-forged.jsonl');
    await writeFile(file, `${JSON.stringify({ ...forged, signature: 'AAAA' })}\n`);
    try {
      expect(await verify()).toMatchObject({
        valid: false,
        problem: '1 checkpoint line(s) are not signed checkpoints',
      });
    } finally {
      await rm(file);
    }
  });

  it('survives an erasure: the pseudonym link goes, the chain still verifies, the person is not named', async () => {
    const erased = ids[1]!;
    // What an erasure does to the audit trail (the erasure workflow itself is the data-subject-request issue's),
    // as the application role.
    const em = server.running.orm.em.fork();
    expect(await eraseAuditSubject(em, erased, undefined)).toBe(true);
    expect(await eraseAuditSubject(em, erased, undefined)).toBe(false);
    expect((await verify()).valid).toBe(true);
    const byContact = await officer<{ auditEvents: { totalCount: number } }>(EVENTS, { contactId: erased });
    expect(byContact.body.data!.auditEvents.totalCount).toBe(0);
    const all = await eventsOf('audit-agent');
    const first = all.at(-1)!;
    expect(first.accesses[0]!.subjectCount).toBe(3);
    expect(first.accesses[0]!.contactIds).not.toContain(erased);
    expect(first.accesses[0]!.contactIds).toHaveLength(2);
  });

  it('finds the newest batches cut off, by the signed checkpoint kept outside the database', async () => {
    await server.gql('{ contacts(first: 1) { nodes { fullName } } }', { token: tokens.support });
    const before = await verify(); // flushes and checkpoints the new head
    expect(before.lastCheckpointSeq).toBe(before.headSeq);
    // The officer's check is itself audited (compliance): its event is written by the next flush, which also
    // checkpoints. Flushed here, so that no batch lands after the one cut off (the chain would then show a gap,
    // not a cut: a finding too, but not the one this test is about).
    await server.flushAudit();
    const [{ head }] = (await server.sql<{ head: number }>(
      'select max(seq)::int as head from audit_batch',
    )) as [{ head: number }];
    expect(head).toBe((before.headSeq as number) + 1);
    await tamper(
      `delete from audit_access where event_id in (select id from audit_event where batch_seq = ${head});
       delete from audit_event where batch_seq = ${head}; delete from audit_batch where seq = ${head}`,
    );
    // What is left is a perfectly linked chain (the writer even links new batches to the new head): only the
    // checkpoint tells that the batch it signed is gone. Last of its kind: the log stays cut.
    const cut = await verify();
    expect(cut).toMatchObject({ valid: false, brokenBatchSeq: head });
    expect(cut.problem).toMatch(/cut short|differs from its signed checkpoint/);
  });
});

describe('monitoring rules', () => {
  const SET_RULE = `mutation S($input: AuditRuleInput!) { setAuditRule(input: $input) { id kind params enabled updatedBy } }`;
  const ALERTS =
    '{ auditAlerts(status: OPEN, first: 100) { nodes { id ruleId kind actor purpose details status } } }';
  type Alerts = { auditAlerts: { nodes: { id: string; ruleId: string; actor: string; details: string }[] } };
  // Other rules may fire too (the default off-hours rule, depending on when the suite runs): filter by rule.
  const alertsFor = async (actor: string, ruleId: string) =>
    (await officer<Alerts>(ALERTS)).body.data!.auditAlerts.nodes.filter(
      (a) => a.actor === actor && a.ruleId === ruleId,
    );

  it('are data the officer edits, validated for their kind', async () => {
    const bad = await officer(SET_RULE, {
      input: {
        id: 'Bad Id',
        kind: 'DISTINCT_CONTACTS',
        description: 'x',
        params: '{"limit": 0}',
        enabled: true,
      },
    });
    expect(errorCode(bad)).toBe('BAD_USER_INPUT');
    const badParams = await officer<GqlResponse['body']>(SET_RULE, {
      input: {
        id: 'x',
        kind: 'OFF_HOURS',
        description: 'x',
        params: '{"timeZone": "Mars/Base"}',
        enabled: true,
      },
    });
    expect(errorCode(badParams)).toBe('BAD_USER_INPUT');
    const rules = await officer<{ auditRules: { id: string }[] }>('{ auditRules { id } }');
    expect(rules.body.data!.auditRules.map((r) => r.id)).toEqual([
      'bulk-read',
      'forbidden-burst',
      'off-hours',
    ]);
  });

  it('fire on a scripted burst of distinct contacts, and not on normal use', async () => {
    const set = await officer(SET_RULE, {
      input: {
        id: 'bulk-read',
        kind: 'DISTINCT_CONTACTS',
        description: 'Test: more than 10 distinct contacts in 10 minutes.',
        params: JSON.stringify({ limit: 10, minutes: 10 }),
        enabled: true,
      },
    });
    expect(set.body.errors).toBeUndefined();
    const burst = await server.token(['support_agent'], 'burst-reader');
    const normal = await server.token(['support_agent'], 'normal-reader');
    for (let i = 0; i < 3; i++) {
      await server.gql('{ contacts(first: 4) { nodes { fullName } } }', { token: normal });
    }
    await server.gql('{ contacts(first: 6) { nodes { fullName } } }', { token: burst });
    await server.gql('{ contacts(first: 12) { nodes { email } } }', { token: burst });
    await server.flushAudit();
    await server.flushAudit(); // the alert is written with the transaction after the batch that raised it
    const fired = await alertsFor('burst-reader', 'bulk-read');
    expect(fired).toHaveLength(1);
    expect(JSON.parse(fired[0]!.details)).toMatchObject({ distinctContacts: 12, limit: 10 });
    expect(await alertsFor('normal-reader', 'bulk-read')).toEqual([]);
  });

  it('fire on repeated refusals', async () => {
    const prober = await server.token(['marketer'], 'prober');
    for (let i = 0; i < 5; i++) {
      expect(
        errorCode(
          await server.gql('{ contactDuplicates { totalCount } }', { token: prober, purpose: 'marketing' }),
        ),
      ).toBe('FORBIDDEN');
    }
    await server.flushAudit();
    await server.flushAudit();
    expect(await alertsFor('prober', 'forbidden-burst')).toHaveLength(1);
  });

  it('fire when a purpose is used outside working hours, and can be acknowledged', async () => {
    // A one-hour working window, every day, that excludes this hour and the next (the test may cross an hour).
    const hour = new Date().getUTCHours();
    const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    const window =
      hour === 21 ? { start: '23:00', end: '23:59' } : { start: hh(hour + 2), end: hh(hour + 3) };
    const set = await officer(SET_RULE, {
      input: {
        id: 'off-hours',
        kind: 'OFF_HOURS',
        description: 'Test window',
        params: JSON.stringify({
          timeZone: 'UTC',
          ...window,
          weekdays: [1, 2, 3, 4, 5, 6, 7],
          purposes: ['sales'],
        }),
        enabled: true,
      },
    });
    expect(set.body.errors).toBeUndefined();
    const late = await server.token(['sales_rep'], 'late-seller');
    await server.gql('{ contacts(first: 1) { nodes { fullName } } }', { token: late, purpose: 'sales' });
    await server.gql('{ contacts(first: 1) { nodes { fullName } } }', { token: late, purpose: 'sales' });
    const early = await server.token(['support_agent'], 'support-at-night');
    await server.gql('{ contacts(first: 1) { nodes { fullName } } }', { token: early });
    await server.flushAudit();
    await server.flushAudit();
    const fired = await alertsFor('late-seller', 'off-hours');
    expect(fired).toHaveLength(1); // once per actor and hour, not per request
    expect(await alertsFor('support-at-night', 'off-hours')).toEqual([]); // not a watched purpose
    const ack = await officer<{ acknowledgeAuditAlert: { status: string } }>(
      'mutation A($id: ID!) { acknowledgeAuditAlert(id: $id) { status } }',
      { id: fired[0]!.id },
    );
    expect(ack.body.data!.acknowledgeAuditAlert.status).toBe('ACKNOWLEDGED');
    expect(await alertsFor('late-seller', 'off-hours')).toEqual([]);
  });
});

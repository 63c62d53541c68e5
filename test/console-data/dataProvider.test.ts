import { createHash, randomUUID } from 'node:crypto';
import { fieldVisibility, type Purpose, type Role } from '@custos/policy';
import { HttpError } from 'react-admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConsoleDataProvider,
  createDataProvider,
  RESOURCES,
} from '../../apps/admin/src/data/dataProvider';
import type { Credentials } from '../../apps/admin/src/data/graphql';
import type { ResourceContext } from '../../apps/admin/src/data/resource';
import type { Gateway } from '../../apps/gateway/src/gateway.js';
import { startTestServer, type TestServer } from '../../apps/subgraph/test/support/harness.js';
import type { RunningTickets } from '../../apps/tickets/src/bootstrap.js';
import { startPublicGateway, startTicketsFor } from '../federation/support/federation.js';

/**
 * The console's dataProvider as the browser runs it — createDataProvider, its documents, Node's own fetch — against
 * the real gateway composing the Custos and tickets subgraphs, all started in this process on PostgreSQL (no mock
 * of fetch, no canned answer): the console talks to the gateway only. Every method
 * of every resource module the dataProvider registers (RESOURCES) is called at least once and its answer or its
 * effect checked against the database; then redaction and the server's errors.
 */

let server: TestServer;
let tickets: RunningTickets | undefined;
let gateway: Gateway | undefined;
let provider: ConsoleDataProvider;
let who: Credentials | null = null;
const SUB = `console-data-${randomUUID().slice(0, 8)}`;

/** Signs in as `role` (a development token from the server's own keys) declaring `purpose`. */
async function as(role: Role, purpose: Purpose, sub = SUB): Promise<void> {
  who = { token: await server.token([role], sub), purpose };
}
const officer = () => as('privacy_officer', 'compliance');

/** The dataProvider's custom methods, by name (each checked below like the react-admin ones). */
const call = <T>(method: string, ...args: unknown[]): Promise<T> =>
  (provider[method] as (...a: unknown[]) => Promise<T>)(...args);

const list = (resource: string, filter: Record<string, unknown> = {}, page = 1, perPage = 25) =>
  provider.getList(resource, { pagination: { page, perPage }, sort: { field: 'id', order: 'ASC' }, filter });

/**
 * The dataProvider as `provider`, over Node's own fetch to the same gateway, keeping the variables of each request
 * it sends: what the API was asked, beside what it answered.
 */
function recordingProvider(): { recording: ConsoleDataProvider; sent: Record<string, unknown>[] } {
  const sent: Record<string, unknown>[] = [];
  const recording = createDataProvider({
    url: `${gateway!.url}/graphql`,
    credentials: () => who,
    fetch: (input, init) => {
      sent.push((JSON.parse(String(init?.body)) as { variables: Record<string, unknown> }).variables);
      return fetch(input, init);
    },
  });
  return { recording, sent };
}

const caught = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error as HttpError,
  );

/** A new contact, with no consent recorded (written through the API by a support agent, as a CRM would). */
async function freshContact(): Promise<{ id: string; email: string; full_name: string }> {
  const tag = randomUUID().slice(0, 8);
  const input = { fullName: `Person ${tag}`, email: `dp-${tag}@example.org` };
  const res = await server.gql<{ createContact: { id: string } }>(
    'mutation($input: CreateContactInput!) { createContact(input: $input) { id } }',
    {
      token: await server.token(['support_agent'], 'dp-writer'),
      purpose: 'customer_support',
      variables: { input },
    },
  );
  expect(res.body.errors).toBeUndefined();
  return { id: res.body.data!.createContact.id, email: input.email, full_name: input.fullName };
}

async function publishedNotice(): Promise<string> {
  const version = `dp-${randomUUID().slice(0, 8)}`;
  await officer();
  await provider.create('privacyNotices', { data: { version, text: `Notice ${version}.` } });
  return version;
}

/** A live contact, processing not restricted, for which `exists` holds (most rows first), by id. */
async function contactWith(exists: string): Promise<string> {
  const [row] = await server.sql<{ id: string }>(
    `select c.id from contact c where c.erased_at is null and not c.restricted and exists (${exists})
     order by (select count(*) from (${exists}) rows) desc, c.id limit 1`,
  );
  expect(row, 'a seeded contact with such rows').toBeDefined();
  return row!.id;
}

/**
 * A contact's relation in pages of 2 as customer support gets it (the rows in the database's order, the total),
 * then as administration, which the policy never lets follow it: no rows, and the server's reason.
 */
async function relationPages(
  resource: 'interactions' | 'tickets',
  contact: string,
  expected: readonly { id: string; subject: string }[],
): Promise<void> {
  const field = resource === 'interactions' ? 'Contact.interactions' : 'Contact.ticketConnection';
  expect(fieldVisibility('customer_support', field)).not.toBe('never');
  expect(fieldVisibility('administration', field)).toBe('never');
  expect(expected.length).toBeGreaterThan(0);
  const page = (n: number) =>
    provider.getManyReference(resource, {
      target: 'contactId',
      id: contact,
      pagination: { page: n, perPage: 2 },
      sort: { field: 'id', order: 'DESC' },
      filter: {},
    });
  await as('support_agent', 'customer_support');
  const first = await page(1);
  const second = await page(2);
  expect(first.total).toBe(expected.length);
  expect([...first.data, ...second.data].map((row) => [row.id, row.subject])).toEqual(
    expected.slice(0, 4).map((row) => [row.id, row.subject]),
  );
  await as('admin', 'administration');
  const closed = await page(1);
  expect(closed.data).toEqual([]);
  expect(closed.meta).toEqual({ redaction: 'PURPOSE_NOT_ALLOWED' });
}

const count = async (sql: string, params: unknown[] = []) =>
  (await server.sql<{ n: number }>(sql, params))[0]?.n ?? -1;

/**
 * One check per method of each resource, by resource and method name. The list of what must be here comes from
 * the registry (below), not from this table: a resource or method added to the dataProvider without its check here
 * fails the test that compares them.
 */
const CHECKS: Record<string, Record<string, () => Promise<void>>> = {
  contacts: {
    async getList() {
      await officer();
      const expected = await server.sql<{ id: string }>(
        'select id from contact where erased_at is null order by created_at desc, id desc',
      );
      const first = await list('contacts', {}, 1, 5);
      const second = await list('contacts', {}, 2, 5);
      expect(first.total).toBe(expected.length);
      expect([...first.data, ...second.data].map((row) => row.id)).toEqual(
        expected.slice(0, 10).map((row) => row.id),
      );
      // The API's search filter, as a variable.
      const one = expected[3]!.id;
      const [row] = await server.sql<{ email: string }>('select email from contact where id = $1', [one]);
      const found = await list('contacts', { search: row!.email });
      expect(found.data.map((contact) => contact.id)).toEqual([one]);

      const { recording, sent } = recordingProvider();
      const filtered = (filter: Record<string, unknown>) =>
        recording.getList('contacts', { pagination: { page: 1, perPage: 100 }, filter });
      // The company filter, by id: that company's contacts and no other.
      const [company] = await server.sql<{ company_id: string }>(
        `select company_id from contact where erased_at is null and company_id is not null
          group by company_id order by count(*) desc, company_id limit 1`,
      );
      expect(company).toBeDefined();
      const ofCompany = await server.sql<{ id: string }>(
        `select id from contact where erased_at is null and company_id = $1 order by created_at desc, id desc`,
        [company!.company_id],
      );
      expect(ofCompany.length).toBeGreaterThan(0);
      expect(ofCompany.length).toBeLessThan(expected.length);
      const byCompany = await filtered({ companyId: company!.company_id });
      expect(sent.at(-1)).toEqual({ first: 100, after: null, filter: { companyId: company!.company_id } });
      expect(byCompany.data.map((contact) => contact.id)).toEqual(ofCompany.map((contact) => contact.id));
      expect(byCompany.total).toBe(ofCompany.length);

      // The creation range: from one contact's instant (included) to a later one's (excluded), sent in UTC.
      const [from, to] = await server
        .sql<{ at: Date }>(
          `select created_at as at from contact where erased_at is null order by created_at desc, id desc`,
        )
        .then((rows) => [rows[12]!.at, rows[3]!.at]);
      const inRange = await server.sql<{ id: string }>(
        `select id from contact where erased_at is null and created_at >= $1 and created_at < $2
          order by created_at desc, id desc`,
        [from, to],
      );
      expect(inRange.length).toBeGreaterThan(0);
      expect(inRange.length).toBeLessThan(expected.length);
      const byTime = await filtered({ createdAfter: new Date(from!), createdBefore: new Date(to!) });
      expect(sent.at(-1)).toEqual({
        first: 100,
        after: null,
        filter: { createdAfter: new Date(from!).toISOString(), createdBefore: new Date(to!).toISOString() },
      });
      expect(String((sent.at(-1)!.filter as { createdAfter: string }).createdAfter)).toMatch(/Z$/);
      expect(byTime.data.map((contact) => contact.id)).toEqual(inRange.map((contact) => contact.id));
    },
    async getOne() {
      await officer();
      const contact = await freshContact();
      const { data } = await provider.getOne('contacts', { id: contact.id });
      expect(data).toMatchObject({ id: contact.id, fullName: contact.full_name, email: contact.email });
      expect(data.__redactions).toEqual({});
    },
    async update() {
      await as('support_agent', 'customer_support');
      const contact = await freshContact();
      const previousData = (await provider.getOne('contacts', { id: contact.id })).data;
      const fullName = `Renamed ${randomUUID().slice(0, 6)}`;
      const { data } = await provider.update('contacts', {
        id: contact.id,
        data: { ...previousData, fullName },
        previousData,
      });
      expect(data.fullName).toBe(fullName);
      const [row] = await server.sql<{ full_name: string; email: string }>(
        'select full_name, email from contact where id = $1',
        [contact.id],
      );
      expect(row).toEqual({ full_name: fullName, email: contact.email });
    },
  },
  companies: {
    async getList() {
      // Marketing: a purpose that may not know who works where still finds organisations by name.
      await as('marketer', 'marketing');
      const [target] = await server.sql<{ id: string; name: string }>(
        'select id, name from company order by name limit 1',
      );
      expect(target).toBeDefined();
      const part = target!.name.slice(0, 4);
      const expected = await server.sql<{ id: string }>(
        `select id from company where name ilike '%' || $1 || '%' order by name, id`,
        [part],
      );
      const all = await count('select count(*)::int as n from company');
      expect(expected.length).toBeLessThan(all);
      const { recording, sent } = recordingProvider();
      const found = await recording.getList('companies', {
        pagination: { page: 1, perPage: 100 },
        filter: { search: part },
      });
      expect(sent).toEqual([{ first: 100, after: null, search: part }]);
      expect(found.total).toBe(expected.length);
      expect(found.data.map((company) => company.id).sort()).toEqual(expected.map((row) => row.id).sort());
      expect(found.data.map((company) => company.id)).toContain(target!.id);
    },
    async getMany() {
      await as('marketer', 'marketing');
      const companies = await server.sql<{ id: string; name: string }>(
        'select id, name from company order by name limit 2',
      );
      expect(companies).toHaveLength(2);
      const { data } = await provider.getMany('companies', { ids: [companies[1]!.id, randomUUID()] });
      // The one asked for that exists, by its id and name; the unknown id is left out.
      expect(data.map((company) => [company.id, company.name])).toEqual([
        [companies[1]!.id, companies[1]!.name],
      ]);
    },
  },
  consents: {
    async create() {
      const version = await publishedNotice();
      const contact = await freshContact();
      const { data } = await provider.create('consents', {
        data: {
          contactId: contact.id,
          purpose: 'marketing',
          status: 'GRANTED',
          method: 'PHONE',
          noticeVersion: version,
          evidence: { source: 'call DP-1' },
        },
      });
      const [row] = await server.sql(
        'select id, status, method, notice_version, recorded_by from consent_event where contact_id = $1',
        [contact.id],
      );
      expect(row).toEqual({
        id: data.id,
        status: 'GRANTED',
        method: 'PHONE',
        notice_version: version,
        recorded_by: SUB,
      });
    },
    async getManyReference() {
      const contact = await consentedContact();
      await call('withdrawConsent', { contactId: contact, purpose: 'marketing', source: 'mail DP-2' });
      const expected = await server.sql<{ id: string; status: string }>(
        'select id, status from consent_event where contact_id = $1 order by seq',
        [contact],
      );
      expect(expected.map((row) => row.status)).toEqual(['GRANTED', 'WITHDRAWN']);
      const ledger = await provider.getManyReference('consents', {
        target: 'contactId',
        id: contact,
        pagination: { page: 1, perPage: 10 },
        sort: { field: 'seq', order: 'ASC' },
        filter: {},
      });
      expect(ledger.total).toBe(2);
      expect(ledger.data.map((event) => [event.id, event.status])).toEqual(
        expected.map((row) => [row.id, row.status]),
      );
    },
    async withdrawConsent() {
      const contact = await consentedContact();
      const { data } = await call<{ data: { id: string } }>('withdrawConsent', {
        contactId: contact,
        purpose: 'marketing',
        source: 'mail DP-3',
      });
      expect(await stateOf(contact)).toEqual({ marketing: 'WITHDRAWN' });
      const [event] = await server.sql('select status, method from consent_event where id = $1', [data.id]);
      expect(event).toEqual({ status: 'WITHDRAWN', method: 'ADMIN' });
    },
    async objectToProcessing() {
      await officer();
      const contact = await freshContact();
      await call('objectToProcessing', { contactId: contact.id, purpose: 'sales', source: 'letter DP-4' });
      expect(await stateOf(contact.id)).toEqual({ sales: 'OBJECTED' });
    },
  },
  consentStates: {
    async getManyReference() {
      const contact = await consentedContact();
      await call('objectToProcessing', { contactId: contact, purpose: 'sales', source: 'letter DP-5' });
      const states = await provider.getManyReference('consentStates', {
        target: 'contactId',
        id: contact,
        pagination: { page: 1, perPage: 10 },
        sort: { field: 'purpose', order: 'ASC' },
        filter: {},
      });
      const fromStates = Object.fromEntries(states.data.map((state) => [state.id, state.status]));
      expect(fromStates).toEqual(await stateOf(contact));
      expect(fromStates).toEqual({ marketing: 'GRANTED', sales: 'OBJECTED' });
    },
  },
  consentReceipts: {
    async getOne() {
      const contact = await consentedContact();
      const [event] = await server.sql<{ id: string; hash: string; notice_version: string }>(
        'select id, hash, notice_version from consent_event where contact_id = $1',
        [contact],
      );
      const { data } = await provider.getOne('consentReceipts', { id: event!.id });
      expect(data).toMatchObject({
        id: event!.id,
        eventHash: event!.hash.trim(),
        status: 'GRANTED',
        notice: { version: event!.notice_version },
      });
    },
  },
  privacyNotices: {
    async create() {
      await officer();
      const version = `dp-${randomUUID().slice(0, 8)}`;
      const text = 'A notice written by the dataProvider test.';
      const { data } = await provider.create('privacyNotices', { data: { version: ` ${version} `, text } });
      expect(data.id).toBe(version);
      const [row] = await server.sql('select text, text_sha256 from privacy_notice where version = $1', [
        version,
      ]);
      expect(row).toEqual({ text, text_sha256: createHash('sha256').update(text).digest('hex') });
    },
    async getList() {
      await publishedNotice();
      const expected = await server.sql<{ version: string }>(
        'select version from privacy_notice order by published_at desc, version desc',
      );
      const { data, total } = await list('privacyNotices');
      expect(total).toBe(expected.length);
      expect(data.map((notice) => notice.id).sort()).toEqual(expected.map((row) => row.version).sort());
    },
    async getOne() {
      const version = await publishedNotice();
      const [row] = await server.sql<{ text: string; text_sha256: string }>(
        'select text, text_sha256 from privacy_notice where version = $1',
        [version],
      );
      const { data } = await provider.getOne('privacyNotices', { id: version });
      expect(data).toMatchObject({ id: version, text: row!.text, textSha256: row!.text_sha256 });
    },
  },
  consentTools: {
    async importConsents() {
      await officer();
      const contact = await freshContact();
      const { data } = await call<{ data: { imported: number } }>('importConsents', {
        csv: `contact_id,purpose,status\n${contact.id},marketing,DENIED\n`,
      });
      expect(data).toEqual({ imported: 1 });
      const rows = await server.sql('select status, method from consent_event where contact_id = $1', [
        contact.id,
      ]);
      expect(rows).toEqual([{ status: 'DENIED', method: 'IMPORT' }]);
    },
    async verifyConsentLedger() {
      await officer();
      const events = await count('select count(*)::int as n from consent_event');
      const { data } = await call<{ data: { valid: boolean; events: number } }>('verifyConsentLedger', {});
      expect(data).toMatchObject({ valid: true, events });
      const contact = await consentedContact();
      const one = await call<{ data: { valid: boolean; events: number } }>('verifyConsentLedger', {
        contactId: ` ${contact} `,
      });
      expect(one.data).toMatchObject({ valid: true, events: 1 });
    },
  },
  interactions: {
    async getManyReference() {
      const contact = await contactWith('select 1 from interaction i where i.contact_id = c.id');
      const expected = await server.sql<{ id: string; subject: string }>(
        'select id, subject from interaction where contact_id = $1 order by occurred_at desc, id desc',
        [contact],
      );
      await relationPages('interactions', contact, expected);
    },
  },
  tickets: {
    async getManyReference() {
      const contact = await contactWith('select 1 from tickets.ticket t where t.requester_id = c.id');
      const expected = await server.sql<{ id: string; subject: string }>(
        'select id, subject from tickets.ticket where requester_id = $1 order by created_at desc, id desc',
        [contact],
      );
      await relationPages('tickets', contact, expected);
    },
  },
  auditEvents: {
    async getList() {
      const actor = await readAsNewActor();
      const expected = await server.sql<{ id: string }>('select id from audit_event where actor_sub = $1', [
        actor,
      ]);
      expect(expected.length).toBeGreaterThan(0);
      await officer();
      const { data, total } = await list('auditEvents', { actor });
      expect(total).toBe(expected.length);
      expect(data.map((event) => event.id).sort()).toEqual(expected.map((row) => row.id).sort());
      expect(data.every((event) => event.actor === actor)).toBe(true);
    },
    async getOne() {
      const actor = await readAsNewActor();
      // Straight from the trail, never listed first (a link or a reload of the event's page).
      const [row] = await server.sql<{ id: string; actor_sub: string; operation_type: string }>(
        'select id, actor_sub, operation_type from audit_event where actor_sub = $1 limit 1',
        [actor],
      );
      expect(row).toBeDefined();
      await officer();
      const { data: event } = await provider.getOne('auditEvents', { id: row!.id });
      expect({ id: event.id, actor_sub: event.actor, operation_type: event.operationType }).toEqual(row);
      // The same event as the list gives it (a list row also carries its redactions: none for compliance).
      const { data } = await list('auditEvents', { actor });
      const { __redactions: redactions, ...listed } = data.find((found) => found.id === row!.id) ?? {};
      expect(redactions).toEqual({});
      expect(event).toEqual(listed);
      expect((await caught(provider.getOne('auditEvents', { id: randomUUID() }))).status).toBe(404);
    },
  },
  auditAlerts: {
    async getList() {
      await alert();
      await officer();
      const expected = await server.sql<{ id: string }>("select id from audit_alert where status = 'OPEN'");
      const { data, total } = await list('auditAlerts', { status: 'OPEN' });
      expect(total).toBe(expected.length);
      expect(data.map((row) => row.id).sort()).toEqual(expected.map((row) => row.id).sort());
    },
    async acknowledgeAuditAlert() {
      const id = await alert();
      await officer();
      const { data } = await call<{ data: { status: string } }>('acknowledgeAuditAlert', { id });
      expect(data.status).toBe('ACKNOWLEDGED');
      const [row] = await server.sql('select status, acknowledged_by from audit_alert where id = $1', [id]);
      expect(row).toEqual({ status: 'ACKNOWLEDGED', acknowledged_by: SUB });
    },
    async verifyAuditLog() {
      await officer();
      await server.flushAudit();
      const before = await count('select count(*)::int as n from audit_event');
      const { data } = await call<{ data: { valid: boolean; events: number } }>('verifyAuditLog');
      await server.flushAudit();
      const after = await count('select count(*)::int as n from audit_event');
      expect(data.valid).toBe(true);
      expect(data.events).toBeGreaterThanOrEqual(before);
      expect(data.events).toBeLessThanOrEqual(after);
    },
  },
  auditRules: {
    async getList() {
      await officer();
      const expected = await server.sql<{ id: string }>('select id from audit_rule');
      const { data, total } = await list('auditRules');
      expect(total).toBe(expected.length);
      expect(data.map((rule) => rule.id).sort()).toEqual(expected.map((row) => row.id).sort());
    },
    async getOne() {
      await officer();
      const [row] = await server.sql<{ id: string; description: string; kind: string }>(
        'select id, description, kind from audit_rule order by id limit 1',
      );
      const { data } = await provider.getOne('auditRules', { id: row!.id });
      expect(data).toMatchObject({ id: row!.id, description: row!.description, kind: row!.kind });
    },
    async update() {
      await officer();
      const [row] = await server.sql<{ id: string }>('select id from audit_rule order by id limit 1');
      const previousData = (await provider.getOne('auditRules', { id: row!.id })).data;
      const description = `Checked by the dataProvider test ${randomUUID().slice(0, 6)}`;
      await provider.update('auditRules', {
        id: row!.id,
        data: { ...previousData, description },
        previousData,
      });
      const [after] = await server.sql('select description, updated_by from audit_rule where id = $1', [
        row!.id,
      ]);
      expect(after).toEqual({ description, updated_by: SUB });
    },
  },
  dashboard: {
    async consentTrend() {
      await officer();
      const trend = await call<{
        from: string;
        to: string;
        points: { start: string; purpose: string; granted: { value: number | null } }[];
      }>('consentTrend');
      expect(trend.points.length).toBeGreaterThan(0);
      for (const point of trend.points) {
        if (point.granted.value === null) continue;
        const n = await count(
          `select count(*)::int as n from consent_event where purpose = $1 and status = 'GRANTED'
             and recorded_at >= $2 and recorded_at < ($2::timestamptz + interval '1 month') and recorded_at < $3`,
          [point.purpose, point.start, trend.to],
        );
        expect(point.granted.value).toBe(n);
      }
    },
    async consentRates() {
      await officer();
      const rates = await call<{ minimumCell: number; liveContacts: { value: number | null } }>(
        'consentRates',
      );
      const live = await count('select count(*)::int as n from contact where erased_at is null');
      expect(live).toBeGreaterThanOrEqual(rates.minimumCell);
      expect(rates.liveContacts.value).toBe(live);
    },
    async alertSummary() {
      await alert();
      await officer();
      const summary = await call<{ open: number; acknowledged: number }>('alertSummary');
      expect(summary).toMatchObject({
        open: await count("select count(*)::int as n from audit_alert where status = 'OPEN'"),
        acknowledged: await count("select count(*)::int as n from audit_alert where status = 'ACKNOWLEDGED'"),
      });
    },
    async duplicateReviewSummary() {
      await duplicatePair();
      await officer();
      const summary = await call<{ open: number }>('duplicateReviewSummary');
      expect(summary.open).toBe(
        await count('select count(*)::int as n from contact_duplicate where resolved_at is null'),
      );
      expect(summary.open).toBeGreaterThan(0);
    },
  },
  contactDuplicates: {
    async getList() {
      await duplicatePair();
      await officer();
      const expected = await server.sql<{ id: string; contact_id: string; existing_contact_id: string }>(
        `select id, contact_id, existing_contact_id from contact_duplicate
          where resolved_at is null order by detected_at, id`,
      );
      const { data, total } = await list('contactDuplicates', { status: 'OPEN' });
      expect(total).toBe(expected.length);
      expect(
        data.map((pair) => [
          pair.id,
          (pair.contact as { id: string }).id,
          (pair.existingContact as { id: string }).id,
        ]),
      ).toEqual(expected.map((row) => [row.id, row.contact_id, row.existing_contact_id]));
    },
    async resolveContactDuplicate() {
      const pair = await duplicatePair();
      await officer();
      const { data } = await call<{ data: { resolution: string } }>('resolveContactDuplicate', {
        id: pair,
        resolution: 'SAME_PERSON',
      });
      expect(data.resolution).toBe('SAME_PERSON');
      const [row] = await server.sql(
        'select resolution, resolved_at is not null as resolved from contact_duplicate where id = $1',
        [pair],
      );
      expect(row).toEqual({ resolution: 'SAME_PERSON', resolved: true });
      // It has left the open pairs.
      const open = await list('contactDuplicates', { status: 'OPEN' }, 1, 100);
      expect(open.data.map((p) => p.id)).not.toContain(pair);
    },
  },
};

/** A contact with a marketing grant recorded through the dataProvider. */
async function consentedContact(): Promise<string> {
  const version = await publishedNotice();
  const contact = await freshContact();
  await provider.create('consents', {
    data: {
      contactId: contact.id,
      purpose: 'marketing',
      status: 'GRANTED',
      method: 'EMAIL',
      noticeVersion: version,
      evidence: { source: 'mail DP' },
    },
  });
  return contact.id;
}

async function stateOf(contact: string): Promise<Record<string, string>> {
  const rows = await server.sql<{ purpose: string; status: string }>(
    'select purpose, status from consent_state where contact_id = $1',
    [contact],
  );
  return Object.fromEntries(rows.map((row) => [row.purpose, row.status]));
}

/** A support agent of its own reads a page of contacts; its events are stored when this returns. */
async function readAsNewActor(): Promise<string> {
  const actor = `dp-agent-${randomUUID().slice(0, 8)}`;
  await as('support_agent', 'customer_support', actor);
  await list('contacts', {}, 1, 3);
  await server.flushAudit();
  return actor;
}

/** An open alert, as a monitoring rule raises it. */
async function alert(): Promise<string> {
  const id = randomUUID();
  await server.sql(
    `insert into audit_alert (id, rule_id, kind, actor_sub, purpose, fired_at, service, details)
     values ($1, 'dp-rule', 'DISTINCT_CONTACTS', 'someone', 'customer_support', now(), 'custos', '{}'::jsonb)`,
    [id],
  );
  return id;
}

/**
 * A pair as it arises: a contact objects to sales, then sales writes a new contact with its email (which sales may
 * not see, so the write goes through and is queued).
 */
async function duplicatePair(): Promise<string> {
  await officer();
  const hidden = await freshContact();
  await call('objectToProcessing', { contactId: hidden.id, purpose: 'sales', source: 'letter DP-6' });
  await as('sales_rep', 'sales');
  const data = await createAsSales(hidden.email);
  const [pair] = await server.sql<{ id: string }>(
    'select id from contact_duplicate where contact_id = $1 and existing_contact_id = $2',
    [data.id, hidden.id],
  );
  if (!pair) throw new Error('no pair was queued');
  return pair.id;
}

/** The console has no create of contacts: sales writes through the API, as a CRM would. */
async function createAsSales(email: string): Promise<{ id: string }> {
  const res = await server.gql<{ createContact: { id: string } }>(
    'mutation($input: CreateContactInput!) { createContact(input: $input) { id } }',
    { token: who!.token, purpose: 'sales', variables: { input: { fullName: 'Twin', email } } },
  );
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.createContact;
}

/** Every method the dataProvider answers, per resource, from the registry itself. */
function registeredMethods(): [string, string][] {
  const unused = () => {
    throw new Error('not called while listing methods');
  };
  const context: ResourceContext = {
    graphql: unused,
    pager: unused,
    purpose: () => undefined,
    assertAllowed: unused,
  };
  return RESOURCES.flatMap((module) =>
    [...Object.keys(module.handlers(context)), ...Object.keys(module.methods?.(context) ?? {})].map(
      (method) => [module.name, method] as [string, string],
    ),
  );
}

beforeAll(async () => {
  server = await startTestServer({ seedContacts: 30 });
  tickets = await startTicketsFor(server);
  gateway = await startPublicGateway(server, 'http://127.0.0.1', `${tickets.url}/graphql`);
  provider = createDataProvider({ url: `${gateway.url}/graphql`, credentials: () => who });
}, 120_000);
afterAll(async () => {
  await gateway?.close();
  await tickets?.stop();
  await server?.close();
});

describe('the dataProvider through the gateway, on PostgreSQL', () => {
  it('has a check for every method of every resource it registers, and no other', () => {
    const registered = registeredMethods().map(([resource, method]) => `${resource}.${method}`);
    const checked = Object.entries(CHECKS).flatMap(([resource, methods]) =>
      Object.keys(methods).map((method) => `${resource}.${method}`),
    );
    expect(registered.length).toBeGreaterThan(20);
    expect(checked.sort()).toEqual(registered.sort());
  });

  it.each(registeredMethods())('%s: %s', async (resource, method) => {
    const check = CHECKS[resource]?.[method];
    expect(check, `no check for ${resource}.${method}`).toBeDefined();
    await check!();
  });
});

describe('redaction', () => {
  it('gives a restricted contact to customer support with its personal fields redacted, and the reason', async () => {
    const contact = await freshContact();
    await server.sql('update contact set restricted = true where id = $1', [contact.id]);
    await as('support_agent', 'customer_support');
    const { data } = await provider.getOne('contacts', { id: contact.id });
    expect(data).toMatchObject({ id: contact.id, fullName: null, email: null, restricted: true });
    expect(data.__redactions).toMatchObject({
      fullName: 'PROCESSING_RESTRICTED',
      email: 'PROCESSING_RESTRICTED',
    });
    // The same contact for compliance: every value, nothing redacted.
    await officer();
    const full = await provider.getOne('contacts', { id: contact.id });
    expect(full.data).toMatchObject({ fullName: contact.full_name, email: contact.email });
    expect(full.data.__redactions).toEqual({});
  });

  it('lists contacts for administration with every personal field the policy closes to it redacted', async () => {
    // The premise, from the policy: administration never sees a contact's name or email.
    expect(fieldVisibility('administration', 'Contact.fullName')).toBe('never');
    expect(fieldVisibility('administration', 'Contact.email')).toBe('never');
    await as('admin', 'administration');
    const { data, total } = await list('contacts', {}, 1, 5);
    expect(total).toBe(await count('select count(*)::int as n from contact where erased_at is null'));
    expect(data).toHaveLength(5);
    for (const row of data) {
      expect(row).toMatchObject({ fullName: null, email: null });
      expect(row.__redactions).toMatchObject({
        fullName: 'PURPOSE_NOT_ALLOWED',
        email: 'PURPOSE_NOT_ALLOWED',
      });
    }
  });
});

describe('errors', () => {
  it('a purpose the token’s roles do not hold: HttpError 403 with the server’s message and code', async () => {
    const token = await server.token(['marketer'], SUB);
    who = { token, purpose: 'compliance' };
    const query = 'query($first: Int!) { contacts(first: $first) { totalCount } }';
    // The gateway's own answer to that request, sent without the dataProvider.
    const response = await fetch(`${gateway!.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'x-purpose': 'compliance',
      },
      body: JSON.stringify({ query, variables: { first: 1 } }),
    });
    const direct = {
      status: response.status,
      body: (await response.json()) as { errors?: { message: string; extensions?: { code?: string } }[] },
    };
    const [serverError] = direct.body.errors ?? [];
    expect(direct.status).toBe(403);
    expect(serverError?.extensions?.code).toBe('FORBIDDEN');
    const error = await caught(list('contacts'));
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(403);
    expect(error.message).toBe(`${serverError!.message} (FORBIDDEN)`);
    expect(error.body).toMatchObject({ code: 'FORBIDDEN', message: serverError!.message });
  });

  it('a contact that is not there: 404; a review resolved twice: 409 with the server’s message', async () => {
    await officer();
    expect((await caught(provider.getOne('contacts', { id: randomUUID() }))).status).toBe(404);
    const pair = await duplicatePair();
    await officer();
    await call('resolveContactDuplicate', { id: pair, resolution: 'DISTINCT_PEOPLE' });
    const again = await caught(call('resolveContactDuplicate', { id: pair, resolution: 'SAME_PERSON' }));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('CONFLICT');
    expect(again.message).toMatch(/already resolved \(CONFLICT\)$/);
    const [row] = await server.sql('select resolution from contact_duplicate where id = $1', [pair]);
    expect(row).toEqual({ resolution: 'DISTINCT_PEOPLE' });
  });

  it('signed out: 401', async () => {
    who = null;
    const error = await caught(list('contacts'));
    expect(error.status).toBe(401);
  });
});

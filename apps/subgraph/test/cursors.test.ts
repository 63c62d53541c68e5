import { CursorCodec } from '@custos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, type GqlResponse, startTestServer, type TestServer } from './support/harness.js';

/**
 * Cursors are opaque to clients (DESIGN.md, "Redaction semantics"): sealed under the server's key, bound to
 * their list and purpose; keys rotate by configuration. Expected rows come from SQL over the seeded data.
 */
let server: TestServer;
let officer: string;
const NEW = { id: 'k2026', secret: 'n'.repeat(40) };
const OLD = { id: 'k2025', secret: 'o'.repeat(40) };
const RETIRED = { id: 'k2024', secret: 'r'.repeat(40) };

beforeAll(async () => {
  server = await startTestServer({
    seedContacts: 40,
    env: { CURSOR_KEYS: `${NEW.id}:${NEW.secret},${OLD.id}:${OLD.secret}` },
  });
  officer = await server.token(['privacy_officer'], 'cursor-officer');
});
afterAll(() => server?.close());

interface Page {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { startCursor: string | null; endCursor: string | null; hasNextPage: boolean };
}
const PAGE = 'edges { cursor node { id } } pageInfo { startCursor endCursor hasNextPage }';

/** Live contacts (customer_support's rows), newest first: the order of `contacts`. */
async function liveContacts(): Promise<{ id: string; created_at: string }[]> {
  return server.sql(
    `select id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') as created_at
       from contact where erased_at is null order by created_at desc, id desc`,
  );
}

async function contactsPage(after: string | null, purpose = 'customer_support', first = 5) {
  const token = purpose === 'customer_support' ? undefined : officer;
  return server.gql<{ contacts: Page }>(
    `query($after: String) { contacts(first: ${first}, after: $after) { ${PAGE} } }`,
    { variables: { after }, purpose, ...(token ? { token } : {}) },
  );
}

/** One BAD_USER_INPUT naming `after` and the cursor rule, without the submitted cursor anywhere. */
function expectRefused(res: GqlResponse, cursor: string) {
  expect(res.status).toBe(200);
  expect(errorCode(res)).toBe('BAD_USER_INPUT');
  const problems = res.body.errors?.[0]?.extensions?.problems as { field: string; rule: string }[];
  expect(problems).toEqual([expect.objectContaining({ field: 'after', rule: 'cursor' })]);
  expect(res.text).not.toContain(cursor);
  expect(res.body.data?.contacts ?? null).toBeNull();
}

describe('opaque cursors', () => {
  it('carry no id or timestamp of their row, in any encoding, and are one opaque handle per row, list and purpose', async () => {
    const rows = (await liveContacts()).slice(0, 5);
    const first = await contactsPage(null);
    const again = await contactsPage(null);
    const page = first.body.data!.contacts;
    expect(page.edges.map((e) => e.node.id)).toEqual(rows.map((r) => r.id));
    // The page's start and end cursors are its first and last edge's, as Relay clients expect.
    expect(page.pageInfo.startCursor).toBe(page.edges[0]!.cursor);
    expect(page.pageInfo.endCursor).toBe(page.edges[4]!.cursor);
    const cursors = [
      ...page.edges.map((e) => e.cursor),
      page.pageInfo.startCursor!,
      page.pageInfo.endCursor!,
    ];
    expect(cursors).toHaveLength(7);
    for (const [index, cursor] of cursors.entries()) {
      const row = rows[index < 5 ? index : index === 5 ? 0 : 4]!;
      // Time-ordered keys take the enciphered form (shared/cursors.ts): `<key id>~<32 bytes>`.
      expect(cursor).toMatch(new RegExp(`^${NEW.id}~[A-Za-z0-9_-]{43}$`));
      const body = Buffer.from(cursor.slice(NEW.id.length + 1), 'base64url');
      const views = [cursor, body.toString('utf8'), body.toString('latin1'), body.toString('hex')];
      const secrets = [
        row.id,
        row.id.replaceAll('-', ''),
        row.created_at.slice(0, 19),
        row.created_at.slice(0, 10).replaceAll('-', ''),
      ];
      for (const view of views) for (const secret of secrets) expect(view).not.toContain(secret);
      expect(body.includes(Buffer.from(row.id.replaceAll('-', ''), 'hex'))).toBe(false);
    }
    // Deterministic: the same row's cursor is the same in the next answer (it tells no more than the row's id),
    // one per row, and another under another purpose (bound to list and purpose).
    const other = again.body.data!.contacts.edges.map((e) => e.cursor);
    expect(other).toEqual(page.edges.map((e) => e.cursor));
    expect(new Set(other).size).toBe(5);
    const underCompliance = (await contactsPage(null, 'compliance')).body.data!.contacts.edges;
    const sameRows = underCompliance.filter((e) => rows.some((r) => r.id === e.node.id));
    expect(sameRows.length).toBeGreaterThan(0);
    for (const edge of sameRows) expect(other).not.toContain(edge.cursor);
  });

  it('page on, each cursor leading to the rows after its own', async () => {
    const rows = await liveContacts();
    const page = (await contactsPage(null)).body.data!.contacts;
    const fromEdge = (await contactsPage(page.edges[2]!.cursor)).body.data!.contacts;
    expect(fromEdge.edges.map((e) => e.node.id)).toEqual(rows.slice(3, 8).map((r) => r.id));
    const fromEnd = (await contactsPage(page.pageInfo.endCursor)).body.data!.contacts;
    expect(fromEnd.edges.map((e) => e.node.id)).toEqual(rows.slice(5, 10).map((r) => r.id));
  });

  it('refuse a tampered, truncated, extended, foreign-key or unknown-key cursor, never echoing it', async () => {
    const cursor = (await contactsPage(null)).body.data!.contacts.pageInfo.endCursor!;
    const [id, body] = cursor.split('~') as [string, string];
    expect(body).toHaveLength(43);
    const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
    const rows = await liveContacts();
    // The same sort key, sealed under a key this server does not hold, once named like its own.
    const plaintext = JSON.stringify([`${rows[4]!.created_at}Z`, rows[4]!.id]);
    const foreign = new CursorCodec([{ id: NEW.id, secret: 'f'.repeat(40) }]).bind(
      'Query.contacts',
      'customer_support',
    );
    const retired = new CursorCodec([RETIRED]).bind('Query.contacts', 'customer_support');
    const key: [string, string] = [`${rows[4]!.created_at.slice(0, 23)}Z`, rows[4]!.id];
    const forged = [
      // Every character of the enciphered record changed in turn (the last one's unused bits too).
      ...[...body].map((_, at) => `${id}~${flip(body, at)}`),
      `${id}~${body.slice(0, -4)}`, // truncated
      `${id}~${body.slice(0, 20)}`,
      `${id}~${body}AAAA`,
      `${OLD.id}~${body}`, // another of its keys
      `${id}.${body}`, // the other form's separator
      body,
      `${id}~`,
      `${id}.`,
      foreign.seal(plaintext),
      foreign.sealKeys([key])[0]!,
      retired.seal(plaintext),
      retired.sealKeys([key])[0]!,
      Buffer.from(plaintext).toString('base64url'), // the old, readable format
      `${id}.${'A'.repeat(500)}`,
      `${id}~${'A'.repeat(500)}`,
    ];
    // The foreign and retired ones are cursors of that list in the enciphered form, not malformed strings.
    expect(foreign.sealKeys([key])[0]).toMatch(new RegExp(`^${NEW.id}~[A-Za-z0-9_-]{43}$`));
    for (const bad of forged) expectRefused(await contactsPage(bad), bad);
  });

  it('are bound to their list and purpose: replayed in another list or under another purpose, refused', async () => {
    const [company] = await server.sql<{ id: string }>(
      `select company_id as id from contact where company_id is not null and erased_at is null
        group by company_id having count(*) >= 2 limit 1`,
    );
    const nested = await server.gql<{ company: { contacts: Page } }>(
      `query($id: ID!) { company(id: $id) { contacts(first: 1) { ${PAGE} } } }`,
      { variables: { id: company!.id } },
    );
    const nestedCursor = nested.body.data!.company.contacts.pageInfo.endCursor!;
    expectRefused(await contactsPage(nestedCursor), nestedCursor);
    const rootCursor = (await contactsPage(null)).body.data!.contacts.pageInfo.endCursor!;
    const inNested = await server.gql(
      'query($id: ID!, $a: String) { company(id: $id) { contacts(first: 1, after: $a) { totalCount } } }',
      { variables: { id: company!.id, a: rootCursor } },
    );
    expect(errorCode(inNested)).toBe('BAD_USER_INPUT');
    expect(inNested.text).not.toContain(rootCursor);
    // The same list, another purpose (the officer may declare both): refused under the one it was not issued for.
    expectRefused(await contactsPage(rootCursor, 'compliance'), rootCursor);
    const complianceCursor = (await contactsPage(null, 'compliance')).body.data!.contacts.pageInfo.endCursor!;
    const officerSupport = await server.gql('query($a: String) { contacts(after: $a) { totalCount } }', {
      token: officer,
      purpose: 'customer_support',
      variables: { a: complianceCursor },
    });
    expectRefused(officerSupport, complianceCursor);
    // Its own list and purpose: accepted.
    expect((await contactsPage(complianceCursor, 'compliance')).body.errors).toBeUndefined();
  });

  it('rotate: the first key seals, an older one still opens, a removed one does not', async () => {
    const rows = await liveContacts();
    const plaintext = JSON.stringify([`${rows[1]!.created_at}Z`, rows[1]!.id]);
    const old = new CursorCodec([OLD]).bind('Query.contacts', 'customer_support').seal(plaintext);
    expect(old.startsWith(`${OLD.id}.`)).toBe(true);
    const page = await contactsPage(old);
    expect(page.body.errors).toBeUndefined();
    expect(page.body.data!.contacts.edges.map((e) => e.node.id)).toEqual(rows.slice(2, 7).map((r) => r.id));
    for (const edge of page.body.data!.contacts.edges)
      expect(edge.cursor.startsWith(`${NEW.id}~`)).toBe(true);
    // The enciphered form of an older key opens too.
    const key: [string, string] = [`${rows[1]!.created_at.slice(0, 23)}Z`, rows[1]!.id];
    const oldFast = new CursorCodec([OLD]).bind('Query.contacts', 'customer_support').sealKeys([key])[0]!;
    expect(oldFast.startsWith(`${OLD.id}~`)).toBe(true);
    const fromOldFast = await contactsPage(oldFast);
    expect(fromOldFast.body.errors).toBeUndefined();
    expect(fromOldFast.body.data!.contacts.edges.map((e) => e.node.id)).toEqual(
      rows.slice(2, 7).map((r) => r.id),
    );
    const retired = new CursorCodec([RETIRED]).bind('Query.contacts', 'customer_support').seal(plaintext);
    expectRefused(await contactsPage(retired), retired);
  });
});

/**
 * Every row a response reaches is an access (DESIGN.md), whatever was selected of it: a cursor, `__typename`,
 * an entity. Each shape runs as its own actor; the stored event must name exactly the contacts computed from
 * the data, and a query that reaches none writes none.
 */
describe('every row a response reaches is audited', () => {
  const EVENTS = `query Events($actor: String) { auditEvents(actor: $actor, first: 10) {
    nodes { outcome accesses { channel revealedFields redactedFields contactIds } } } }`;
  interface Stored {
    outcome: string;
    accesses: { channel: string; revealedFields: string[]; redactedFields: string[]; contactIds: string[] }[];
  }
  let actorSeq = 0;

  /** Runs `query` as a fresh actor; answers the events stored for it. */
  async function audited(
    query: string,
    variables: Record<string, unknown> = {},
    purpose = 'customer_support',
  ) {
    actorSeq += 1;
    const actor = `reach-${actorSeq}`;
    const role = purpose === 'sales' ? 'sales_rep' : 'support_agent';
    const res = await server.gql(query, { token: await server.token([role], actor), purpose, variables });
    expect(res.body.errors).toBeUndefined();
    const events = await server.gql<{ auditEvents: { nodes: Stored[] } }>(EVENTS, {
      token: officer,
      purpose: 'compliance',
      variables: { actor },
    });
    expect(events.body.errors).toBeUndefined();
    return { res, events: events.body.data!.auditEvents.nodes };
  }

  /** Exactly one event, whose accesses name exactly `ids` through `channel`, revealing no field. */
  function expectReached(events: Stored[], ids: readonly string[], channel = 'QUERY') {
    expect(ids.length).toBeGreaterThan(0);
    expect(events).toHaveLength(1);
    expect(events[0]!.outcome).toBe('OK');
    expect(events[0]!.accesses.map((a) => [a.channel, a.revealedFields, a.redactedFields])).toEqual([
      [channel, [], []],
    ]);
    expect([...events[0]!.accesses[0]!.contactIds].sort()).toEqual([...ids].sort());
  }

  const newest = async (n: number) => (await liveContacts()).slice(0, n).map((row) => row.id);

  it('edges { cursor }, nodes { __typename }, edges { node { __typename } }: the page', async () => {
    const page = await newest(5);
    for (const selection of ['edges { cursor }', 'nodes { __typename }', 'edges { node { __typename } }']) {
      const { events } = await audited(`{ contacts(first: 5) { ${selection} } }`);
      expectReached(events, page);
    }
  });

  it('pageInfo { startCursor } and { endCursor }: the row each cursor names', async () => {
    const page = await newest(5);
    expectReached((await audited('{ contacts(first: 5) { pageInfo { startCursor } } }')).events, [page[0]!]);
    expectReached((await audited('{ contacts(first: 5) { pageInfo { endCursor } } }')).events, [page[4]!]);
  });

  it('a count, hasNextPage or bare edges reach no row: no event', async () => {
    const { res, events } = await audited(
      '{ contacts(first: 5) { totalCount pageInfo { hasNextPage } edges { __typename } } }',
    );
    expect((res.body.data as { contacts: { totalCount: number } }).contacts.totalCount).toBe(
      (await liveContacts()).length,
    );
    expect(events).toEqual([]);
  });

  it('contact(id) { __typename } and interaction(id) { __typename }: the contact', async () => {
    const [someone] = await newest(1);
    expectReached(
      (await audited('query($id: ID!) { contact(id: $id) { __typename } }', { id: someone })).events,
      [someone!],
    );
    const [interaction] = await server.sql<{ id: string; contact_id: string }>(
      `select i.id, i.contact_id from interaction i join contact c on c.id = i.contact_id
        where c.erased_at is null order by i.id limit 1`,
    );
    expectReached(
      (await audited('query($id: ID!) { interaction(id: $id) { __typename } }', { id: interaction!.id }))
        .events,
      [interaction!.contact_id],
    );
  });

  it('_entities { __typename }: each entity resolved, not the ones that resolve to null', async () => {
    const visible = await newest(2);
    const representations = [
      ...visible.map((id) => ({ __typename: 'Contact', id })),
      { __typename: 'Contact', id: '30000000-0000-4000-8000-00000000dead' },
    ];
    const { res, events } = await audited(
      'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }',
      { r: representations },
    );
    expect((res.body.data as { _entities: unknown[] })._entities).toEqual([
      { __typename: 'Contact' },
      { __typename: 'Contact' },
      null,
    ]);
    expectReached(events, visible, 'ENTITIES');
  });

  it('nested lists: a company’s contacts by their cursors', async () => {
    const [company] = await server.sql<{ id: string }>(
      `select company_id as id from contact where company_id is not null and erased_at is null
        group by company_id order by count(*) desc limit 1`,
    );
    const members = await server.sql<{ id: string }>(
      'select id from contact where company_id = $1 and erased_at is null',
      [company!.id],
    );
    expect(members.length).toBeGreaterThan(1);
    const { events } = await audited(
      'query($id: ID!) { company(id: $id) { name contacts(first: 50) { edges { cursor } } } }',
      { id: company!.id },
    );
    expectReached(
      events,
      members.map((m) => m.id),
    );
  });

  it("a person's consent history by its cursors: that person", async () => {
    const [person] = await server.sql<{ contact_id: string }>(
      `select e.contact_id from consent_event e join contact c on c.id = e.contact_id
        where c.erased_at is null group by e.contact_id order by count(*) desc, e.contact_id limit 1`,
    );
    const { events } = await audited(
      'query($id: ID!) { consentHistory(contactId: $id) { edges { cursor } } }',
      { id: person!.contact_id },
    );
    expectReached(events, [person!.contact_id]);
  });

  it('a row the purpose may not see is not reached: null and no event', async () => {
    const [hidden] = await newest(1);
    await server.sql('update contact set restricted = true where id = $1', [hidden]);
    try {
      const { res, events } = await audited(
        'query($id: ID!) { contact(id: $id) { __typename } }',
        { id: hidden },
        'sales',
      );
      expect((res.body.data as { contact: unknown }).contact).toBeNull();
      expect(events).toEqual([]);
    } finally {
      await server.sql('update contact set restricted = false where id = $1', [hidden]);
    }
  });
});

describe('the cursor codec', () => {
  const codec = new CursorCodec([NEW, OLD]);
  const contacts = codec.bind('Query.contacts', 'customer_support');
  const fast = /^k2026~[A-Za-z0-9_-]{43}$/;
  const sealedForm = /^k2026\.[A-Za-z0-9_-]+$/;

  it('enciphers time-ordered keys exactly as PostgreSQL formats them, and seals every other key with AES-GCM', () => {
    const keys: [string, string][] = [
      ['2026-11-22T10:00:00.123Z', '0b7e2a40-1111-4222-8333-944445555666'],
      ['0001-01-01T00:00:00.000Z', '00000000-0000-0000-0000-000000000000'],
      ['9999-12-31T23:59:59.999Z', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
      // Not in the packed form: microseconds, an upper-case UUID, another key (a notice version), a short time.
      ['2026-11-22T10:00:00.123456Z', '0b7e2a40-1111-4222-8333-944445555666'],
      ['2026-11-22T10:00:00.123Z', '0B7E2A40-1111-4222-8333-944445555666'],
      ['2026-11-22T10:00:00.123Z', '2026-01'],
      ['2026-11-22T10:00:00Z', '0b7e2a40-1111-4222-8333-944445555666'],
    ];
    const sealed = contacts.sealKeys(keys);
    expect(sealed.slice(0, 3).every((cursor) => fast.test(cursor))).toBe(true);
    expect(sealed.slice(3).every((cursor) => sealedForm.test(cursor))).toBe(true);
    // Each opens to exactly its key, character for character.
    expect(sealed.map((cursor) => JSON.parse(contacts.open('after', cursor)))).toEqual(keys);
    // One at a time or in a page: the same cursor.
    expect(contacts.sealKeys([keys[0]!])).toEqual([sealed[0]]);
  });

  it('opens an enciphered cursor only for its list and purpose', () => {
    const key: [string, string] = ['2026-11-22T10:00:00.123Z', '0b7e2a40-1111-4222-8333-944445555666'];
    const cursor = contacts.sealKeys([key])[0]!;
    for (const [list, purpose] of [
      ['Query.contacts', 'sales'],
      ['Company.contacts', 'customer_support'],
      ['Contact.interactions', 'customer_support'],
    ] as const) {
      expect(() => codec.bind(list, purpose).open('after', cursor)).toThrow(/not a cursor this API issued/);
    }
    expect(JSON.parse(contacts.open('after', cursor))).toEqual(key);
  });
});

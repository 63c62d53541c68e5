import { PURPOSE_DEFINITIONS } from '@custos/policy';
import { HttpError } from 'react-admin';
import { describe, expect, it } from 'vitest';
import { choosePurpose, startSession } from '../src/auth/session';
import { createDataProvider } from '../src/data/dataProvider';
import { type Call, fakeToken, json, recordingFetch } from './support';

const signedInAs = (role: 'support_agent' | 'privacy_officer' | 'marketer') => {
  const token = fakeToken({ sub: 'alice', roles: [role] });
  startSession(token);
  return token;
};

const page = (ids: string[], endCursor: string | null, hasNextPage: boolean, totalCount = 60) =>
  json({
    data: {
      contacts: {
        totalCount,
        pageInfo: { hasNextPage, endCursor },
        edges: ids.map((id) => ({ node: { id, fullName: `name ${id}`, email: null, country: 'FR' } })),
      },
    },
  });

const sent = (call: Call | undefined) =>
  (call?.body ?? {}) as { query?: string; variables?: Record<string, unknown> };
const variables = (call: Call | undefined) => sent(call).variables;
const document = (call: Call | undefined) => sent(call).query ?? '';

describe('requests', () => {
  it('POSTs one document with variables, the bearer token and the declared purpose', async () => {
    const token = signedInAs('privacy_officer');
    choosePurpose('customer_support');
    const { fetch, calls } = recordingFetch([() => page(['c1'], 'cursor-1', true)]);
    const search = 'O\'Brien" } evil { ';
    await createDataProvider({ fetch }).getList('contacts', {
      pagination: { page: 1, perPage: 25 },
      sort: { field: 'id', order: 'ASC' },
      filter: { search, ignored: 'x' },
    });
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.url).toBe('/graphql');
    expect(call?.init.method).toBe('POST');
    expect(call?.headers.get('authorization')).toBe(`Bearer ${token}`);
    expect(call?.headers.get('x-purpose')).toBe('customer_support');
    expect(variables(call)).toEqual({ first: 25, after: null, filter: { search: search.trim() } });
    // The search text travels as a variable only: the document is the same whatever is searched.
    expect(document(call)).not.toContain('Brien');
    expect(document(call)).toMatch(
      /query ConsoleContacts\(\$first: Int!, \$after: String, \$filter: ContactFilter\)/,
    );
  });

  it('sends every filter of ContactFilter as variables: the company by id, the creation range in UTC', async () => {
    signedInAs('privacy_officer');
    const { fetch, calls } = recordingFetch([
      () => page(['c1'], null, false, 1),
      () => page([], null, false, 0),
    ]);
    const provider = createDataProvider({ fetch });
    // What the inputs hold: the range typed in the user's time zone (a date-time input's value), or a Date.
    const after = '2026-01-01T09:30';
    const before = new Date(Date.UTC(2026, 1, 1, 18, 0));
    await provider.getList('contacts', {
      pagination: { page: 1, perPage: 25 },
      filter: {
        search: ' ann ',
        country: 'FR',
        companyId: 'co-1',
        createdAfter: after,
        createdBefore: before,
      },
    });
    expect(variables(calls[0])).toEqual({
      first: 25,
      after: null,
      filter: {
        search: 'ann',
        country: 'FR',
        companyId: 'co-1',
        createdAfter: new Date(after).toISOString(),
        createdBefore: '2026-02-01T18:00:00.000Z',
      },
    });
    const sentFilter = variables(calls[0])?.filter as { createdAfter?: string } | undefined;
    expect(sentFilter?.createdAfter).toMatch(/Z$/);
    // Empty or unreadable values are no filter: nothing is sent for them.
    await provider.getList('contacts', {
      pagination: { page: 1, perPage: 25 },
      filter: { companyId: ' ', createdAfter: 'not a date', createdBefore: '' },
    });
    expect(variables(calls[1])).toEqual({ first: 25, after: null });
    expect(document(calls[1])).toBe(document(calls[0]));
  });

  it('finds companies by name, and those of given ids one by one, leaving out an id the API does not know', async () => {
    signedInAs('marketer');
    const acme = { id: 'co-1', name: 'Acme', domain: null, country: 'FR' };
    const { fetch, calls } = recordingFetch([
      () =>
        json({
          data: {
            companies: {
              totalCount: 1,
              pageInfo: { hasNextPage: false, endCursor: 'x' },
              edges: [{ node: acme }],
            },
          },
        }),
      () => json({ data: { company: acme } }),
      () => json({ data: { company: null } }),
    ]);
    const provider = createDataProvider({ fetch });
    const found = await provider.getList('companies', {
      pagination: { page: 1, perPage: 25 },
      filter: { search: 'acm' },
    });
    expect(found.data.map((company) => company.name)).toEqual(['Acme']);
    expect(variables(calls[0])).toEqual({ first: 25, after: null, search: 'acm' });
    expect(document(calls[0])).toMatch(/companies\(first: \$first, after: \$after, search: \$search\)/);
    const many = await provider.getMany('companies', { ids: ['co-1', 'co-gone'] });
    expect(many.data).toEqual([acme]);
    expect(calls.slice(1).map((call) => variables(call))).toEqual([{ id: 'co-1' }, { id: 'co-gone' }]);
    // No other resource answers getMany: 501, without a request.
    const refused = await provider.getMany('contacts', { ids: ['c1'] }).catch((e: unknown) => e);
    expect((refused as HttpError).status).toBe(501);
    expect(calls).toHaveLength(3);
  });

  it('answers 401 without calling the server when nobody is signed in', async () => {
    const { fetch, calls } = recordingFetch([]);
    const error = await createDataProvider({ fetch })
      .getOne('contacts', { id: 'c1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(401);
    expect(calls).toHaveLength(0);
  });
});

describe('what the purpose may not do', () => {
  it('is refused with a 403 before any request reaches the gateway', async () => {
    const token = fakeToken({ sub: 'alice', roles: ['analyst'] });
    startSession(token);
    const { fetch, calls } = recordingFetch([]);
    const provider = createDataProvider({ fetch });
    const refusals = await Promise.all([
      provider
        .getList('contacts', { pagination: { page: 1, perPage: 10 }, filter: {} })
        .catch((e: unknown) => e),
      provider.getOne('contacts', { id: 'c1' }).catch((e: unknown) => e),
      provider
        .update('contacts', { id: 'c1', data: { id: 'c1' }, previousData: { id: 'c1' } })
        .catch((e: unknown) => e),
    ]);
    expect(refusals.map((e) => (e as HttpError).status)).toEqual([403, 403, 403]);
    expect(calls).toHaveLength(0);
  });
});

describe('cursor pagination', () => {
  it('keeps the cursor of each page reached, and skips to an unvisited page with one cursor-only request', async () => {
    signedInAs('privacy_officer');
    const { fetch, calls } = recordingFetch([
      () => page(['a1', 'a2'], 'after-page-1', true),
      () => page(['b1', 'b2'], 'after-page-2', true),
      () => page(['a1', 'a2'], 'after-page-1', true),
      () =>
        json({
          data: { contacts: { totalCount: 60, pageInfo: { hasNextPage: true, endCursor: 'after-4' } } },
        }),
      () => page(['e1', 'e2'], 'after-page-5', true),
    ]);
    const provider = createDataProvider({ fetch });
    const list = (n: number) =>
      provider.getList('contacts', { pagination: { page: n, perPage: 2 }, filter: {} });
    const first = await list(1);
    expect(first.data.map((r) => r.id)).toEqual(['a1', 'a2']);
    expect(first.total).toBe(60);
    await list(2);
    expect(variables(calls[1])).toEqual({ first: 2, after: 'after-page-1' });
    await list(1);
    expect(variables(calls[2])).toEqual({ first: 2, after: null });
    // Page 5 from page 2: the rows of pages 3 and 4 are skipped in one request that asks for no row's data.
    const fifth = await list(5);
    expect(variables(calls[3])).toEqual({ first: 4, after: 'after-page-2' });
    expect(document(calls[3])).not.toMatch(/fullName|email|node/);
    expect(variables(calls[4])).toEqual({ first: 2, after: 'after-4' });
    expect(fifth.data.map((r) => r.id)).toEqual(['e1', 'e2']);
    expect(calls).toHaveLength(5);
  });

  it('keeps the cursors of each purpose apart', async () => {
    signedInAs('privacy_officer');
    const { fetch, calls } = recordingFetch([
      () => page(['a1'], 'compliance-1', true),
      () => page(['s1'], 'support-1', true),
      () => page(['s2'], 'support-2', true),
    ]);
    const provider = createDataProvider({ fetch });
    const list = (n: number) =>
      provider.getList('contacts', { pagination: { page: n, perPage: 1 }, filter: {} });
    choosePurpose('compliance');
    await list(1);
    choosePurpose('customer_support');
    await list(1);
    await list(2);
    expect(variables(calls[2])).toEqual({ first: 1, after: 'support-1' });
    expect(calls[2]?.headers.get('x-purpose')).toBe('customer_support');
  });
});

describe('errors', () => {
  it('put each BAD_USER_INPUT problem under its field for the form, and UNAUTHENTICATED answers 401', async () => {
    signedInAs('privacy_officer');
    const { fetch } = recordingFetch([
      () =>
        json({
          errors: [
            {
              message: 'email: must be an email address',
              extensions: {
                code: 'BAD_USER_INPUT',
                problems: [{ field: 'email', rule: 'email', message: 'must be an email address' }],
              },
            },
          ],
        }),
      () => json({ errors: [{ message: 'token expired', extensions: { code: 'UNAUTHENTICATED' } }] }, 401),
    ]);
    const provider = createDataProvider({ fetch });
    const invalid = (await provider
      .update('contacts', {
        id: 'c1',
        data: { id: 'c1', email: 'nope' },
        previousData: { id: 'c1', email: 'a@b.c' },
      })
      .catch((e: unknown) => e)) as HttpError;
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.email).toBe('must be an email address');
    expect(invalid.body.errors.root.serverError).toBe('email: must be an email address (BAD_USER_INPUT)');
    const expired = (await provider.getOne('contacts', { id: 'c1' }).catch((e: unknown) => e)) as HttpError;
    expect(expired.status).toBe(401);
  });
});

describe('update', () => {
  it('sends only changed fields the purpose may write, never one that came back redacted', async () => {
    signedInAs('support_agent');
    const support = PURPOSE_DEFINITIONS.customer_support.fields as readonly string[];
    // The premises, from the policy: support may write the name and phone but not the health notes.
    expect(support).toContain('Contact.fullName');
    expect(support).toContain('Contact.phone');
    expect(support).not.toContain('Contact.healthNotes');
    const { fetch, calls } = recordingFetch([
      () => json({ data: { updateContact: { id: 'c1', fullName: 'New', phone: null } } }),
    ]);
    const previousData = {
      id: 'c1',
      fullName: 'Old',
      email: 'same@example.test',
      phone: null,
      healthNotes: null,
      __redactions: { phone: 'PROCESSING_RESTRICTED', healthNotes: 'SPECIAL_CATEGORY' },
    };
    const result = await createDataProvider({ fetch }).update('contacts', {
      id: 'c1',
      data: { ...previousData, fullName: 'New', phone: '', healthNotes: 'x' },
      previousData,
    });
    expect(variables(calls[0])).toEqual({ id: 'c1', input: { fullName: 'New' } });
    expect(document(calls[0])).toMatch(/mutation ConsoleUpdateContact/);
    expect(result.data).toMatchObject({ id: 'c1', fullName: 'New', __redactions: {} });
  });

  it('leaves out an address form left blank, and sends a changed address whole', async () => {
    signedInAs('support_agent');
    const { fetch, calls } = recordingFetch([
      () => json({ data: { updateContact: { id: 'c1' } } }),
      () => json({ data: { updateContact: { id: 'c1' } } }),
    ]);
    const provider = createDataProvider({ fetch });
    const blank = { street: null, city: '', postalCode: undefined, country: null };
    const previousData = { id: 'c1', fullName: 'Ann', address: null, __redactions: {} };
    await provider.update('contacts', {
      id: 'c1',
      data: { ...previousData, fullName: 'Anne', address: blank },
      previousData,
    });
    expect(variables(calls[0])).toEqual({ id: 'c1', input: { fullName: 'Anne' } });
    const lived = { street: '1 Main St', city: 'Lyon', postalCode: '69001', country: 'FR' };
    await provider.update('contacts', {
      id: 'c1',
      data: { ...previousData, address: { ...lived, city: 'Paris', postalCode: '' } },
      previousData: { ...previousData, address: lived },
    });
    expect(variables(calls[1])).toEqual({
      id: 'c1',
      input: { address: { street: '1 Main St', city: 'Paris', postalCode: null, country: 'FR' } },
    });
  });
});

import type { Purpose } from '@custos/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  errorCode,
  type GqlResponse,
  setConsentState,
  startTestServer,
  type TestServer,
} from './support/harness.js';

/**
 * Email uniqueness is no existence oracle: whether a write answers CONFLICT depends only on contacts and
 * emails the writer's purpose may read. A collision with a hidden person goes through as if the email were
 * free and lands in the privacy officer's review queue.
 */
let server: TestServer;
let tokens: { sales: string; support: string; officer: string };

const CREATE = `mutation C($input: CreateContactInput!) { createContact(input: $input) { id email fullName } }`;
const UPDATE = `mutation U($id: ID!, $input: UpdateContactInput!) {
  updateContact(id: $id, input: $input) { id email } }`;
const QUEUE = `query Q($status: DuplicateStatus, $first: Int, $after: String) {
  contactDuplicates(status: $status, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id detectedForPurpose detectedAt resolution resolvedAt contact { id email } existingContact { id email } }
  } }`;
const RESOLVE = `mutation R($id: ID!, $resolution: DuplicateResolution!) {
  resolveContactDuplicate(id: $id, resolution: $resolution) { id resolution resolvedAt } }`;

interface QueueNode {
  id: string;
  detectedForPurpose: string;
  resolution: string | null;
  resolvedAt: string | null;
  contact: { id: string; email: string } | null;
  existingContact: { id: string; email: string } | null;
}
type Queue = {
  contactDuplicates: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: QueueNode[];
  };
};

let counter = 0;
/** A contact inserted directly, in a given privacy state. */
async function fixture(state: { restricted?: boolean; objectedTo?: Purpose } = {}) {
  counter += 1;
  const id = `20000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  const email = `hidden-${counter}-${Date.now()}@example.org`;
  await server.sql(
    `insert into contact (id, full_name, email, restricted, created_at, updated_at)
     values ($1, 'Hidden Person', $2, $3, now(), now())`,
    [id, email, state.restricted ?? false],
  );
  if (state.objectedTo) await setConsentState(server, id, state.objectedTo, 'OBJECTED');
  return { id, email };
}

const freshEmail = () => `fresh-${++counter}-${Date.now()}@example.net`;

/** What a writer sees, without the values that differ between two creates anyway. */
function shapeOf(res: GqlResponse) {
  const created = (res.body.data as { createContact?: Record<string, unknown> } | null)?.createContact;
  return {
    status: res.status,
    errors: res.body.errors ?? null,
    extensions: res.body.extensions ?? null,
    fields: created ? Object.keys(created).sort() : null,
  };
}

async function queue(status = 'OPEN'): Promise<QueueNode[]> {
  const res = await server.gql<Queue>(QUEUE, {
    token: tokens.officer,
    purpose: 'compliance',
    variables: { status, first: 500 },
  });
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.contactDuplicates.nodes;
}

beforeAll(async () => {
  server = await startTestServer();
  tokens = {
    sales: await server.token(['sales_rep']),
    support: await server.token(['support_agent']),
    officer: await server.token(['privacy_officer']),
  };
});
afterAll(() => server?.close());

describe('email uniqueness per purpose', () => {
  it('answers CONFLICT when the other contact and its email are visible to the purpose', async () => {
    const visible = await fixture();
    const res = await server.gql(CREATE, {
      token: tokens.sales,
      purpose: 'sales',
      variables: { input: { fullName: 'Second', email: visible.email.toUpperCase() } },
    });
    expect(errorCode(res)).toBe('CONFLICT');
    expect(res.body.errors?.[0]?.extensions?.field).toBe('email');
    expect(res.text).not.toContain(visible.id);
  });

  it.each([
    ['a restricted contact (outside the sales row rule)', 'sales', { restricted: true }],
    ['a contact who objected to sales', 'sales', { objectedTo: 'sales' }],
    ['a restricted contact whose email support may not read', 'customer_support', { restricted: true }],
  ] as const)(
    'writes a collision with %s exactly like a free email, and queues it for review',
    async (_what, purpose, state) => {
      const token = purpose === 'sales' ? tokens.sales : tokens.support;
      const hidden = await fixture(state);
      const free = await server.gql(CREATE, {
        token,
        purpose,
        variables: { input: { fullName: 'New Person', email: freshEmail() } },
      });
      const colliding = await server.gql<{ createContact: { id: string } }>(CREATE, {
        token,
        purpose,
        variables: { input: { fullName: 'New Person', email: hidden.email } },
      });
      expect(shapeOf(colliding)).toEqual(shapeOf(free));
      expect(colliding.body.errors).toBeUndefined();
      expect(colliding.text).not.toContain(hidden.id);

      const created = colliding.body.data!.createContact.id;
      const review = (await queue()).find((node) => node.contact?.id === created);
      expect(review).toMatchObject({
        detectedForPurpose: purpose,
        resolution: null,
        resolvedAt: null,
        contact: { id: created, email: hidden.email },
        existingContact: { id: hidden.id, email: hidden.email },
      });
    },
  );

  it('treats an update to a hidden contact’s email the same way', async () => {
    const hidden = await fixture({ restricted: true });
    const mine = await server.gql<{ createContact: { id: string } }>(CREATE, {
      token: tokens.sales,
      purpose: 'sales',
      variables: { input: { fullName: 'Mover', email: freshEmail() } },
    });
    const id = mine.body.data!.createContact.id;
    const res = await server.gql<{ updateContact: { email: string } }>(UPDATE, {
      token: tokens.sales,
      purpose: 'sales',
      variables: { id, input: { email: hidden.email } },
    });
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.updateContact.email).toBe(hidden.email);
    expect((await queue()).some((n) => n.contact?.id === id && n.existingContact?.id === hidden.id)).toBe(
      true,
    );

    // Keeping one's own email is no collision with oneself.
    const again = await server.gql(UPDATE, {
      token: tokens.sales,
      purpose: 'sales',
      variables: { id, input: { email: hidden.email.toUpperCase() } },
    });
    expect(again.body.errors).toBeUndefined();
  });

  it('still refuses every duplicate for compliance, which sees every contact', async () => {
    const hidden = await fixture({ restricted: true });
    const res = await server.gql(CREATE, {
      token: tokens.officer,
      purpose: 'compliance',
      variables: { input: { fullName: 'Officer Entry', email: hidden.email } },
    });
    expect(errorCode(res)).toBe('CONFLICT');
  });

  it('serialises concurrent writers of one new email: exactly one wins', async () => {
    const email = freshEmail();
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        server.gql(CREATE, {
          token: tokens.sales,
          purpose: 'sales',
          variables: { input: { fullName: `Racer ${i}`, email } },
        }),
      ),
    );
    expect(results.filter((r) => r.body.errors === undefined)).toHaveLength(1);
    expect(results.filter((r) => errorCode(r) === 'CONFLICT')).toHaveLength(3);
    const [row] = await server.sql<{ n: number }>(
      'select count(*)::int n from contact where lower(email) = $1',
      [email],
    );
    expect(row!.n).toBe(1);
  });
});

describe('the review queue', () => {
  it('is for compliance only', async () => {
    for (const [token, purpose] of [
      [tokens.sales, 'sales'],
      [tokens.support, 'customer_support'],
    ] as const) {
      expect(errorCode(await server.gql(QUEUE, { token, purpose }))).toBe('FORBIDDEN');
      expect(
        errorCode(
          await server.gql(RESOLVE, {
            token,
            purpose,
            variables: { id: '30000000-0000-4000-8000-000000000001', resolution: 'SAME_PERSON' },
          }),
        ),
      ).toBe('FORBIDDEN');
    }
  });

  it('pages oldest first, resolves once, and filters by status', async () => {
    for (let i = 0; i < 3; i++) {
      const hidden = await fixture({ restricted: true });
      await server.gql(CREATE, {
        token: tokens.sales,
        purpose: 'sales',
        variables: { input: { fullName: 'Paged', email: hidden.email } },
      });
    }
    const all = await queue();
    expect(all.length).toBeGreaterThanOrEqual(3);
    const firstPage = await server.gql<Queue>(QUEUE, {
      token: tokens.officer,
      purpose: 'compliance',
      variables: { first: 2 },
    });
    const page = firstPage.body.data!.contactDuplicates;
    expect(page.nodes.map((n) => n.id)).toEqual(all.slice(0, 2).map((n) => n.id));
    expect(page.pageInfo.hasNextPage).toBe(true);
    const next = await server.gql<Queue>(QUEUE, {
      token: tokens.officer,
      purpose: 'compliance',
      variables: { first: 500, after: page.pageInfo.endCursor },
    });
    expect(next.body.data!.contactDuplicates.nodes.map((n) => n.id)).toEqual(all.slice(2).map((n) => n.id));

    const target = all[0]!;
    const resolved = await server.gql<{
      resolveContactDuplicate: { resolution: string; resolvedAt: string };
    }>(RESOLVE, {
      token: tokens.officer,
      purpose: 'compliance',
      variables: { id: target.id, resolution: 'DISTINCT_PEOPLE' },
    });
    expect(resolved.body.data!.resolveContactDuplicate).toMatchObject({ resolution: 'DISTINCT_PEOPLE' });
    expect((await queue()).map((n) => n.id)).not.toContain(target.id);
    expect((await queue('RESOLVED')).map((n) => n.id)).toContain(target.id);

    const twice = await server.gql(RESOLVE, {
      token: tokens.officer,
      purpose: 'compliance',
      variables: { id: target.id, resolution: 'SAME_PERSON' },
    });
    expect(errorCode(twice)).toBe('CONFLICT');
    const [row] = await server.sql<{ resolution: string }>(
      'select resolution from contact_duplicate where id = $1',
      [target.id],
    );
    expect(row!.resolution).toBe('DISTINCT_PEOPLE');

    for (const id of ['30000000-0000-4000-8000-000000000001', 'not-a-uuid']) {
      const missing = await server.gql(RESOLVE, {
        token: tokens.officer,
        purpose: 'compliance',
        variables: { id, resolution: 'SAME_PERSON' },
      });
      expect(errorCode(missing)).toBe('NOT_FOUND');
    }
  });

  it('refuses a forged cursor with BAD_USER_INPUT', async () => {
    const forged = Buffer.from(
      JSON.stringify(['not a time', '30000000-0000-4000-8000-000000000001']),
    ).toString('base64url');
    const res = await server.gql(QUEUE, {
      token: tokens.officer,
      purpose: 'compliance',
      variables: { after: forged },
    });
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });
});

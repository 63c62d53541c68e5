import {
  isPersonalField,
  mayRunOperation,
  PERSONAL_FIELDS,
  type Purpose,
  ROLE_PURPOSES,
  type Role,
} from '@custos/policy';
import { parse, visit } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neverVisible } from '../../apps/gateway/src/privacy/strip.js';
import { buildSchema } from '../../apps/subgraph/src/schema.js';
import {
  applyStateCatalogue,
  type ContactFieldSelection,
  contactFragment,
  contactSelection,
  contactsById,
  entryKeys,
  expectContactList,
  loadContactFacts,
  responseRedactions,
  seesRow,
} from '../../apps/subgraph/test/support/expected-contact.js';
import { errorCode } from '../../apps/subgraph/test/support/harness.js';
import { type Federation, startFederation } from './support/federation.js';
import { expectSameAnswer } from './support/redactions.js';

/**
 * Through the gateway, every role and purpose gets what the policy and the database say — every Contact field
 * (from the schema, derived fields included) equal to the stored value or null with its redaction entry,
 * computed independently of both servers (apps/subgraph/test/support/expected-contact.ts) — and exactly what
 * the Custos subgraph itself answers: the same rows, values, nulls and entries per response path, while the
 * fields a purpose never sees are removed at the edge and never requested from the subgraph.
 */
let federation: Federation;
let ids: { ordinary: string; restricted: string; limited: string };
let catalogue: Map<string, string>;
const PAGE = 20;
let fields: ContactFieldSelection[];

const CONTACT_FIELDS =
  'id fullName email phone birthDate address { city } ipAddress healthNotes emailMasked restricted';
const LIST = `{ contacts(first: 20) { edges { node { ${CONTACT_FIELDS} } } } }`;
const ONE = `query One($id: ID!) { contact(id: $id) { ${CONTACT_FIELDS} } }`;
const SHAPES = `
  query Shapes($id: ID!) {
    page: contacts(first: 6) { edges { who: node { ...Person mail: email a2: address { town: city } } } }
    one: contact(id: $id) { ... on Contact { name: fullName hn: healthNotes ip: ipAddress } }
    again: contact(id: $id) { ...Person }
  }
  fragment Person on Contact { id fullName phone birthDate ipAddress healthNotes }`;

beforeAll(async () => {
  federation = await startFederation({ seedContacts: 200 });
  // Every contact state on the newest contacts (the first page): the states whose reasons outrank the
  // purpose's own, the tombstone, every ledger status.
  catalogue = await applyStateCatalogue(federation.custos);
  ids = {
    ordinary: catalogue.get('ordinary')!,
    restricted: catalogue.get('restricted')!,
    limited: catalogue.get('sensitive-limited')!,
  };
  fields = contactSelection(buildSchema());
});
afterAll(() => federation?.close());

/** Field names (not aliases) of every document the gateway sent the Custos subgraph while `fn` ran. */
async function requestedFields(fn: () => Promise<unknown>): Promise<Set<string>> {
  const requests = federation.recorders.custos!.requests;
  const before = requests.length;
  await fn();
  const names = new Set<string>();
  for (const request of requests.slice(before)) {
    visit(parse(request.query), { Field: (node) => void names.add(node.name.value) });
  }
  return names;
}

const cases = Object.entries(ROLE_PURPOSES).flatMap(([role, purposes]) =>
  purposes.map((purpose) => ({ role: role as Role, purpose: purpose as Purpose })),
);

describe.each(cases)('$role declaring $purpose', ({ role, purpose }) => {
  const removed = Object.keys(PERSONAL_FIELDS)
    .filter((field) => field.startsWith('Contact.') && isPersonalField(field) && neverVisible(purpose, field))
    .map((field) => field.slice('Contact.'.length));

  it('lists contacts exactly as the subgraph does, without asking it for fields the purpose never sees', async () => {
    const token = await federation.custos.token([role]);
    let viaGateway = await federation.gateway.gql(LIST, { token, purpose });
    const fields = await requestedFields(async () => {
      viaGateway = await federation.gateway.gql(LIST, { token, purpose });
    });
    const direct = await federation.custos.gql(LIST, { token, purpose });
    expectSameAnswer(viaGateway, direct);
    for (const field of removed) expect(fields).not.toContain(field);
    // The subgraph was asked: the comparison is not between two refusals.
    expect(fields).toContain('contacts');
  });

  it.each(['ordinary', 'restricted', 'limited'] as const)(
    'answers contact(id) of an %s contact as the subgraph does',
    async (kind) => {
      const token = await federation.custos.token([role]);
      const variables = { id: ids[kind] };
      const viaGateway = await federation.gateway.gql(ONE, { token, purpose, variables });
      const direct = await federation.custos.gql(ONE, { token, purpose, variables });
      expectSameAnswer(viaGateway, direct);
    },
  );

  it('lists contacts through the gateway as the policy and the database say, derived fields included', async () => {
    const token = await federation.custos.token([role]);
    const facts = await loadContactFacts(federation.custos);
    // A page the gateway's own cost limit admits with every field selected; the states are on the newest rows.
    const res = await federation.gateway.gql(
      `{ contacts(first: ${PAGE}) { totalCount edges { node { ...All } } } } ${contactFragment(fields)}`,
      { token, purpose },
    );
    expectContactList(res, purpose, facts, fields, PAGE);
    // More rows than the page: the page is the newest, and totalCount counts past it.
    expect(facts.filter((c) => seesRow(purpose, c)).length > PAGE).toBe(
      mayRunOperation(purpose, 'Query.contacts'),
    );
  });

  it('answers contact(id) for a contact of every state through the gateway as the policy says', async () => {
    const token = await federation.custos.token([role]);
    const facts = await loadContactFacts(federation.custos);
    let seen = 0;
    for (const id of [...catalogue.values(), '00000000-0000-4000-8000-000000000000']) {
      const expected = contactsById(purpose, facts, [id], fields);
      const res = await federation.gateway.gql(expected.query, {
        token,
        purpose,
        variables: expected.variables,
      });
      if (!mayRunOperation(purpose, 'Query.contact')) {
        expect(errorCode(res)).toBe('FORBIDDEN');
        continue;
      }
      if (expected.rows[0]) seen++;
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data).toEqual(expected.data);
      expect(responseRedactions(res)).toEqual(entryKeys(expected.redactions));
    }
    expect(seen > 0).toBe(mayRunOperation(purpose, 'Query.contact'));
  });

  it('keeps aliases, fragments and repeated fields on the client’s paths', async () => {
    const token = await federation.custos.token([role]);
    const variables = { id: ids.restricted };
    const viaGateway = await federation.gateway.gql(SHAPES, { token, purpose, variables });
    const direct = await federation.custos.gql(SHAPES, { token, purpose, variables });
    expectSameAnswer(viaGateway, direct);
  });
});

it('covers every redaction reason across the cases (the comparison sees each kind of entry)', async () => {
  const token = await federation.custos.token(['support_agent']);
  const res = await federation.gateway.gql(LIST, { token, purpose: 'customer_support' });
  const entries = (res.body.extensions?.redactions ?? []) as { reason: string }[];
  const reasons = new Set(entries.map((r) => r.reason));
  // Gateway-removed (special category, purpose) and subgraph-produced (restricted row) entries in one list.
  expect([...reasons].sort()).toEqual(['PROCESSING_RESTRICTED', 'PURPOSE_NOT_ALLOWED', 'SPECIAL_CATEGORY']);
});

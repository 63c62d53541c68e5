import {
  CONSENT_STATUSES,
  type ConsentStatus,
  type ContactState,
  consentStatusProblem,
  decideField,
  isPersonalField,
  mayRunOperation,
  maySeeRow,
  PERSONAL_FIELDS,
  PURPOSES,
  type Purpose,
  type RedactionReason,
} from '@custos/policy';
import {
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isLeafType,
  isObjectType,
} from 'graphql';
import { expect } from 'vitest';
import { errorCode, type GqlResponse, setConsentState, type TestServer } from './harness.js';

/**
 * The expected view of a contact for a purpose, computed from the database's rows (this file's own SQL) and
 * the policy's tables and pure functions (packages/policy) — never from the code under test. The Contact
 * fields come from the schema, so a field added to Contact without an expectation here fails the tests that
 * use it (`contactSelection` throws), instead of slipping past them.
 */

/** One contact as stored: raw columns, its privacy state, and what hangs off it. */
export interface ContactFacts {
  readonly id: string;
  readonly fullName: string;
  readonly email: string;
  readonly phone: string | null;
  readonly birthDate: string | null;
  readonly street: string | null;
  readonly city: string | null;
  readonly postalCode: string | null;
  readonly country: string | null;
  readonly ipAddress: string | null;
  readonly healthNotes: string | null;
  readonly companyId: string | null;
  readonly restricted: boolean;
  readonly limitSensitive: boolean;
  readonly erased: boolean;
  readonly consents: Readonly<Partial<Record<Purpose, ConsentStatus>>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The contact's interactions, newest first (occurred_at, then id). */
  readonly interactionIds: readonly string[];
}

/** Every contact, newest first (created_at, then id: the order every contact list promises). */
export async function loadContactFacts(server: Pick<TestServer, 'sql'>): Promise<ContactFacts[]> {
  const rows = await server.sql(
    `select c.id, c.full_name as "fullName", c.email, c.phone, to_char(c.birth_date, 'YYYY-MM-DD') as "birthDate",
       c.address_street as street, c.address_city as city, c.address_postal_code as "postalCode",
       c.address_country as country, c.ip_address as "ipAddress", c.health_notes as "healthNotes",
       c.company_id as "companyId", c.restricted, c.limit_sensitive as "limitSensitive",
       c.erased_at is not null as erased,
       coalesce((select jsonb_object_agg(s.purpose, s.status) from consent_state s where s.contact_id = c.id),
         '{}'::jsonb) as consents,
       to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt",
       to_char(c.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "updatedAt",
       coalesce((select jsonb_agg(i.id order by i.occurred_at desc, i.id desc) from interaction i
         where i.contact_id = c.id), '[]'::jsonb) as "interactionIds"
     from contact c order by c.created_at desc, c.id desc`,
  );
  return rows as unknown as ContactFacts[];
}

export const stateOf = (c: ContactFacts): ContactState => ({
  erased: c.erased,
  restricted: c.restricted,
  limitSensitive: c.limitSensitive,
  consents: c.consents,
});

/** `j***@example.com`: the first character of the local part, then the domain (DESIGN.md, Contact). */
export function maskedEmail(email: string): string | null {
  const at = email.indexOf('@');
  return at > 0 ? `${email[0]}***${email.slice(at)}` : null;
}

/**
 * Each Contact field's value, from the raw columns. Derived fields are derived here from their source column,
 * the way DESIGN.md describes them. Relations are selected by their ids only.
 */
const VALUE_OF: Readonly<Record<string, (c: ContactFacts) => unknown>> = {
  id: (c) => c.id,
  fullName: (c) => c.fullName,
  email: (c) => c.email,
  emailMasked: (c) => maskedEmail(c.email),
  phone: (c) => c.phone,
  phoneLast4: (c) => (c.phone === null ? null : c.phone.slice(-4)),
  birthDate: (c) => c.birthDate,
  birthYear: (c) => (c.birthDate === null ? null : Number(c.birthDate.slice(0, 4))),
  address: (c) =>
    [c.street, c.city, c.postalCode, c.country].every((part) => part === null)
      ? null
      : { street: c.street, city: c.city, postalCode: c.postalCode, country: c.country },
  country: (c) => c.country,
  ipAddress: (c) => c.ipAddress,
  healthNotes: (c) => c.healthNotes,
  company: (c) => (c.companyId === null ? null : { id: c.companyId }),
  restricted: (c) => c.restricted,
  createdAt: (c) => c.createdAt,
  updatedAt: (c) => c.updatedAt,
  interactions: (c) => ({ edges: c.interactionIds.slice(0, NESTED_PAGE).map((id) => ({ node: { id } })) }),
};

/** The page size a nested connection is selected with (small: the query's cost multiplies by it). */
export const NESTED_PAGE = 10;

/** One Contact field as a test selects it: its name and its selection text. */
export interface ContactFieldSelection {
  readonly name: string;
  readonly selection: string;
}

/**
 * Every field of the schema's Contact type with a selection: leaves as they are, a connection by its node
 * ids, an object with an id by its id, any other object by all its leaf fields (e.g. Address).
 */
export function contactSelection(schema: GraphQLSchema): ContactFieldSelection[] {
  const contact = schema.getType('Contact');
  if (!isObjectType(contact)) throw new Error('the schema has no Contact object type');
  return Object.values(contact.getFields()).map((field) => {
    if (!Object.hasOwn(VALUE_OF, field.name)) {
      throw new Error(
        `Contact.${field.name} has no expected value: add it to VALUE_OF in test/support/expected-contact.ts`,
      );
    }
    return { name: field.name, selection: `${field.name}${subselection(field)}` };
  });
}

function subselection(field: GraphQLField<unknown, unknown>): string {
  const type = getNamedType(field.type);
  if (isLeafType(type)) return '';
  const object = type as GraphQLObjectType;
  const fields = object.getFields();
  if (fields.edges) {
    const page = field.args.some((arg) => arg.name === 'first') ? `(first: ${NESTED_PAGE})` : '';
    return `${page} { edges { node { id } } }`;
  }
  if (fields.id) return ' { id }';
  const leaves = Object.values(fields).filter((f) => isLeafType(getNamedType(f.type)));
  return ` { ${leaves.map((f) => f.name).join(' ')} }`;
}

export interface RedactionEntry {
  readonly path: readonly (string | number)[];
  readonly field: string;
  readonly category: string;
  readonly reason: RedactionReason;
}

export interface ExpectedView {
  readonly data: Record<string, unknown>;
  readonly redactions: RedactionEntry[];
}

/**
 * What `purpose` must get for `fields` of a contact on a row it may see, at response path `path`: the value
 * where the policy allows it, null and one redaction entry where it does not (whether or not a value exists).
 */
export function expectedContact(
  purpose: Purpose,
  contact: ContactFacts,
  fields: readonly ContactFieldSelection[],
  path: readonly (string | number)[],
): ExpectedView {
  const data: Record<string, unknown> = {};
  const redactions: RedactionEntry[] = [];
  const state = stateOf(contact);
  for (const { name } of fields) {
    const coordinate = `Contact.${name}`;
    const decision = decideField(purpose, coordinate, state);
    if (decision.allowed) {
      data[name] = VALUE_OF[name]!(contact);
    } else {
      data[name] = null;
      redactions.push({
        path: [...path, name],
        field: coordinate,
        category: categoryOf(coordinate),
        reason: decision.reason,
      });
    }
  }
  return { data, redactions };
}

/** A field's data category in the policy (a field that is not classified is never redacted). */
export const categoryOf = (coordinate: string): string =>
  isPersonalField(coordinate) ? PERSONAL_FIELDS[coordinate].category : '(unclassified)';

export const seesRow = (purpose: Purpose, contact: ContactFacts): boolean =>
  maySeeRow(purpose, stateOf(contact));

/** A redaction entry as one comparable string: compare sorted lists of these both ways. */
export const entryKey = (entry: RedactionEntry): string =>
  JSON.stringify([entry.path, entry.field, entry.category, entry.reason]);

/** Redaction entries as sorted keys, to compare a response's with the expected ones both ways. */
export const entryKeys = (entries: readonly RedactionEntry[]): string[] => entries.map(entryKey).sort();

/** A response's redaction entries as sorted keys. */
export const responseRedactions = (res: GqlResponse): string[] =>
  entryKeys((res.body.extensions?.redactions ?? []) as RedactionEntry[]);

/** The selected fields as one fragment, `All` on Contact. */
export const contactFragment = (fields: readonly ContactFieldSelection[]): string =>
  `fragment All on Contact { ${fields.map((f) => f.selection).join(' ')} }`;

/**
 * The expected views of `rows` (null: a row the purpose may not see, or none) at the response paths made by
 * `pathOf`: their data, in order, and all their redaction entries.
 */
export function expectedViews(
  purpose: Purpose,
  rows: readonly (ContactFacts | null | undefined)[],
  fields: readonly ContactFieldSelection[],
  pathOf: (index: number) => (string | number)[],
): { data: (Record<string, unknown> | null)[]; redactions: RedactionEntry[] } {
  const each = rows.map((c, index) => (c ? expectedContact(purpose, c, fields, pathOf(index)) : null));
  return {
    data: each.map((view) => view?.data ?? null),
    redactions: each.flatMap((view) => view?.redactions ?? []),
  };
}

/**
 * The answer to `contacts(first: page) { totalCount edges { node { ...All } } }` is what the policy and the
 * database say: FORBIDDEN for a purpose that may not list contacts; otherwise the first `page` rows it may see,
 * newest first, each its expected view, `totalCount` all of them, and exactly their redaction entries.
 */
export function expectContactList(
  res: GqlResponse,
  purpose: Purpose,
  facts: readonly ContactFacts[],
  fields: readonly ContactFieldSelection[],
  page: number,
): void {
  if (!mayRunOperation(purpose, 'Query.contacts')) {
    expect(errorCode(res)).toBe('FORBIDDEN');
    expect(res.body.data).toBeNull();
  } else {
    const rows = facts.filter((c) => seesRow(purpose, c));
    expect(rows.length).toBeGreaterThan(0);
    const expected = expectedViews(purpose, rows.slice(0, page), fields, (i) => [
      'contacts',
      'edges',
      i,
      'node',
    ]);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data).toEqual({
      contacts: { totalCount: rows.length, edges: expected.data.map((node) => ({ node })) },
    });
    expect(responseRedactions(res)).toEqual(entryKeys(expected.redactions));
  }
}

/**
 * One query reading every id by `contact(id:)` under the aliases c0, c1, …, and what `purpose` must get for
 * it: each row it may see as its expected view, every other id (unseen, unknown) as null.
 */
export function contactsById(
  purpose: Purpose,
  facts: readonly ContactFacts[],
  ids: readonly string[],
  fields: readonly ContactFieldSelection[],
) {
  const query = `query(${ids.map((_, i) => `$i${i}: ID!`).join(', ')}) {
    ${ids.map((_, i) => `c${i}: contact(id: $i${i}) { ...All }`).join(' ')} } ${contactFragment(fields)}`;
  const variables = Object.fromEntries(ids.map((id, i) => [`i${i}`, id]));
  const byId = new Map(facts.map((c) => [c.id, c]));
  const rows = ids.map((id) => {
    const c = byId.get(id);
    return c && seesRow(purpose, c) ? c : null;
  });
  const expected = expectedViews(purpose, rows, fields, (i) => [`c${i}`]);
  return {
    query,
    variables,
    rows,
    data: Object.fromEntries(expected.data.map((view, i) => [`c${i}`, view])),
    redactions: expected.redactions,
  };
}

/**
 * Every contact state the policy tells apart, one contact each: an erased tombstone (personal columns emptied),
 * restricted, restricted and sensitive-limited, sensitive-limited, and, for every purpose, every ledger status
 * the policy allows for it (GRANTED / DENIED / WITHDRAWN for consent-based purposes, OBJECTED where an
 * objection applies). Named by what they are, for coverage checks.
 */
export interface StateCase {
  readonly name: string;
  readonly erased: boolean;
  readonly restricted: boolean;
  readonly limitSensitive: boolean;
  readonly consent?: { readonly purpose: Purpose; readonly status: ConsentStatus };
}

export function stateCatalogue(): StateCase[] {
  const plain = { erased: false, restricted: false, limitSensitive: false };
  const cases: StateCase[] = [
    { name: 'ordinary', ...plain },
    { name: 'erased tombstone', ...plain, erased: true },
    { name: 'restricted', ...plain, restricted: true },
    { name: 'restricted, sensitive-limited', ...plain, restricted: true, limitSensitive: true },
    { name: 'sensitive-limited', ...plain, limitSensitive: true },
  ];
  for (const purpose of PURPOSES) {
    for (const status of CONSENT_STATUSES) {
      if (consentStatusProblem(purpose, status) !== undefined) continue;
      cases.push({ name: `${purpose} ${status}`, ...plain, consent: { purpose, status } });
      // A granted consent on a restricted contact (Art 18 outranks the consent) and on an erased one (its
      // consent bits must not bring a tombstone back).
      if (status === 'GRANTED') {
        const consent = { purpose, status };
        cases.push(
          { name: `${purpose} GRANTED, restricted`, ...plain, restricted: true, consent },
          { name: `${purpose} GRANTED, erased tombstone`, ...plain, erased: true, consent },
        );
      }
    }
  }
  return cases;
}

/**
 * Puts every state of the catalogue on its own contact: the newest seeded contacts, in catalogue order, each
 * first reset to ordinary (no consent, not restricted or limited), with an address, a birth date, a phone,
 * an IP address, health notes and at least one interaction, so that every field has a value to show or to hide. A tombstone keeps its
 * id, timestamps and company link; its personal columns are emptied (Art 17). Returns contact id by case name.
 */
export async function applyStateCatalogue(server: Pick<TestServer, 'sql'>): Promise<Map<string, string>> {
  const cases = stateCatalogue();
  const rows = await server.sql<{ id: string }>(
    'select id from contact where erased_at is null order by created_at desc, id desc limit $1',
    [cases.length],
  );
  if (rows.length < cases.length) throw new Error(`the catalogue needs ${cases.length} seeded contacts`);
  const byCase = new Map<string, string>();
  for (const [index, state] of cases.entries()) {
    const id = rows[index]!.id;
    byCase.set(state.name, id);
    await server.sql('delete from consent_state where contact_id = $1', [id]);
    await server.sql(
      `update contact set restricted = $2, limit_sensitive = $3, consent_granted = 0, consent_objected = 0,
         erased_at = null,
         phone = coalesce(phone, '+4930' || lpad(($4::int + 1000000)::text, 8, '0')),
         birth_date = coalesce(birth_date, date '1970-01-01' + $4::int * 97),
         address_street = coalesce(address_street, $4::int || ' Catalogue Street'),
         address_city = coalesce(address_city, 'Statetown'),
         address_postal_code = coalesce(address_postal_code, '1' || lpad($4::int::text, 4, '0')),
         address_country = coalesce(address_country, 'DE'),
         ip_address = coalesce(ip_address, '10.20.' || $4::int || '.7'),
         health_notes = coalesce(health_notes, 'Catalogue health note number ' || $4::int || '.')
       where id = $1`,
      [id, state.restricted, state.limitSensitive, index],
    );
    if (state.consent) await setConsentState(server, id, state.consent.purpose, state.consent.status);
    if (state.erased) {
      await server.sql(
        `update contact set erased_at = updated_at, full_name = '', email = '', phone = null, birth_date = null,
           address_street = null, address_city = null, address_postal_code = null, address_country = null,
           ip_address = null, health_notes = null
         where id = $1`,
        [id],
      );
      await server.sql('delete from interaction where contact_id = $1', [id]);
    } else {
      // Something logged on every live case, so that each is reached through Interaction.contact too.
      await server.sql(
        `insert into interaction (id, contact_id, type, subject, body, occurred_at, logged_by, created_at, updated_at)
         select gen_random_uuid(), c.id, 'NOTE', 'Note: catalogue case ' || $2::int, null, c.created_at, 'agent-1',
           c.created_at, c.created_at
         from contact c where c.id = $1 and not exists (select 1 from interaction i where i.contact_id = c.id)`,
        [id, index],
      );
    }
  }
  return byCase;
}

/** A catalogue case as the policy's ContactState. */
export const caseState = (state: StateCase): ContactState => ({
  erased: state.erased,
  restricted: state.restricted,
  limitSensitive: state.limitSensitive,
  consents: state.consent ? { [state.consent.purpose]: state.consent.status } : {},
});

/** Does the purpose's row rule leave out a contact of some state in the catalogue? */
export const excludesSomeState = (purpose: Purpose): boolean =>
  stateCatalogue().some((state) => !maySeeRow(purpose, caseState(state)));

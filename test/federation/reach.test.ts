import { createHash, randomUUID } from 'node:crypto';
import {
  type ContactState,
  decideField,
  fieldVisibility,
  isPersonalField,
  mayRunOperation,
  maySeeRow,
  NON_PERSONAL_FIELDS,
  nestedTypes,
  OPERATION_RESULTS,
  OPERATIONS,
  ORDINARY_CONTACT,
  PERSONAL_FIELD_NAMES,
  PERSONAL_FIELDS,
  type PersonalField,
  PURPOSE_DEFINITIONS,
  PURPOSES,
  type Purpose,
  RELATIONS,
  ROLE_PURPOSES,
  type Role,
} from '@custos/policy';
import {
  buildClientSchema,
  extendSchema,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  getIntrospectionQuery,
  getNamedType,
  type IntrospectionQuery,
  isLeafType,
  isNonNullType,
  isObjectType,
  parse,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, setConsentState } from '../../apps/subgraph/test/support/harness.js';
import { type Federation, startFederation } from './support/federation.js';

/**
 * "Nothing about a person escapes the policy", generated from the composed supergraph: from every root Query
 * field, every Mutation field's payload (each mutation called on rows made for that call; a Mutation field without
 * an argument recipe fails the suite) and Federation's `_entities` at each subgraph (with representations of real
 * contacts), every field reachable to depth 4 — aliases and fragments included — is checked, for every role and
 * every purpose it may declare, against the policy's pure functions and the database read with this test's own SQL:
 * - a field the purpose may see: present, and equal to the database's value (scalar leaves) or non-null where
 *   the database has the related row (relations, with exactly the related rows the purpose may see);
 * - a personal field it may not see: null, with exactly one redaction entry `{ path, field, category, reason }`;
 * - an operation it may not run: FORBIDDEN.
 * Each response's `extensions.redactions` must be exactly the expected entries, no more. A field of the schema
 * that the policy does not classify fails the suite.
 */

const NESTED_FIRST = 2;
const MAX_HOPS = 4;
/** Wide limits: this suite checks the policy, not the query limits (limits.test.ts does). */
const WIDE_LIMITS = {
  MAX_QUERY_TOKENS: '1000000',
  MAX_QUERY_COST: '1000000000',
  MAX_QUERY_ALIASES: '10000',
  MAX_QUERY_DEPTH: '100',
};

type Row = Record<string, unknown>;
interface DbContact extends Row {
  id: string;
  full_name: string | null;
  email: string | null;
  phone: string | null;
  birth_date: string | null;
  address_street: string | null;
  address_city: string | null;
  address_postal_code: string | null;
  address_country: string | null;
  ip_address: string | null;
  health_notes: string | null;
  company_id: string | null;
  restricted: boolean;
  limit_sensitive: boolean;
  erased: boolean;
  created_at: string;
  updated_at: string | null;
  consents: Record<string, string> | null;
}

let federation: Federation;
/** A gateway with this suite's wide limits. */
let gateway: Federation['gateway'];
let gatewaySchema: GraphQLSchema;
const subgraphSchemas: Record<string, GraphQLSchema> = {};
const db = {
  contacts: new Map<string, DbContact>(),
  companies: new Map<string, Row>(),
  interactions: new Map<string, Row>(),
  tickets: new Map<string, Row>(),
  events: [] as Row[],
  /** The duplicate-email review queue. */
  duplicates: new Map<string, Row>(),
  /** A published privacy notice's version, if any. */
  notice: undefined as string | undefined,
  /** Audit events (the introspection above, read for compliance, is one). */
  auditEvents: [] as Row[],
};
/** One contact per state that changes an answer; each has a company, interactions and tickets. */
const seeded: Record<string, string> = {};

const ISO = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const stateOf = (c: DbContact): ContactState => ({
  erased: c.erased,
  restricted: c.restricted,
  limitSensitive: c.limit_sensitive,
  consents: (c.consents ?? {}) as ContactState['consents'],
});

async function introspect(url: string, token: string): Promise<GraphQLSchema> {
  const res = await postGraphQL<IntrospectionQuery>(url, getIntrospectionQuery(), {
    token,
    purpose: 'compliance',
  });
  expect(res.body.errors).toBeUndefined();
  return buildClientSchema(res.body.data!);
}

async function loadDatabase(): Promise<void> {
  const { custos } = federation;
  const contacts = await custos.sql<DbContact>(
    `select c.id, c.full_name, c.email, c.phone, c.birth_date::text as birth_date, c.address_street,
       c.address_city, c.address_postal_code, c.address_country, c.ip_address, c.health_notes, c.company_id,
       c.restricted, c.limit_sensitive, c.erased_at is not null as erased,
       ${ISO('c.created_at')} as created_at, ${ISO('c.updated_at')} as updated_at,
       (select jsonb_object_agg(cs.purpose, cs.status) from consent_state cs where cs.contact_id = c.id) consents
     from contact c`,
  );
  db.contacts = new Map(contacts.map((c) => [c.id, c]));
  const companies = await custos.sql(
    `select id, name, domain, industry, country, ${ISO('created_at')} as created_at,
       ${ISO('updated_at')} as updated_at from company`,
  );
  db.companies = new Map(companies.map((c) => [c.id as string, c]));
  const interactions = await custos.sql(
    `select id, contact_id, type, subject, body, ${ISO('occurred_at')} as occurred_at, logged_by,
       ${ISO('created_at')} as created_at, ${ISO('updated_at')} as updated_at from interaction`,
  );
  db.interactions = new Map(interactions.map((i) => [i.id as string, i]));
  const tickets = await custos.sql(
    `select id, requester_id, subject, description, status, priority, ${ISO('created_at')} as created_at,
       ${ISO('updated_at')} as updated_at, ${ISO('solved_at')} as solved_at from tickets.ticket`,
  );
  db.tickets = new Map(tickets.map((t) => [t.id as string, t]));
  db.events = await custos.sql(
    `select id, contact_id, seq, purpose, status, method, notice_version, ${ISO('captured_at')} as captured_at,
       ${ISO('recorded_at')} as recorded_at, recorded_by, verification, prev_hash, hash
     from consent_event order by recorded_at, id`,
  );
  const duplicates = await custos.sql(
    `select id, contact_id, existing_contact_id, detected_for_purpose, ${ISO('detected_at')} as detected_at,
       resolution, ${ISO('resolved_at')} as resolved_at from contact_duplicate`,
  );
  db.duplicates = new Map(duplicates.map((d) => [d.id as string, d]));
  const [notice] = await custos.sql<{ version: string }>('select version from privacy_notice limit 1');
  db.notice = notice?.version;
}

/** Contact states that change an answer, set on contacts that have a company, interactions and tickets. */
const STATES: Record<string, (id: string) => Promise<void>> = {
  ordinary: async () => {},
  granted: async (id) => {
    await setConsentState(federation.custos, id, 'marketing', 'GRANTED');
    await setConsentState(federation.custos, id, 'sale_share', 'GRANTED');
  },
  denied: async (id) => {
    await setConsentState(federation.custos, id, 'marketing', 'DENIED');
    await setConsentState(federation.custos, id, 'sale_share', 'DENIED');
  },
  withdrawn: async (id) => {
    await setConsentState(federation.custos, id, 'marketing', 'WITHDRAWN');
    await setConsentState(federation.custos, id, 'sale_share', 'WITHDRAWN');
  },
  objected: async (id) => {
    for (const purpose of ['sales', 'marketing', 'sale_share'] as const) {
      await setConsentState(federation.custos, id, purpose, 'OBJECTED');
    }
  },
  restricted: async (id) => {
    await STATES.granted!(id);
    await federation.custos.sql('update contact set restricted = true where id = $1', [id]);
  },
  limited: async (id) => {
    await STATES.granted!(id);
    await federation.custos.sql(
      `update contact set limit_sensitive = true, health_notes = coalesce(health_notes, 'Asthma') where id = $1`,
      [id],
    );
  },
  healthy_granted: async (id) => {
    await STATES.granted!(id);
    await federation.custos.sql(
      `update contact set health_notes = coalesce(health_notes, 'Diabetes') where id = $1`,
      [id],
    );
  },
};

beforeAll(async () => {
  federation = await startFederation({ seedContacts: 60, tickets: true, env: WIDE_LIMITS });
  gateway = await federation.startGateway(WIDE_LIMITS);
  const { custos } = federation;
  // The seed's own privacy states are cleared on the chosen contacts; the seed keeps the others.
  const candidates = await custos.sql<{ id: string }>(
    `select c.id from contact c
     where c.company_id is not null and c.erased_at is null
       and exists (select 1 from interaction i where i.contact_id = c.id)
     order by c.id limit ${Object.keys(STATES).length}`,
  );
  expect(candidates).toHaveLength(Object.keys(STATES).length);
  for (const [index, [state, apply]] of Object.entries(STATES).entries()) {
    const id = candidates[index]!.id;
    await custos.sql('update contact set restricted = false, limit_sensitive = false where id = $1', [id]);
    await custos.sql('delete from consent_state where contact_id = $1', [id]);
    await custos.sql('update contact set consent_granted = 0, consent_objected = 0 where id = $1', [id]);
    await apply(id);
    // Every chosen contact has a ticket, whatever the seed gave it.
    await custos.sql(
      `insert into tickets.ticket (id, requester_id, subject, description, status, priority, created_at, updated_at)
       select gen_random_uuid(), $1::uuid, 'Reach test ticket', 'Reach test description ' || $1::text, 'OPEN',
         'HIGH', now(), now()
       where not exists (select 1 from tickets.ticket t where t.requester_id = $1::uuid)`,
      [id],
    );
    seeded[state] = id;
  }
  await loadDatabase();
  const token = await custos.token(['privacy_officer']);
  gatewaySchema = await introspect(`${gateway.url}/graphql`, token);
  subgraphSchemas.custos = await introspect(custos.graphqlUrl, token);
  subgraphSchemas.tickets = await introspect(`${federation.tickets!.url}/graphql`, token);
  await custos.flushAudit();
  db.auditEvents = await custos.sql('select id from audit_event order by occurred_at, id limit 2');
}, 180_000);
afterAll(async () => {
  await federation?.close();
});

// ---------------------------------------------------------------------------------------------------------------
// The schema, as the tables see it.

const PLUMBING = /(Connection|Edge|PageInfo)$/;
const isConnection = (type: GraphQLNamedType) =>
  isObjectType(type) && PLUMBING.test(type.name) && type.name.endsWith('Connection');

/** A field's row type: its named type, or the node type of a connection. */
function unwrap(type: GraphQLNamedType): GraphQLNamedType {
  if (isConnection(type) && isObjectType(type)) {
    const edges = type.getFields().edges;
    if (edges) {
      const edge = getNamedType(edges.type);
      if (isObjectType(edge) && edge.getFields().node) return getNamedType(edge.getFields().node!.type);
    }
  }
  return type;
}

/** The types an operation answers with: a relation may lead only to one of these. */
function rowTypes(schema: GraphQLSchema): Set<string> {
  const rows = new Set<string>();
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      const type = unwrap(getNamedType(field.type));
      if (isObjectType(type)) rows.add(type.name);
    }
  }
  return rows;
}

/** Types whose every incoming field is personal: they are the value of that field, classified there (Address). */
function valueTypesOfPersonalFields(schema: GraphQLSchema): Set<string> {
  const incoming = new Map<string, string[]>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const target = getNamedType(field.type).name;
      incoming.set(target, [...(incoming.get(target) ?? []), `${type.name}.${field.name}`]);
    }
  }
  const rows = rowTypes(schema);
  return new Set(
    [...incoming]
      .filter(([type, fields]) => {
        const named = schema.getType(type);
        const row = rows.has(type) || (isObjectType(named) && Boolean(named.getFields().id));
        return !row && fields.every((f) => isPersonalField(f));
      })
      .map(([type]) => type),
  );
}

/** Every field of every object type that is no plumbing: what the policy must classify. */
function dataFields(schema: GraphQLSchema): string[] {
  const covered = valueTypesOfPersonalFields(schema);
  const fields: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (
      !isObjectType(type) ||
      type.name.startsWith('_') ||
      PLUMBING.test(type.name) ||
      covered.has(type.name)
    )
      continue;
    if (type === schema.getQueryType() || type === schema.getMutationType()) continue;
    for (const field of Object.keys(type.getFields())) fields.push(`${type.name}.${field}`);
  }
  return fields;
}

// ---------------------------------------------------------------------------------------------------------------
// Generated selections.

interface Sel {
  readonly key: string;
  readonly name: string;
  readonly args: string;
  readonly type: GraphQLNamedType;
  readonly nonNull: boolean;
  readonly list: boolean;
  readonly children: readonly Sel[];
}

const fieldArgs = (field: GraphQLField<unknown, unknown>, first: number) =>
  field.args.some((a) => a.name === 'first') ? `(first: ${first})` : '';

/** A root field (query or mutation) selected with every row it reaches, to depth 4, its arguments left to the caller. */
function rootSelection(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>, rows: Set<string>): Sel {
  const named = getNamedType(field.type);
  const inner = isLeafType(named) ? [] : selectRow(schema, unwrap(named), 0, rows);
  return {
    key: field.name,
    name: field.name,
    args: '',
    type: named,
    nonNull: isNonNullType(field.type),
    list: named !== (isNonNullType(field.type) ? field.type.ofType : field.type),
    children: isLeafType(named) ? [] : wrapConnection(schema, named, inner),
  };
}

/**
 * Every field of a row type (hop counts the rows crossed from the root): leaves, value objects, and relations
 * until MAX_HOPS, where a relation is still asked for (its null or its id is checked) but not followed further.
 * Odd hops alias every field, so that paths must come back with the client's aliases.
 */
function selectRow(schema: GraphQLSchema, type: GraphQLNamedType, hop: number, rows: Set<string>): Sel[] {
  if (!isObjectType(type)) return [];
  const sels: Sel[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const named = getNamedType(field.type);
    const key = hop % 2 === 1 ? `${field.name}_${hop}` : field.name;
    const base = {
      key,
      name: field.name,
      nonNull: isNonNullType(field.type),
      list: getNamedType(field.type) !== (isNonNullType(field.type) ? field.type.ofType : field.type),
      type: named,
    };
    if (isLeafType(named)) {
      sels.push({ ...base, args: '', children: [] });
      continue;
    }
    const target = unwrap(named);
    const relation = rows.has(target.name);
    const next = relation ? hop + 1 : hop;
    const inner = relation && next > MAX_HOPS ? idOnly(target) : selectRow(schema, target, next, rows);
    sels.push({
      ...base,
      args: fieldArgs(field, NESTED_FIRST),
      children: wrapConnection(schema, named, inner),
    });
  }
  return sels;
}

/** Past the last hop a relation is still asked for, by its rows' ids only. */
function idOnly(type: GraphQLNamedType): Sel[] {
  if (!isObjectType(type)) return [];
  const id = type.getFields().id;
  if (!id) throw new Error(`${type.name} has no id: a relation to it cannot be checked`);
  return [
    {
      key: 'id',
      name: 'id',
      args: '',
      type: getNamedType(id.type),
      nonNull: true,
      list: false,
      children: [],
    },
  ];
}

/** A connection's plumbing around its nodes: totalCount, pageInfo, edges { cursor node }. */
function wrapConnection(schema: GraphQLSchema, type: GraphQLNamedType, nodes: Sel[]): Sel[] {
  if (!isConnection(type) || !isObjectType(type)) return nodes;
  const fields = type.getFields();
  const edge = getNamedType(fields.edges!.type);
  const leaf = (name: string, t: GraphQLNamedType): Sel => ({
    key: name,
    name,
    args: '',
    type: t,
    nonNull: true,
    list: false,
    children: [],
  });
  const pageInfo = getNamedType(fields.pageInfo!.type);
  return [
    leaf('totalCount', getNamedType(fields.totalCount!.type)),
    {
      ...leaf('pageInfo', pageInfo),
      children: selectRow(schema, pageInfo, 0, new Set()),
    },
    {
      ...leaf('edges', edge),
      list: true,
      children: [
        leaf('cursor', isObjectType(edge) ? getNamedType(edge.getFields().cursor!.type) : edge),
        { ...leaf('node', unwrap(type)), children: nodes },
      ],
    },
  ];
}

/** Prints selections: leaves of a row type through a named fragment, the rest inside an inline fragment. */
function printSelections(
  sels: readonly Sel[],
  type: GraphQLNamedType,
  fragments: Map<string, string>,
): string {
  const leaves = sels.filter((s) => s.children.length === 0);
  const objects = sels.filter((s) => s.children.length > 0);
  const print = (s: Sel) =>
    `${s.key === s.name ? '' : `${s.key}: `}${s.name}${s.args}${s.children.length ? ` { ${printSelections(s.children, s.type, fragments)} }` : ''}`;
  const parts: string[] = [];
  if (leaves.length && isObjectType(type) && !PLUMBING.test(type.name)) {
    const body = leaves.map(print).join(' ');
    let name = [...fragments].find(([, text]) => text === `on ${type.name} { ${body} }`)?.[0];
    if (!name) {
      name = `F${fragments.size}_${type.name}`;
      fragments.set(name, `on ${type.name} { ${body} }`);
    }
    parts.push(`...${name}`);
  } else parts.push(...leaves.map(print));
  if (objects.length) {
    const body = objects.map(print).join(' ');
    parts.push(isObjectType(type) && !PLUMBING.test(type.name) ? `... on ${type.name} { ${body} }` : body);
  }
  return parts.join(' ');
}

function document(root: string, fragments: Map<string, string>, variables = ''): string {
  return `query Reach${variables} { ${root} }\n${[...fragments].map(([name, text]) => `fragment ${name} ${text}`).join('\n')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Expectations, from the database rows and the policy.

interface Redaction {
  readonly path: readonly (string | number)[];
  readonly field: string;
  readonly category: string;
  readonly reason: string;
}

const newest = (column: string) => (a: Row, b: Row) =>
  String(b[column]).localeCompare(String(a[column])) || String(b.id).localeCompare(String(a.id));

const masked = (email: unknown) =>
  typeof email === 'string' ? `${email[0]}***${email.slice(email.indexOf('@'))}` : null;

/** Scalar leaves as the database holds them (derived forms computed here, from their source column). */
const LEAVES: Record<string, (row: Row) => unknown> = {
  'Contact.id': (r) => r.id,
  'Contact.fullName': (r) => r.full_name,
  'Contact.email': (r) => r.email,
  'Contact.emailMasked': (r) => masked(r.email),
  'Contact.phone': (r) => r.phone,
  'Contact.phoneLast4': (r) => (typeof r.phone === 'string' ? r.phone.slice(-4) : null),
  'Contact.birthDate': (r) => r.birth_date,
  'Contact.birthYear': (r) => (typeof r.birth_date === 'string' ? Number(r.birth_date.slice(0, 4)) : null),
  'Contact.country': (r) => r.address_country,
  'Contact.ipAddress': (r) => r.ip_address,
  'Contact.healthNotes': (r) => r.health_notes,
  'Contact.restricted': (r) => r.restricted,
  'Contact.createdAt': (r) => r.created_at,
  'Contact.updatedAt': (r) => r.updated_at ?? r.created_at,
  'Address.street': (r) => r.address_street,
  'Address.city': (r) => r.address_city,
  'Address.postalCode': (r) => r.address_postal_code,
  'Address.country': (r) => r.address_country,
  'Company.id': (r) => r.id,
  'Company.name': (r) => r.name,
  'Company.domain': (r) => r.domain,
  'Company.industry': (r) => r.industry,
  'Company.country': (r) => r.country,
  'Company.createdAt': (r) => r.created_at,
  'Company.updatedAt': (r) => r.updated_at,
  'Interaction.id': (r) => r.id,
  'Interaction.type': (r) => r.type,
  'Interaction.subject': (r) => r.subject,
  'Interaction.body': (r) => r.body,
  'Interaction.occurredAt': (r) => r.occurred_at,
  'Interaction.loggedBy': (r) => r.logged_by,
  'Interaction.createdAt': (r) => r.created_at,
  'Interaction.updatedAt': (r) => r.updated_at,
  'Ticket.id': (r) => r.id,
  'Ticket.subject': (r) => r.subject,
  'Ticket.description': (r) => r.description,
  'Ticket.status': (r) => r.status,
  'Ticket.priority': (r) => r.priority,
  'Ticket.createdAt': (r) => r.created_at,
  'Ticket.updatedAt': (r) => r.updated_at,
  'Ticket.solvedAt': (r) => r.solved_at,
  'ConsentEvent.id': (r) => r.id,
  'ConsentEvent.seq': (r) => r.seq,
  'ConsentEvent.purpose': (r) => r.purpose,
  'ConsentEvent.status': (r) => r.status,
  'ConsentEvent.method': (r) => r.method,
  'ConsentEvent.noticeVersion': (r) => r.notice_version,
  'ConsentEvent.capturedAt': (r) => r.captured_at,
  'ConsentEvent.recordedAt': (r) => r.recorded_at,
  'ConsentEvent.recordedBy': (r) => r.recorded_by,
  'ConsentEvent.verification': (r) => r.verification,
  'ConsentEvent.prevHash': (r) => r.prev_hash,
  'ConsentEvent.hash': (r) => r.hash,
  'ContactDuplicate.id': (r) => r.id,
  'ContactDuplicate.detectedForPurpose': (r) => r.detected_for_purpose,
  'ContactDuplicate.detectedAt': (r) => r.detected_at,
  'ContactDuplicate.resolution': (r) => r.resolution,
  'ContactDuplicate.resolvedAt': (r) => r.resolved_at,
};

const visibleContact = (purpose: Purpose, id: unknown) => {
  const contact = db.contacts.get(String(id));
  return contact !== undefined && maySeeRow(purpose, stateOf(contact));
};

/** The rows a relation leads to on one parent row, in the order the API promises (newest first). */
const RELATED: Record<string, (row: Row, purpose: Purpose) => Row[]> = {
  'Contact.company': (r) => (r.company_id ? [db.companies.get(String(r.company_id))!] : []),
  'Company.contacts': (r, purpose) =>
    [...db.contacts.values()]
      .filter(
        (c) =>
          c.company_id === r.id &&
          maySeeRow(purpose, stateOf(c)) &&
          decideField(purpose, 'Contact.company', stateOf(c)).allowed,
      )
      .sort(newest('created_at')),
  'Contact.interactions': (r) =>
    [...db.interactions.values()].filter((i) => i.contact_id === r.id).sort(newest('occurred_at')),
  'Interaction.contact': (r) => [db.contacts.get(String(r.contact_id))!],
  'Contact.tickets': (r) =>
    [...db.tickets.values()].filter((t) => t.requester_id === r.id).sort(newest('created_at')),
  'Contact.ticketConnection': (r) =>
    [...db.tickets.values()].filter((t) => t.requester_id === r.id).sort(newest('created_at')),
  'Ticket.requester': (r) => [db.contacts.get(String(r.requester_id))!],
  'ConsentEvent.contact': (r, purpose) =>
    visibleContact(purpose, r.contact_id) ? [db.contacts.get(String(r.contact_id))!] : [],
  'ContactDuplicate.contact': (r, purpose) =>
    visibleContact(purpose, r.contact_id) ? [db.contacts.get(String(r.contact_id))!] : [],
  'ContactDuplicate.existingContact': (r, purpose) =>
    visibleContact(purpose, r.existing_contact_id) ? [db.contacts.get(String(r.existing_contact_id))!] : [],
};

/** The database row behind an object of the answer, and the contact whose state decides its fields. */
function rowOf(typeName: string, id: unknown): { row?: Row; contact?: DbContact; known: boolean } {
  const key = String(id);
  switch (typeName) {
    case 'Contact': {
      const contact = db.contacts.get(key);
      return { row: contact, contact, known: true };
    }
    case 'Company':
      return { row: db.companies.get(key), known: true };
    case 'Interaction': {
      const row = db.interactions.get(key);
      return { row, contact: row && db.contacts.get(String(row.contact_id)), known: true };
    }
    case 'Ticket': {
      const row = db.tickets.get(key);
      return { row, contact: row && db.contacts.get(String(row.requester_id)), known: true };
    }
    case 'ContactDuplicate':
      // Its fields are the queue's (compliance's alone), its relations decided by RELATED: no subject of its own.
      return { row: db.duplicates.get(key), known: true };
    case 'ConsentEvent':
    case 'ConsentReceipt': {
      const row = db.events.find((e) => e.id === key);
      return { row, contact: row && db.contacts.get(String(row.contact_id)), known: true };
    }
    default:
      return { known: false };
  }
}

/** The response key of a selection's row id (`recordId` on a consent receipt). */
const idKeyOf = (sels: readonly Sel[]) =>
  (sels.find((s) => s.name === 'id') ?? sels.find((s) => s.name === 'recordId'))?.key ?? 'id';

class Check {
  readonly expected: Redaction[] = [];
  readonly problems: string[] = [];
  /** Per personal field: how often it was shown and hidden, to prove both sides were exercised. */
  readonly tally = new Map<string, { shown: number; hidden: number }>();
  /** Objects walked and checked field by field: a run that checked none asserted nothing. */
  objects = 0;
  constructor(readonly purpose: Purpose) {}

  fail(path: readonly (string | number)[], message: string): void {
    this.problems.push(`${path.join('.')}: ${message}`);
  }

  private count(field: string, shown: boolean): void {
    const entry = this.tally.get(field) ?? { shown: 0, hidden: 0 };
    if (shown) entry.shown++;
    else entry.hidden++;
    this.tally.set(field, entry);
  }

  /** One object of type `typeName`, with the row and contact that stand behind it (inherited by value types). */
  object(
    sels: readonly Sel[],
    typeName: string,
    value: unknown,
    path: (string | number)[],
    inherited?: { row?: Row; contact?: DbContact },
  ): void {
    if (typeof value !== 'object' || value === null) {
      this.fail(path, `expected an object of ${typeName}, got ${JSON.stringify(value)}`);
      return;
    }
    this.objects += 1;
    const object = value as Row;
    const idSel = sels.find((s) => s.key === idKeyOf(sels));
    const own = idSel ? rowOf(typeName, object[idSel.key]) : { known: false };
    const { row, contact } = own.known ? own : (inherited ?? {});
    if (own.known && !row)
      this.fail(path, `${typeName} ${String(object[idSel!.key])} is not in the database`);
    for (const sel of sels) {
      if (sel.name === '__typename') continue;
      const coordinate = `${typeName}.${sel.name}`;
      const at = [...path, sel.key];
      const v = object[sel.key];
      if (!(sel.key in object)) {
        this.fail(at, 'missing from the answer');
        continue;
      }
      if (isPersonalField(coordinate)) {
        if (!contact && typeName !== 'Company') {
          this.fail(at, `personal field on ${typeName} without a known subject: extend rowOf()`);
          continue;
        }
        const decision = decideField(this.purpose, coordinate, contact ? stateOf(contact) : ORDINARY_CONTACT);
        this.count(coordinate, decision.allowed);
        if (!decision.allowed) {
          if (v !== null) this.fail(at, `${coordinate} must be null (${decision.reason}), got a value`);
          this.expected.push({
            path: at,
            field: coordinate,
            category: PERSONAL_FIELDS[coordinate as PersonalField].category,
            reason: decision.reason,
          });
          continue;
        }
      } else if (
        !(NON_PERSONAL_FIELDS as readonly string[]).includes(coordinate) &&
        !PLUMBING.test(typeName)
      ) {
        if (typeName !== 'Address') this.fail(at, `${coordinate} is not classified`);
      }
      this.value(sel, typeName, coordinate, v, at, row, contact);
    }
  }

  /** A root's answer without row expectations (audit, notices, access…): classified, typed, and walked. */
  generic(sel: Sel, v: unknown, at: (string | number)[]): void {
    if (sel.children.length === 0) {
      if (sel.nonNull && (v === null || v === undefined)) this.fail(at, 'non-null field is null');
      return;
    }
    if (v === null) {
      if (sel.nonNull) this.fail(at, 'non-null field is null');
      return;
    }
    if (isConnection(sel.type)) {
      const nodeSel = sel.children.find((s) => s.name === 'edges')!.children.find((s) => s.name === 'node')!;
      for (const [i, edge] of ((v as { edges: { node: unknown }[] }).edges ?? []).entries()) {
        this.object(nodeSel.children, unwrap(sel.type).name, edge.node, [...at, 'edges', i, 'node']);
      }
      return;
    }
    const items = Array.isArray(v) ? v.map((item, i) => [item, [...at, i]] as const) : [[v, at] as const];
    for (const [item, itemPath] of items) this.object(sel.children, sel.type.name, item, [...itemPath]);
  }

  private value(
    sel: Sel,
    typeName: string,
    coordinate: string,
    v: unknown,
    at: (string | number)[],
    row: Row | undefined,
    contact: DbContact | undefined,
  ): void {
    if (sel.children.length === 0) {
      const leaf = LEAVES[coordinate];
      if (leaf && row) {
        const expected = leaf(typeName === 'Address' ? (contact ?? row) : row);
        if (JSON.stringify(v) !== JSON.stringify(expected ?? null))
          this.fail(at, `expected ${JSON.stringify(expected)}, got ${JSON.stringify(v)}`);
      } else if (sel.nonNull && (v === null || v === undefined)) this.fail(at, 'non-null field is null');
      return;
    }
    const related = RELATED[coordinate];
    if (related) {
      if (!row) {
        this.fail(at, `relation ${coordinate} on an unknown row`);
        return;
      }
      this.rows(sel, unwrap(sel.type).name, v, at, related(row, this.purpose), NESTED_FIRST);
      return;
    }
    if (Object.hasOwn(RELATIONS, coordinate)) {
      this.fail(at, `relation ${coordinate} has no expectation here: extend RELATED`);
      return;
    }
    // A value object (Address, a receipt's controller, pageInfo…): its fields belong to the same row.
    if (coordinate === 'Contact.address' && row) {
      const empty = ['address_street', 'address_city', 'address_postal_code', 'address_country'].every(
        (c) => row[c] === null,
      );
      if (empty) {
        if (v !== null) this.fail(at, 'expected no address');
        return;
      }
    }
    if (v === null) {
      if (sel.nonNull) this.fail(at, 'non-null field is null');
      return;
    }
    const items =
      sel.list && Array.isArray(v) ? v.map((item, i) => [item, [...at, i]] as const) : [[v, at] as const];
    for (const [item, itemPath] of items) {
      this.object(sel.children, sel.type.name, item, [...itemPath], { row, contact });
    }
  }

  /** A relation's or a root list's rows: exactly `expected` (its first `first`), each then checked whole. */
  rows(
    sel: Sel,
    target: string,
    v: unknown,
    at: (string | number)[],
    expected: Row[],
    first: number,
    unordered = false,
  ): void {
    const want = expected.slice(0, first).map((r) => r.id);
    const same = (got: unknown[]) =>
      unordered
        ? JSON.stringify([...got].sort()) === JSON.stringify([...want].sort())
        : JSON.stringify(got) === JSON.stringify(want);
    if (isConnection(sel.type)) {
      if (v === null || typeof v !== 'object') {
        this.fail(at, 'connection is null');
        return;
      }
      const connection = v as { totalCount?: number; edges?: { node: Row }[] };
      if (connection.totalCount !== expected.length)
        this.fail(at, `totalCount ${connection.totalCount}, expected ${expected.length}`);
      const edgesSel = sel.children.find((s) => s.name === 'edges')!;
      const nodeSel = edgesSel.children.find((s) => s.name === 'node')!;
      const idKey = idKeyOf(nodeSel.children);
      const got = (connection.edges ?? []).map((e) => e.node?.[idKey]);
      if (!same(got)) this.fail(at, `rows ${got.join()} expected ${want.join()}`);
      for (const [i, edge] of (connection.edges ?? []).entries()) {
        this.object(nodeSel.children, target, edge.node, [...at, 'edges', i, 'node']);
      }
      return;
    }
    const idKey = idKeyOf(sel.children);
    if (sel.list) {
      if (!Array.isArray(v)) {
        this.fail(at, 'list is null');
        return;
      }
      const got = v.map((item: Row) => item?.[idKey]);
      if (!same(got)) this.fail(at, `rows ${got.join()} expected ${want.join()}`);
      for (const [i, item] of v.entries()) this.object(sel.children, target, item, [...at, i]);
      return;
    }
    if (want.length === 0) {
      if (v !== null) this.fail(at, 'expected null: no related row the purpose may see');
      return;
    }
    if (v === null || typeof v !== 'object' || (v as Row)[idKey] !== want[0]) {
      this.fail(at, `expected row ${String(want[0])}, got ${JSON.stringify(v)}`);
      return;
    }
    this.object(sel.children, target, v, at);
  }
}

const sortEntries = (entries: readonly Redaction[]) =>
  entries.map((e) => JSON.stringify([e.path, e.field, e.category, e.reason])).sort();

// ---------------------------------------------------------------------------------------------------------------
// The roots.

interface RootCall {
  /** The request's document and variables. */
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  /** Checks the answer; returns nothing, records into `check`. */
  verify(check: Check, body: { data?: Row | null; errors?: { extensions?: Row; path?: unknown[] }[] }): void;
}

/** More than the seeded contacts, tickets and companies: every root list is whole. */
const ROOT_FIRST = 100;

/** Values for the required arguments of root fields, from the database: a new root field must say where its come from. */
function argumentValues(field: string): { args: string; row?: Row }[] | undefined {
  const seededContacts = Object.values(seeded).map((id) => db.contacts.get(id)!);
  const firstOf = <T extends Row>(rows: T[], key: string) =>
    seededContacts.flatMap((c) => rows.filter((r) => r[key] === c.id).slice(0, 1));
  switch (field) {
    case 'contact':
      return seededContacts.map((c) => ({ args: `id: "${c.id}"`, row: c }));
    case 'company':
      return [...db.companies.values()].map((c) => ({ args: `id: "${c.id}"`, row: c }));
    case 'interaction':
      return firstOf([...db.interactions.values()], 'contact_id').map((r) => ({
        args: `id: "${r.id}"`,
        row: r,
      }));
    case 'ticket':
      return firstOf([...db.tickets.values()], 'requester_id').map((r) => ({
        args: `id: "${r.id}"`,
        row: r,
      }));
    case 'consentHistory':
    case 'currentConsents': {
      const withEvents = [...new Set(db.events.map((e) => String(e.contact_id)))].slice(0, 2);
      return [...seededContacts.map((c) => c.id), ...withEvents].map((id) => ({
        args: `contactId: "${id}"`,
        row: db.contacts.get(id),
      }));
    }
    case 'consentReceipt':
      return db.events.slice(0, 4).map((e) => ({ args: `eventId: "${e.id}"`, row: e }));
    case 'privacyNotice':
      return [{ args: `version: "${String(db.notice ?? 'none')}"` }];
    case 'auditEvent':
      return db.auditEvents.map((e) => ({ args: `id: "${e.id}"` }));
    default:
      return undefined;
  }
}

/** The rows a root list answers with for the purpose, as the API promises them. */
function rootRows(field: string, purpose: Purpose): { rows: Row[]; unordered: boolean } | undefined {
  switch (field) {
    case 'contacts':
      return {
        rows: [...db.contacts.values()]
          .filter((c) => maySeeRow(purpose, stateOf(c)))
          .sort(newest('created_at')),
        unordered: false,
      };
    case 'companies':
      return { rows: [...db.companies.values()], unordered: true };
    case 'tickets':
      return {
        rows: [...db.tickets.values()]
          .filter((t) => visibleContact(purpose, t.requester_id))
          .sort(newest('created_at')),
        unordered: false,
      };
    default:
      return undefined;
  }
}

/** Whether a single-row root answers with its row for the purpose. */
function rootRowVisible(field: string, row: Row | undefined, purpose: Purpose): boolean {
  if (!row) return false;
  switch (field) {
    case 'contact':
      return maySeeRow(purpose, stateOf(row as DbContact));
    case 'company':
      return true;
    case 'interaction':
    case 'consentReceipt':
      return visibleContact(purpose, row.contact_id);
    case 'ticket':
      return visibleContact(purpose, row.requester_id);
    default:
      return true;
  }
}

function rootCalls(purpose: Purpose): { operation: string; call: RootCall }[] {
  const schema = gatewaySchema;
  const rows = rowTypes(schema);
  const calls: { operation: string; call: RootCall }[] = [];
  for (const field of Object.values(schema.getQueryType()!.getFields())) {
    const operation = `Query.${field.name}`;
    const sel = rootSelection(schema, field, rows);
    const named = sel.type;
    const required = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
    const values = required.length ? argumentValues(field.name) : [{ args: '' }];
    if (!values) {
      calls.push({
        operation,
        call: {
          query: '{ __typename }',
          verify: (check) =>
            check.fail([field.name], 'root field with required arguments: give argumentValues() a source'),
        },
      });
      continue;
    }
    const first = field.args.some((a) => a.name === 'first') ? `first: ${ROOT_FIRST}` : '';
    for (const value of values) {
      const args = [value.args, first].filter(Boolean).join(', ');
      const fragments = new Map<string, string>();
      const body = sel.children.length ? ` { ${printSelections(sel.children, named, fragments)} }` : '';
      const query = document(`${field.name}${args ? `(${args})` : ''}${body}`, fragments);
      calls.push({
        operation,
        call: {
          query,
          verify(check, response) {
            const at = [field.name];
            const data = response.data?.[field.name];
            if (!mayRunOperation(purpose, operation)) {
              const codes = (response.errors ?? []).map((e) => e.extensions?.code);
              if (!codes.includes('FORBIDDEN'))
                check.fail(at, `expected FORBIDDEN, got ${JSON.stringify(codes)}`);
              if (data !== undefined && data !== null) check.fail(at, 'a closed operation answered data');
              return;
            }
            const hiddenParent =
              (field.name === 'consentHistory' || field.name === 'currentConsents') &&
              !visibleContact(purpose, /contactId: "([^"]+)"/.exec(value.args)![1]);
            if (hiddenParent) {
              const codes = (response.errors ?? []).map((e) => e.extensions?.code);
              if (!codes.includes('NOT_FOUND'))
                check.fail(at, `expected NOT_FOUND, got ${JSON.stringify(codes)}`);
              return;
            }
            if (response.errors?.length) {
              check.fail(at, `errors: ${JSON.stringify(response.errors.map((e) => e.extensions?.code))}`);
              return;
            }
            const list = rootRows(field.name, purpose);
            if (list) {
              check.rows(sel, unwrap(named).name, data, at, list.rows, ROOT_FIRST, list.unordered);
            } else if (
              value.row !== undefined &&
              rows.has(unwrap(named).name) &&
              !isConnection(named) &&
              !sel.list
            ) {
              const visible = rootRowVisible(field.name, value.row, purpose);
              check.rows(sel, unwrap(named).name, data, at, visible ? [value.row] : [], 1);
            } else check.generic(sel, data, at);
          },
        },
      });
    }
  }
  return calls;
}

/** `_entities` at one subgraph, with representations of the seeded contacts and of an id that never existed. */
function entitiesCall(subgraph: string, purpose: Purpose): RootCall {
  const schema = subgraphSchemas[subgraph]!;
  const contact = schema.getType('Contact')!;
  const rows = new Set([...rowTypes(schema), 'Contact']);
  const children = selectRow(schema, contact, 0, rows);
  const fragments = new Map<string, string>();
  const query = document(
    `_entities(representations: $r) { ${printSelections(children, contact, fragments)} }`,
    fragments,
    '($r: [_Any!]!)',
  );
  const ids = [...Object.values(seeded), '00000000-0000-4000-8000-00000000dead'];
  return {
    query,
    variables: { r: ids.map((id) => ({ __typename: 'Contact', id })) },
    verify(check, response) {
      const at = ['_entities'];
      if (!mayRunOperation(purpose, 'Query._entities')) {
        const codes = (response.errors ?? []).map((e) => e.extensions?.code);
        if (!codes.includes('FORBIDDEN')) check.fail(at, `expected FORBIDDEN, got ${JSON.stringify(codes)}`);
        return;
      }
      if (response.errors?.length) check.fail(at, `errors: ${JSON.stringify(response.errors)}`);
      const entities = (response.data?._entities ?? []) as unknown[];
      if (entities.length !== ids.length) check.fail(at, `expected ${ids.length} entities`);
      for (const [i, id] of ids.entries()) {
        const visible = visibleContact(purpose, id);
        if (!visible) {
          if (entities[i] !== null) check.fail([...at, i], 'a contact the purpose may not see must be null');
          continue;
        }
        check.object(children, 'Contact', entities[i], [...at, i]);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The suite.

describe('the policy tables and the composed schema', () => {
  it('classifies every field of the supergraph and of each subgraph as personal or not', () => {
    for (const [name, schema] of Object.entries({ gateway: gatewaySchema, ...subgraphSchemas })) {
      const fields = dataFields(schema);
      // Each walks its own share: Custos the contact's own fields, tickets the relations it adds to Contact.
      expect(fields, name).toContain(name === 'tickets' ? 'Contact.tickets' : 'Contact.company');
      expect(fields, name).toContain(name === 'tickets' ? 'Ticket.status' : 'Contact.email');
      const unclassified = fields.filter(
        (f) => !isPersonalField(f) && !(NON_PERSONAL_FIELDS as readonly string[]).includes(f),
      );
      expect({ name, unclassified }).toEqual({ name, unclassified: [] });
    }
  });

  it('fails a field added without a classification (the check is not vacuous)', () => {
    const grown = extendSchema(
      gatewaySchema,
      parse('extend type Contact { nickname: String } extend type Company { ceo: Contact }'),
    );
    const unclassified = dataFields(grown).filter(
      (f) => !isPersonalField(f) && !(NON_PERSONAL_FIELDS as readonly string[]).includes(f),
    );
    expect(unclassified.sort()).toEqual(['Company.ceo', 'Contact.nickname']);
  });

  it('names each operation with the row type it answers, and each relation with its target', () => {
    const rows = rowTypes(gatewaySchema);
    for (const root of [gatewaySchema.getQueryType()!, gatewaySchema.getMutationType()!]) {
      for (const field of Object.values(root.getFields())) {
        const operation = `${root.name}.${field.name}`;
        expect(Object.hasOwn(OPERATION_RESULTS, operation), operation).toBe(true);
        expect({ operation, type: unwrap(getNamedType(field.type)).name }).toEqual({
          operation,
          type: OPERATION_RESULTS[operation as keyof typeof OPERATION_RESULTS],
        });
      }
    }
    const found: Record<string, string> = {};
    for (const type of Object.values(gatewaySchema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('_') || PLUMBING.test(type.name)) continue;
      if (type === gatewaySchema.getQueryType() || type === gatewaySchema.getMutationType()) continue;
      for (const field of Object.values(type.getFields())) {
        const target = unwrap(getNamedType(field.type)).name;
        if (rows.has(target)) found[`${type.name}.${field.name}`] = target;
      }
    }
    const declared = Object.fromEntries(Object.entries(RELATIONS).map(([field, r]) => [field, r.target]));
    expect(found).toEqual(declared);
  });
});

describe('the seeded contacts', () => {
  it('cover every state, each with a company, interactions and tickets, and give every purpose rows to show and to hide', () => {
    expect(Object.keys(seeded).sort()).toEqual(Object.keys(STATES).sort());
    // Root lists ask for ROOT_FIRST rows: each is whole.
    for (const table of [db.contacts, db.companies, db.tickets]) expect(table.size).toBeLessThan(ROOT_FIRST);
    for (const id of Object.values(seeded)) {
      const contact = db.contacts.get(id)!;
      expect(contact.company_id).not.toBeNull();
      expect([...db.interactions.values()].some((i) => i.contact_id === id)).toBe(true);
      expect([...db.tickets.values()].some((t) => t.requester_id === id)).toBe(true);
    }
    // The consent ledger's roots (history, receipts) have events to walk, and the audit trail's event root too.
    expect(db.events.length).toBeGreaterThan(0);
    expect(db.auditEvents.length).toBeGreaterThan(0);
    for (const purpose of PURPOSES) {
      const rule = PURPOSE_DEFINITIONS[purpose].rows;
      const states = Object.values(seeded).map((id) => stateOf(db.contacts.get(id)!));
      const shown = states.filter((s) => maySeeRow(purpose, s)).length;
      const hidden = states.length - shown;
      expect({ purpose, shows: shown > 0 }).toEqual({ purpose, shows: rule.contacts !== 'none' });
      const excludes =
        rule.contacts === 'none' ||
        rule.restricted === 'exclude' ||
        rule.requiresConsent ||
        rule.objection === 'exclude';
      expect({ purpose, hides: hidden > 0 }).toEqual({ purpose, hides: excludes });
    }
  });
});

const CASES = (Object.entries(ROLE_PURPOSES) as [Role, readonly Purpose[]][]).flatMap(([role, purposes]) =>
  purposes.map((purpose) => [role, purpose] as const),
);

describe.each(CASES)('%s declaring %s', (role, purpose) => {
  it('reaches from every root and _entities, to depth 4, exactly what the policy allows', async () => {
    const token = await federation.custos.token([role]);
    const check = new Check(purpose);
    const run = async (url: string, call: RootCall, label: string) => {
      const res = await postGraphQL<Row>(url, call.query, { token, purpose, variables: call.variables });
      if (res.status !== 200) check.fail([label], `HTTP ${res.status}: ${res.text.slice(0, 200)}`);
      const start = check.expected.length;
      call.verify(check, res.body);
      const got = (res.body.extensions?.redactions ?? []) as Redaction[];
      const want = sortEntries(check.expected.slice(start));
      const have = sortEntries(got);
      const missing = want.filter((e) => !have.includes(e));
      const extra = have.filter((e) => !want.includes(e));
      if (missing.length || extra.length || want.length !== have.length) {
        check.fail(
          [label],
          `redactions: missing ${missing.slice(0, 3).join(' ')} extra ${extra.slice(0, 3).join(' ')}`,
        );
      }
    };
    for (const { operation, call } of rootCalls(purpose)) {
      await run(`${gateway.url}/graphql`, call, operation);
    }
    await run(federation.custos.graphqlUrl, entitiesCall('custos', purpose), 'custos _entities');
    await run(`${federation.tickets!.url}/graphql`, entitiesCall('tickets', purpose), 'tickets _entities');
    expect(check.problems.slice(0, 25)).toEqual([]);
    expect(check.problems).toHaveLength(0);
    // Every purpose reaches some rows (companies are open to every purpose): the walk checked objects.
    expect(check.objects).toBeGreaterThan(0);

    // Both sides were exercised: every personal field of a type the purpose reaches was met; shown where the
    // policy opens it on some contact, hidden where it never does.
    const reached = nestedTypes(purpose);
    for (const field of PERSONAL_FIELD_NAMES) {
      if (!reached.has(field.split('.')[0]!)) continue;
      const tally = check.tally.get(field) ?? { shown: 0, hidden: 0 };
      const opened = fieldVisibility(purpose, field) !== 'never';
      expect({ field, met: opened ? tally.shown > 0 : tally.hidden > 0 }).toEqual({ field, met: true });
    }
  }, 300_000);
});

describe('a relation the gateway removes', () => {
  it('takes its variables and fragments with it, on the direct and the planned path', async () => {
    const token = await federation.custos.token(['marketer']);
    const purpose: Purpose = 'marketing';
    const visible = [...db.contacts.values()]
      .filter((c) => maySeeRow(purpose, stateOf(c)))
      .sort(newest('created_at'))
      .slice(0, 3);
    expect(visible.length).toBeGreaterThan(0);
    for (const [query, removed] of [
      // Custos alone (the direct path): a variable and a fragment used only under removed relations.
      [
        'query Direct($n: Int) { contacts(first: 3) { edges { node { id interactions(first: $n) { totalCount } company { ...Employer } } } } } fragment Employer on Company { name }',
        ['interactions', 'company'],
      ],
      // Across both subgraphs (the query plan): the tickets subgraph's relation with a variable.
      [
        'query Planned($n: Int) { contacts(first: 3) { edges { node { id tickets(first: $n) { id } } } } }',
        ['tickets'],
      ],
    ] as const) {
      const res = await postGraphQL<{ contacts: { edges: { node: Row }[] } }>(
        `${gateway.url}/graphql`,
        query,
        {
          token,
          purpose,
          variables: { n: 2 },
        },
      );
      expect(res.body.errors).toBeUndefined();
      const nodes = res.body.data!.contacts.edges.map((e) => e.node);
      expect(nodes.map((n) => n.id)).toEqual(visible.map((c) => c.id));
      const expected = nodes.flatMap((_, i) =>
        removed.map((key) => {
          const field = `Contact.${key}` as PersonalField;
          const decision = decideField(purpose, field, ORDINARY_CONTACT);
          expect(decision.allowed).toBe(false);
          return {
            path: ['contacts', 'edges', i, 'node', key],
            field,
            category: PERSONAL_FIELDS[field].category,
            reason: decision.allowed ? '' : decision.reason,
          };
        }),
      );
      for (const node of nodes) for (const key of removed) expect(node[key]).toBeNull();
      expect(sortEntries((res.body.extensions?.redactions ?? []) as Redaction[])).toEqual(
        sortEntries(expected),
      );
    }
  });
});

describe.each(CASES)('%s declaring %s: filters', (role, purpose) => {
  it('filters on a relation or a ticket status only as it may read them', async () => {
    const token = await federation.custos.token([role]);
    const company = db.contacts.get(seeded.restricted!)!.company_id!;
    const byCompany = await postGraphQL<{ contacts: { totalCount: number; nodes: { id: string }[] } }>(
      `${gateway.url}/graphql`,
      `{ contacts(first: ${ROOT_FIRST}, filter: { companyId: "${company}" }) { totalCount nodes { id } } }`,
      { token, purpose },
    );
    const byStatus = await postGraphQL<{ tickets: { totalCount: number; nodes: { id: string }[] } }>(
      `${gateway.url}/graphql`,
      `{ tickets(first: ${ROOT_FIRST}, status: OPEN) { totalCount nodes { id } } }`,
      { token, purpose },
    );
    for (const [res, operation, field, rows] of [
      [
        byCompany,
        'Query.contacts',
        'Contact.company',
        [...db.contacts.values()].filter(
          (c) =>
            c.company_id === company &&
            maySeeRow(purpose, stateOf(c)) &&
            decideField(purpose, 'Contact.company', stateOf(c)).allowed,
        ),
      ],
      [
        byStatus,
        'Query.tickets',
        'Ticket.status',
        [...db.tickets.values()].filter((t) => {
          const requester = db.contacts.get(String(t.requester_id))!;
          return (
            t.status === 'OPEN' &&
            maySeeRow(purpose, stateOf(requester)) &&
            decideField(purpose, 'Ticket.status', stateOf(requester)).allowed
          );
        }),
      ],
    ] as const) {
      const code = res.body.errors?.[0]?.extensions?.code;
      if (!mayRunOperation(purpose, operation)) {
        expect(code).toBe('FORBIDDEN');
        continue;
      }
      if (fieldVisibility(purpose, field) === 'never') {
        // Refused, naming the filter and the rule, never the value.
        expect(code).toBe('BAD_USER_INPUT');
        expect(res.text).not.toContain(company);
        continue;
      }
      expect(res.body.errors).toBeUndefined();
      const data = Object.values(res.body.data!)[0] as { totalCount: number; nodes: { id: string }[] };
      expect(data.nodes.map((n) => n.id).sort()).toEqual(rows.map((r) => r.id).sort());
      expect(data.totalCount).toBe(rows.length);
    }
    // The restricted contact works there: support sees the company's other people, not that one's employer.
    if (purpose === 'customer_support') {
      expect(byCompany.body.data!.contacts.nodes.map((n) => n.id)).not.toContain(seeded.restricted);
      expect(byCompany.body.data!.contacts.totalCount).toBeGreaterThan(0);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The mutations: every Mutation field of the composed schema, called by every role and purpose on rows made for
// that one call (a company per role and purpose, a contact per call with its interaction and ticket), its payload
// walked to depth 4 with the checks of the roots. A Mutation field without a recipe below fails the suite.

/** What one role and purpose's calls share: the rows they are made on are marked with `tag`. */
interface Fixture {
  readonly purpose: Purpose;
  /** Unique per role, purpose and mutation: names the rows made for the call. */
  readonly tag: string;
  /** Short and unique per role and purpose (a notice version or a rule id must be short). */
  readonly short: string;
  /** The caller's token subject, as the ledgers record it. */
  readonly sub: string;
  /** A company made for this role and purpose: each fresh contact works there. */
  readonly company: string;
}

/** One prepared call: its arguments, and what the database and the payload must say afterwards. */
interface MutationCall {
  readonly args: string;
  /** The payload's row as the database holds it after the call (found from the input, not from the answer). */
  readonly row?: () => Row | undefined;
  /** What the input decides of the payload: fields by name, or the whole value of a scalar payload. */
  readonly payload?: () => unknown;
  /**
   * Whether the database holds the call's change, read after it: it must where the operation is open, and must
   * not where it is closed. Absent only where a call changes nothing that this suite could make (redriving a
   * dead letter: there is none, and the payload says so).
   */
  readonly applied?: () => boolean;
}

/** A contact made for one call: every personal field set, in the test's company, consenting, with a ticket. */
async function freshContact(fx: Fixture, label = 'contact'): Promise<{ id: string; interaction: string }> {
  const { custos } = federation;
  const [contact] = await custos.sql<{ id: string }>(
    `insert into contact (id, full_name, email, phone, birth_date, address_street, address_city,
       address_postal_code, address_country, ip_address, health_notes, company_id, created_at, updated_at)
     values (gen_random_uuid(), $1, $2, '+14155550188', '1979-04-05', '5 Fixture Way', 'Lyon', '69001', 'FR',
       '198.51.100.7', 'Fixture notes', $3, clock_timestamp(), clock_timestamp())
     returning id`,
    [`Fresh ${fx.tag} ${label}`, `${fx.tag}-${label}@reach.test`.toLowerCase(), fx.company],
  );
  const id = contact!.id;
  // Every purpose that reads contacts may see it: consent-based ones through their grants.
  await setConsentState(custos, id, 'marketing', 'GRANTED');
  await setConsentState(custos, id, 'sale_share', 'GRANTED');
  const [interaction] = await custos.sql<{ id: string }>(
    `insert into interaction (id, contact_id, type, subject, body, occurred_at, logged_by, created_at, updated_at)
     values (gen_random_uuid(), $1, 'CALL', $2, 'Fixture body', clock_timestamp(), 'fixture', clock_timestamp(),
       clock_timestamp())
     returning id`,
    [id, `Fixture call ${fx.tag}`],
  );
  await custos.sql(
    `insert into tickets.ticket (id, requester_id, subject, description, status, priority, created_at, updated_at)
     values (gen_random_uuid(), $1, $2, 'Fixture ticket description', 'PENDING', 'LOW', now(), now())`,
    [id, `Fixture ticket ${fx.tag}`],
  );
  return { id, interaction: interaction!.id };
}

const literal = (value: string) => JSON.stringify(value);
const eventsOf = (contactId: string) =>
  db.events.filter((e) => e.contact_id === contactId).sort((a, b) => Number(b.seq) - Number(a.seq));
/** The contact's newest ledger event when it is `status` for `purpose` recorded by `sub`. */
const newEvent = (contactId: string, purpose: string, status: string, sub: string) => {
  const [event] = eventsOf(contactId);
  return event && event.purpose === purpose && event.status === status && event.recorded_by === sub
    ? event
    : undefined;
};

/** Per Mutation field: the rows its call needs, made now, and the arguments that act on them. */
const MUTATIONS: Record<string, (fx: Fixture) => Promise<MutationCall>> = {
  async createContact(fx) {
    const email = `${fx.tag}-created@reach.test`.toLowerCase();
    // Every input the purpose may write (only what it may read: no writing blind), each with its column's value.
    const inputs: [string, PersonalField, string, (c: DbContact) => unknown, unknown][] = [
      ['phone', 'Contact.phone', literal('+14155550142'), (c) => c.phone, '+14155550142'],
      ['birthDate', 'Contact.birthDate', literal('1985-06-07'), (c) => c.birth_date, '1985-06-07'],
      ['ipAddress', 'Contact.ipAddress', literal('192.0.2.42'), (c) => c.ip_address, '192.0.2.42'],
      [
        'healthNotes',
        'Contact.healthNotes',
        literal('Created notes'),
        (c) => c.health_notes,
        'Created notes',
      ],
      ['companyId', 'Contact.company', literal(fx.company), (c) => c.company_id, fx.company],
      [
        'address',
        'Contact.address',
        '{ street: "1 Created St", city: "Bonn", postalCode: "53111", country: "DE" }',
        (c) => `${c.address_street}|${c.address_city}|${c.address_postal_code}|${c.address_country}`,
        '1 Created St|Bonn|53111|DE',
      ],
    ];
    const sent = inputs.filter(([, field]) => decideField(fx.purpose, field, ORDINARY_CONTACT).allowed);
    const fullName = `Created ${fx.tag}`;
    const row = () => [...db.contacts.values()].find((c) => c.email === email);
    return {
      args: `input: { fullName: ${literal(fullName)}, email: ${literal(email)}, ${sent
        .map(([name, , value]) => `${name}: ${value}`)
        .join(', ')} }`,
      row,
      applied: () => {
        const c = row();
        return (
          c !== undefined &&
          c.full_name === fullName &&
          sent.every(([, , , column, value]) => column(c) === value)
        );
      },
    };
  },
  async updateContact(fx) {
    const { id } = await freshContact(fx);
    const fullName = `Updated ${fx.tag}`;
    return {
      args: `id: ${literal(id)}, input: { fullName: ${literal(fullName)}, phone: "+14155550143" }`,
      row: () => db.contacts.get(id),
      applied: () =>
        db.contacts.get(id)?.full_name === fullName && db.contacts.get(id)?.phone === '+14155550143',
    };
  },
  async limitSensitiveDataUse(fx) {
    const { id } = await freshContact(fx);
    return {
      args: `contactId: ${literal(id)}, limited: true`,
      row: () => db.contacts.get(id),
      applied: () => db.contacts.get(id)?.limit_sensitive === true,
    };
  },
  async createInteraction(fx) {
    const { id } = await freshContact(fx);
    const subject = `Logged ${fx.tag}`;
    const occurredAt = '2026-11-30T10:15:00.000Z';
    const row = () => [...db.interactions.values()].find((i) => i.subject === subject);
    return {
      args: `input: { contactId: ${literal(id)}, type: MEETING, subject: ${literal(subject)}, body: "Logged body",
        occurredAt: ${literal(occurredAt)} }`,
      row,
      applied: () => {
        const i = row();
        return (
          i !== undefined &&
          i.contact_id === id &&
          i.type === 'MEETING' &&
          i.body === 'Logged body' &&
          i.occurred_at === occurredAt &&
          i.logged_by === fx.sub
        );
      },
    };
  },
  async updateInteraction(fx) {
    const { interaction } = await freshContact(fx);
    const subject = `Relogged ${fx.tag}`;
    return {
      args: `id: ${literal(interaction)}, input: { type: NOTE, subject: ${literal(subject)} }`,
      row: () => db.interactions.get(interaction),
      applied: () =>
        db.interactions.get(interaction)?.subject === subject &&
        db.interactions.get(interaction)?.type === 'NOTE',
    };
  },
  async recordConsent(fx) {
    const { id } = await freshContact(fx);
    return {
      args: `input: { contactId: ${literal(id)}, purpose: "marketing", status: DENIED, method: PHONE,
        evidence: { source: ${literal(`call ${fx.tag}`)} } }`,
      row: () => newEvent(id, 'marketing', 'DENIED', fx.sub),
      applied: () => newEvent(id, 'marketing', 'DENIED', fx.sub)?.method === 'PHONE',
    };
  },
  async withdrawConsent(fx) {
    const { id } = await freshContact(fx);
    return {
      args: `contactId: ${literal(id)}, purpose: "marketing"`,
      row: () => newEvent(id, 'marketing', 'WITHDRAWN', fx.sub),
      applied: () => newEvent(id, 'marketing', 'WITHDRAWN', fx.sub)?.method === 'ADMIN',
    };
  },
  async objectToProcessing(fx) {
    const { id } = await freshContact(fx);
    return {
      args: `contactId: ${literal(id)}, purpose: "sales", method: EMAIL`,
      row: () => newEvent(id, 'sales', 'OBJECTED', fx.sub),
      applied: () => newEvent(id, 'sales', 'OBJECTED', fx.sub)?.method === 'EMAIL',
    };
  },
  async importConsents(fx) {
    const { id } = await freshContact(fx);
    const lines = [`${id},marketing,DENIED`];
    return {
      args: `csv: ${literal(['contact_id,purpose,status', ...lines].join('\n'))}`,
      payload: () => ({ imported: lines.length }),
      applied: () => newEvent(id, 'marketing', 'DENIED', fx.sub)?.method === 'IMPORT',
    };
  },
  async resolveContactDuplicate(fx) {
    const existing = await freshContact(fx, 'existing');
    const written = await freshContact(fx, 'written');
    const [duplicate] = await federation.custos.sql<{ id: string }>(
      `insert into contact_duplicate (id, contact_id, existing_contact_id, detected_for_purpose, detected_at)
       values (gen_random_uuid(), $1, $2, 'customer_support', now()) returning id`,
      [written.id, existing.id],
    );
    const id = duplicate!.id;
    return {
      args: `id: ${literal(id)}, resolution: DISTINCT_PEOPLE`,
      row: () => db.duplicates.get(id),
      applied: () =>
        db.duplicates.get(id)?.resolution === 'DISTINCT_PEOPLE' &&
        db.duplicates.get(id)?.resolved_at !== null,
    };
  },
  async publishPrivacyNotice(fx) {
    const version = `reach-${fx.short}`;
    const text = `The notice of ${fx.tag}.`;
    return {
      args: `input: { version: ${literal(version)}, text: ${literal(text)} }`,
      payload: () => ({
        version,
        text,
        textSha256: createHash('sha256').update(text, 'utf8').digest('hex'),
      }),
      applied: () => notices.has(version),
    };
  },
  async setAuditRule(fx) {
    const id = `reach-${fx.short}`;
    const params = { limit: 100000, minutes: 1 };
    return {
      args: `input: { id: ${literal(id)}, kind: DISTINCT_CONTACTS, description: ${literal(`Rule of ${fx.tag}`)},
        params: ${literal(JSON.stringify(params))}, enabled: false }`,
      payload: () => ({
        id,
        kind: 'DISTINCT_CONTACTS',
        description: `Rule of ${fx.tag}`,
        enabled: false,
        updatedBy: fx.sub,
      }),
      applied: () => rules.get(id)?.updated_by === fx.sub,
    };
  },
  async acknowledgeAuditAlert(fx) {
    const [alert] = await federation.custos.sql<{ id: string }>(
      `insert into audit_alert (id, rule_id, kind, actor_sub, purpose, fired_at, service, details, status)
       values (gen_random_uuid(), 'bulk-read', 'DISTINCT_CONTACTS', $1, 'sales', now(), 'custos', '{}', 'OPEN')
       returning id`,
      [`fixture-${fx.tag}`],
    );
    const id = alert!.id;
    return {
      args: `id: ${literal(id)}`,
      payload: () => ({ id, status: 'ACKNOWLEDGED', acknowledgedBy: fx.sub, actor: `fixture-${fx.tag}` }),
      applied: () => alerts.get(id)?.status === 'ACKNOWLEDGED' && alerts.get(id)?.acknowledged_by === fx.sub,
    };
  },
  async redriveDeadLetter() {
    // No dead letter has this id: false, whoever may ask.
    return { args: `id: ${literal(randomUUID())}`, payload: () => false };
  },
  async createCompany(fx) {
    const name = `Founded ${fx.tag}`;
    const row = () => [...db.companies.values()].find((c) => c.name === name);
    return {
      args: `input: { name: ${literal(name)}, domain: "founded.example", industry: "Testing", country: "FR" }`,
      row,
      applied: () => row()?.domain === 'founded.example' && row()?.country === 'FR',
    };
  },
  async updateCompany(fx) {
    // The test's company, with its fresh contacts: Company.contacts has rows to show or hide.
    await freshContact(fx);
    const industry = `Renamed ${fx.tag}`.slice(0, 100);
    return {
      args: `id: ${literal(fx.company)}, input: { industry: ${literal(industry)} }`,
      row: () => db.companies.get(fx.company),
      applied: () => db.companies.get(fx.company)?.industry === industry,
    };
  },
};

/** The audit trail's rules and alerts and the published notices, read after each call (the payloads' truth). */
const rules = new Map<string, Row>();
const alerts = new Map<string, Row>();
const notices = new Set<string>();
async function loadAfterMutation(): Promise<void> {
  await loadDatabase();
  const { custos } = federation;
  rules.clear();
  for (const rule of await custos.sql('select id, updated_by from audit_rule'))
    rules.set(String(rule.id), rule);
  alerts.clear();
  for (const alert of await custos.sql('select id, status, acknowledged_by from audit_alert'))
    alerts.set(String(alert.id), alert);
  notices.clear();
  for (const notice of await custos.sql<{ version: string }>('select version from privacy_notice'))
    notices.add(notice.version);
}

/** The Mutation fields of `schema` that have no recipe, and recipes for fields it does not have. */
function recipeGaps(schema: GraphQLSchema): { missing: string[]; stale: string[] } {
  const fields = Object.keys(schema.getMutationType()?.getFields() ?? {});
  return {
    missing: fields.filter((field) => !Object.hasOwn(MUTATIONS, field)).sort(),
    stale: Object.keys(MUTATIONS)
      .filter((field) => !fields.includes(field))
      .sort(),
  };
}

describe('the mutations', () => {
  it('each have an argument recipe, and one added without a recipe is found', () => {
    const fields = Object.keys(gatewaySchema.getMutationType()!.getFields());
    // Every mutation the policy names is in the composed schema, and each has a recipe.
    const named = Object.keys(OPERATIONS).filter((operation) => operation.startsWith('Mutation.'));
    expect(fields.map((field) => `Mutation.${field}`).sort()).toEqual(named.sort());
    expect(recipeGaps(gatewaySchema)).toEqual({ missing: [], stale: [] });
    const grown = extendSchema(
      gatewaySchema,
      parse('extend type Mutation { eraseContact(id: ID!): Boolean }'),
    );
    expect(recipeGaps(grown)).toEqual({ missing: ['eraseContact'], stale: [] });
  });
});

describe.each(CASES)('%s declaring %s: every mutation', (role, purpose) => {
  it('answers FORBIDDEN where the operation is closed and changes nothing; elsewhere changes, and its payload to depth 4 holds exactly what the policy allows', async () => {
    const { custos } = federation;
    const sub = `reach-${role}-${purpose}`;
    const token = await custos.token([role], sub);
    const short = `${CASES.findIndex(([r, p]) => r === role && p === purpose)}`;
    const [company] = await custos.sql<{ id: string }>(
      `insert into company (id, name, domain, industry, country, created_at, updated_at)
       values (gen_random_uuid(), $1, 'mutations.example', 'Fixtures', 'FR', now(), now()) returning id`,
      [`Mutations of ${role} ${purpose}`],
    );
    const schema = gatewaySchema;
    const rows = rowTypes(schema);
    const check = new Check(purpose);
    const fields = Object.values(schema.getMutationType()!.getFields());
    const open = fields.filter((field) => mayRunOperation(purpose, `Mutation.${field.name}`));
    // Computed apart from the policy's function: the table's rows that name this purpose.
    expect(open.map((field) => field.name).sort()).toEqual(
      Object.entries(OPERATIONS)
        .filter(
          ([operation, purposes]) => operation.startsWith('Mutation.') && purposes.includes(purpose as never),
        )
        .map(([operation]) => operation.slice('Mutation.'.length))
        .sort(),
    );
    let walked = 0;
    for (const field of fields) {
      const operation = `Mutation.${field.name}`;
      const at = [field.name];
      const recipe = MUTATIONS[field.name];
      if (!recipe) {
        check.fail(at, 'no argument recipe: add one to MUTATIONS');
        continue;
      }
      const call = await recipe({ purpose, tag: `${sub}-${field.name}`, short, sub, company: company!.id });
      const sel = rootSelection(schema, field, rows);
      const named = sel.type;
      const fragments = new Map<string, string>();
      const body = sel.children.length ? ` { ${printSelections(sel.children, named, fragments)} }` : '';
      const query = `mutation Reach { ${field.name}(${call.args})${body} }\n${[...fragments]
        .map(([name, text]) => `fragment ${name} ${text}`)
        .join('\n')}`;
      const res = await postGraphQL<Row>(`${gateway.url}/graphql`, query, { token, purpose });
      await loadAfterMutation();
      const data = res.body.data?.[field.name];
      const codes = (res.body.errors ?? []).map((e) => e.extensions?.code);
      if (!mayRunOperation(purpose, operation)) {
        if (!codes.includes('FORBIDDEN')) check.fail(at, `expected FORBIDDEN, got ${JSON.stringify(codes)}`);
        if (data !== undefined && data !== null) check.fail(at, 'a closed operation answered data');
        if (call.applied?.()) check.fail(at, 'a closed operation changed the database');
        continue;
      }
      if (res.status !== 200 || codes.length > 0) {
        check.fail(at, `HTTP ${res.status}, errors ${JSON.stringify(res.body.errors)}`);
        continue;
      }
      if (call.applied && !call.applied()) check.fail(at, 'the database does not hold the change');
      const start = check.expected.length;
      const before = check.objects;
      if (call.row) {
        const row = call.row();
        if (!row) check.fail(at, 'the payload row is not in the database');
        else check.rows(sel, unwrap(named).name, data, at, [row], 1);
      } else check.generic(sel, data, at);
      walked += check.objects - before;
      if (call.payload) {
        const want = call.payload();
        const got =
          typeof want === 'object' && want !== null && typeof data === 'object' && data !== null
            ? Object.fromEntries(Object.keys(want).map((key) => [key, (data as Row)[key]]))
            : data;
        if (JSON.stringify(got) !== JSON.stringify(want))
          check.fail(at, `payload ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      }
      const want = sortEntries(check.expected.slice(start));
      const have = sortEntries((res.body.extensions?.redactions ?? []) as Redaction[]);
      if (JSON.stringify(want) !== JSON.stringify(have)) {
        const missing = want.filter((e) => !have.includes(e));
        const extra = have.filter((e) => !want.includes(e));
        check.fail(
          at,
          `redactions: missing ${missing.slice(0, 3).join(' ')} extra ${extra.slice(0, 3).join(' ')}`,
        );
      }
    }
    expect(check.problems.slice(0, 25)).toEqual([]);
    expect(check.problems).toHaveLength(0);
    // A purpose that may run a mutation with a row payload had its payloads walked, object by object.
    const rowPayloads = open.filter((field) => isObjectType(getNamedType(field.type)));
    expect({ purpose, walked: walked > 0 }).toEqual({ purpose, walked: rowPayloads.length > 0 });
  }, 300_000);
});

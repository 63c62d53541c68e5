import { query } from '@custos/database';
import {
  type ConsentStatus,
  consentStatusProblem,
  PURPOSE_DEFINITIONS,
  PURPOSES,
  type Purpose,
} from '@custos/policy';
import { en, Faker } from '@faker-js/faker';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BIT_OF_PURPOSE, eventHash } from '../consent/consent.ledger.js';
import { FIRST_NOTICE } from '../db/migrations/Migration20261123020000ConsentLedger.js';
import { INTERACTION_TYPES } from '../interactions/interaction.entity.js';

/** Who recorded the demo's consents (an import). */
const SEED_ACTOR = 'seed:demo-import';

/**
 * The deterministic demo data set: the same seed and size give the same ids and values on every machine
 * and every run (faker with a fixed seed and a fixed reference date; no clock, no randomUUID).
 */
export const SEED = 20_261_122;
const REFERENCE_DATE = new Date('2026-01-01T00:00:00.000Z');
const FIRST_CREATED = new Date('2023-01-01T00:00:00.000Z');
const BATCH = 2_000;

export interface SeedOptions {
  readonly contacts: number;
  readonly onProgress?: (message: string) => void;
}

export interface SeedResult {
  readonly seeded: boolean;
  readonly companies: number;
  readonly contacts: number;
  readonly interactions: number;
}

type Weighted = { weight: number; value: ConsentStatus | null }[];

/**
 * The demo's current consent state, per purpose the policy lets a person answer (packages/policy): about half
 * consent to each consent-based purpose (marketing's half is the benchmark's premise), some withdrew, refused or
 * — where the row rule honours it — objected; a few objected to each legitimate-interest purpose that honours
 * objections (Art 21). A purpose without rows has no one to answer it. No purpose is named here: a purpose added
 * to the policy gets its share of the demo.
 */
const CONSENT_MIX: [Purpose, Weighted][] = PURPOSES.flatMap((purpose): [Purpose, Weighted][] => {
  const { lawfulBasis, rows } = PURPOSE_DEFINITIONS[purpose];
  if (rows.contacts === 'none') return [];
  const objects = consentStatusProblem(purpose, 'OBJECTED') === undefined;
  if (lawfulBasis === 'consent') {
    return [
      [
        purpose,
        [
          { weight: 50, value: 'GRANTED' },
          { weight: 6, value: 'WITHDRAWN' },
          { weight: 4, value: 'DENIED' },
          ...(objects ? [{ weight: 2, value: 'OBJECTED' as const }] : []),
          { weight: objects ? 38 : 40, value: null },
        ],
      ],
    ];
  }
  return objects
    ? [
        [
          purpose,
          [
            { weight: 3, value: 'OBJECTED' },
            { weight: 97, value: null },
          ],
        ],
      ]
    : [];
});

export const COUNTRIES = [
  'US',
  'GB',
  'DE',
  'FR',
  'NL',
  'ES',
  'IT',
  'SE',
  'PL',
  'IE',
  'CA',
  'AU',
  'BR',
  'IN',
  'JP',
];
const HEALTH_NOTES = [
  'Allergic to penicillin.',
  'Uses a wheelchair; needs step-free meeting rooms.',
  'Type 1 diabetes; prefers meetings after lunch.',
  'Hearing impaired; prefers email over calls.',
  'Recovering from knee surgery until next quarter.',
];

export async function isEmpty(em: EntityManager): Promise<boolean> {
  const [row] = await query<{ any: boolean }>(
    em,
    'select exists (select 1 from contact) or exists (select 1 from company) as any',
  );
  return !row?.any;
}

/** Seeds only an empty database, in one transaction: a crash or a bad row leaves nothing half-seeded. */
export async function seedDemoData(em: EntityManager, options: SeedOptions): Promise<SeedResult> {
  if (!Number.isInteger(options.contacts) || options.contacts < 0) throw new Error('contacts must be >= 0');
  const progress = options.onProgress ?? (() => {});
  return em.transactional(async (tx) => {
    // Serialise concurrent seeders (two processes started at once): the second sees a non-empty database.
    await query(tx, 'select pg_advisory_xact_lock(20261122)');
    if (!(await isEmpty(tx)) || options.contacts === 0) {
      return { seeded: false, companies: 0, contacts: 0, interactions: 0 };
    }
    const faker = new Faker({ locale: [en], seed: SEED });
    faker.setDefaultRefDate(REFERENCE_DATE);
    const privacy = new Faker({ locale: [en], seed: SEED + 1 });
    privacy.setDefaultRefDate(REFERENCE_DATE);

    const companyCount = Math.max(1, Math.ceil(options.contacts / 20));
    const companyIds: string[] = [];
    const companies = {
      id: [] as string[],
      name: [] as string[],
      domain: [] as string[],
      industry: [] as string[],
      country: [] as string[],
      at: [] as Date[],
    };
    for (let i = 0; i < companyCount; i++) {
      const id = faker.string.uuid();
      const name = `${faker.company.name()}`.slice(0, 200);
      companyIds.push(id);
      companies.id.push(id);
      companies.name.push(name);
      companies.domain.push(`${faker.internet.domainWord()}-${i}.example.com`);
      companies.industry.push(faker.commerce.department());
      companies.country.push(faker.helpers.arrayElement(COUNTRIES));
      companies.at.push(faker.date.between({ from: FIRST_CREATED, to: REFERENCE_DATE }));
    }
    await query(
      tx,
      `insert into company (id, name, domain, industry, country, created_at, updated_at)
       select t.id, t.name, t.domain, t.industry, t.country, t.at, t.at from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
         as t(id, name, domain, industry, country, at)`,
      [companies.id, companies.name, companies.domain, companies.industry, companies.country, companies.at],
    );
    progress(`seed: ${companyCount} companies`);

    let interactionTotal = 0;
    for (let start = 0; start < options.contacts; start += BATCH) {
      const end = Math.min(options.contacts, start + BATCH);
      const c = {
        id: [] as string[],
        name: [] as string[],
        email: [] as string[],
        phone: [] as (string | null)[],
        birth: [] as (string | null)[],
        street: [] as (string | null)[],
        city: [] as (string | null)[],
        postal: [] as (string | null)[],
        country: [] as (string | null)[],
        ip: [] as (string | null)[],
        health: [] as (string | null)[],
        company: [] as (string | null)[],
        restricted: [] as boolean[],
        limited: [] as boolean[],
        at: [] as Date[],
      };
      const cs = {
        contact: [] as string[],
        purpose: [] as string[],
        status: [] as string[],
        at: [] as Date[],
      };
      const it = {
        id: [] as string[],
        contact: [] as string[],
        type: [] as string[],
        subject: [] as string[],
        body: [] as (string | null)[],
        occurred: [] as Date[],
        agent: [] as string[],
      };
      for (let i = start; i < end; i++) {
        const id = faker.string.uuid();
        const first = faker.person.firstName();
        const last = faker.person.lastName();
        const createdAt = faker.date.between({ from: FIRST_CREATED, to: REFERENCE_DATE });
        const country = faker.helpers.arrayElement(COUNTRIES);
        c.id.push(id);
        c.name.push(`${first} ${last}`);
        // The running number keeps emails unique however often faker repeats a name.
        c.email.push(
          `${first}.${last}.${i}@${faker.helpers.arrayElement(['example.com', 'example.org', 'example.net'])}`
            .toLowerCase()
            .replace(/[^a-z0-9.@-]/g, ''),
        );
        c.phone.push(
          faker.datatype.boolean(0.85)
            ? `+${faker.helpers.arrayElement(['1', '44', '49', '33', '31'])}${faker.string.numeric({ length: 10, allowLeadingZeros: false })}`
            : null,
        );
        c.birth.push(
          faker.datatype.boolean(0.7)
            ? faker.date.birthdate({ mode: 'age', min: 18, max: 85 }).toISOString().slice(0, 10)
            : null,
        );
        const hasAddress = faker.datatype.boolean(0.8);
        c.street.push(hasAddress ? faker.location.streetAddress().slice(0, 200) : null);
        c.city.push(hasAddress ? faker.location.city().slice(0, 100) : null);
        c.postal.push(hasAddress ? faker.location.zipCode().slice(0, 20) : null);
        c.country.push(hasAddress ? country : null);
        c.ip.push(faker.datatype.boolean(0.6) ? faker.internet.ipv4() : null);
        c.health.push(faker.datatype.boolean(0.08) ? faker.helpers.arrayElement(HEALTH_NOTES) : null);
        c.company.push(faker.datatype.boolean(0.8) ? faker.helpers.arrayElement(companyIds) : null);
        c.at.push(createdAt);
        // Privacy state from its own generator, so that every redaction reason and row rule occurs in the
        // demo data (restricted, limited, consented, withdrawn, objected) without shifting the values above.
        c.restricted.push(privacy.datatype.boolean(0.03));
        c.limited.push(privacy.datatype.boolean(0.05));
        for (const [purpose, weights] of CONSENT_MIX) {
          const status = privacy.helpers.weightedArrayElement(weights);
          if (status === null) continue;
          cs.contact.push(id);
          cs.purpose.push(purpose);
          cs.status.push(status);
          cs.at.push(privacy.date.between({ from: createdAt, to: REFERENCE_DATE }));
        }
        const interactions = faker.number.int({ min: 0, max: 5 });
        for (let k = 0; k < interactions; k++) {
          const type = faker.helpers.arrayElement(INTERACTION_TYPES);
          it.id.push(faker.string.uuid());
          it.contact.push(id);
          it.type.push(type);
          it.subject.push(
            `${type === 'NOTE' ? 'Note' : type.charAt(0) + type.slice(1).toLowerCase()}: ${faker.company.catchPhrase()}`.slice(
              0,
              200,
            ),
          );
          it.body.push(
            faker.datatype.boolean(0.7) ? `${first} ${faker.lorem.sentences({ min: 1, max: 3 })}` : null,
          );
          it.occurred.push(faker.date.between({ from: createdAt, to: REFERENCE_DATE }));
          it.agent.push(`agent-${faker.number.int({ min: 1, max: 25 })}`);
        }
      }
      await query(
        tx,
        `insert into contact (id, full_name, email, phone, birth_date, address_street, address_city,
           address_postal_code, address_country, ip_address, health_notes, company_id, restricted, limit_sensitive,
           created_at, updated_at)
         select t.id, t.name, t.email, t.phone, t.birth, t.street, t.city, t.postal, t.country, t.ip, t.health,
           t.company, t.restricted, t.limited, t.at, t.at
         from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::date[], $6::text[], $7::text[], $8::text[],
           $9::text[], $10::text[], $11::text[], $12::uuid[], $13::timestamptz[], $14::boolean[], $15::boolean[])
           as t(id, name, email, phone, birth, street, city, postal, country, ip, health, company, at, restricted,
             limited)`,
        [
          c.id,
          c.name,
          c.email,
          c.phone,
          c.birth,
          c.street,
          c.city,
          c.postal,
          c.country,
          c.ip,
          c.health,
          c.company,
          c.at,
          c.restricted,
          c.limited,
        ],
      );
      if (it.id.length > 0) {
        await query(
          tx,
          `insert into interaction (id, contact_id, type, subject, body, occurred_at, logged_by, created_at, updated_at)
           select t.id, t.contact, t.type, t.subject, t.body, t.occurred, t.agent, t.occurred, t.occurred
           from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
             as t(id, contact, type, subject, body, occurred, agent)`,
          [it.id, it.contact, it.type, it.subject, it.body, it.occurred, it.agent],
        );
      }
      if (cs.contact.length > 0) await seedConsentEvents(tx, cs, privacy);
      interactionTotal += it.id.length;
      progress(`seed: ${end}/${options.contacts} contacts, ${interactionTotal} interactions`);
    }
    // Fresh planner statistics for what was just loaded (the tables were empty when last analysed).
    for (const table of ['company', 'contact', 'interaction', 'consent_event', 'consent_state'])
      await query(tx, `analyze ${table}`);
    return {
      seeded: true,
      companies: companyCount,
      contacts: options.contacts,
      interactions: interactionTotal,
    };
  });
}

/**
 * The demo's consents as what they are: ledger events (imported, on the first notice), chained per contact like
 * every event, with the current state derived from them in the same transaction. Ids come from the privacy
 * generator, timestamps from the data: the same seed gives the same ledger, hashes included.
 */
async function seedConsentEvents(
  tx: EntityManager,
  cs: { contact: string[]; purpose: string[]; status: string[]; at: Date[] },
  privacy: Faker,
): Promise<void> {
  const events = {
    id: [] as string[],
    contact: [] as string[],
    seq: [] as number[],
    purpose: [] as string[],
    status: [] as string[],
    notice: [] as (string | null)[],
    at: [] as string[],
    prev: [] as (string | null)[],
    hash: [] as string[],
  };
  const last = new Map<string, { seq: number; hash: string }>();
  for (const [i, contactId] of cs.contact.entries()) {
    const before = last.get(contactId);
    const event = {
      id: privacy.string.uuid(),
      contactId,
      seq: (before?.seq ?? 0) + 1,
      purpose: cs.purpose[i] as string,
      status: cs.status[i] as string,
      method: 'IMPORT',
      noticeVersion: cs.status[i] === 'GRANTED' ? FIRST_NOTICE.version : null,
      capturedAt: (cs.at[i] as Date).toISOString(),
      recordedAt: (cs.at[i] as Date).toISOString(),
      recordedBy: SEED_ACTOR,
      evidenceDigest: null,
      prevHash: before?.hash ?? null,
      verification: null,
      verifiedAt: null,
      verificationRef: null,
    };
    const hash = eventHash(event);
    last.set(contactId, { seq: event.seq, hash });
    events.id.push(event.id);
    events.contact.push(contactId);
    events.seq.push(event.seq);
    events.purpose.push(event.purpose);
    events.status.push(event.status);
    events.notice.push(event.noticeVersion);
    events.at.push(event.capturedAt);
    events.prev.push(event.prevHash);
    events.hash.push(hash);
  }
  await query(
    tx,
    `insert into consent_event (id, contact_id, seq, purpose, status, method, notice_version, captured_at, recorded_at,
       recorded_by, evidence_digest, prev_hash, hash)
     select t.id, t.contact, t.seq, t.purpose, t.status, 'IMPORT', t.notice, t.at, t.at, '${SEED_ACTOR}', null, t.prev, t.hash
     from unnest($1::uuid[], $2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::text[])
       as t(id, contact, seq, purpose, status, notice, at, prev, hash)`,
    [
      events.id,
      events.contact,
      events.seq,
      events.purpose,
      events.status,
      events.notice,
      events.at,
      events.prev,
      events.hash,
    ],
  );
  // One event per contact and purpose in the demo: its status is the current state, and the contact's bits.
  await query(
    tx,
    `insert into consent_state (contact_id, purpose, status, updated_at)
     select e.contact_id, e.purpose, e.status, e.recorded_at from consent_event e where e.contact_id = any($1::uuid[])`,
    [[...last.keys()]],
  );
  await query(
    tx,
    `update contact c set consent_granted = m.granted, consent_objected = m.objected
     from (
       select s.contact_id,
         coalesce(bit_or(${BIT_OF_PURPOSE}) filter (where s.status = 'GRANTED'), 0)::smallint as granted,
         coalesce(bit_or(${BIT_OF_PURPOSE}) filter (where s.status = 'OBJECTED'), 0)::smallint as objected
       from consent_state s where s.contact_id = any($1::uuid[]) group by s.contact_id
     ) m
     where m.contact_id = c.id`,
    [[...last.keys()]],
  );
}

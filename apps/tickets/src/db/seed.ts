import { query } from '@custos/database';
import { en, Faker } from '@faker-js/faker';
import type { EntityManager } from '@mikro-orm/postgresql';
import { TICKET_PRIORITIES, TICKET_STATUSES } from './ticket.entity.js';

/**
 * Deterministic demo tickets for the demo contacts already in Custos' database (same seed, same contacts →
 * the same tickets). Runs only while the ticket table is empty, under its own advisory lock.
 */
const SEED = 20_261_123;
const REFERENCE_DATE = new Date('2026-01-01T00:00:00.000Z');
const SUBJECTS = [
  'Cannot log in since the last update',
  'Invoice shows the wrong address',
  'Please change my phone number',
  'Delivery arrived damaged',
  'Question about my contract renewal',
  'Refund not received yet',
  'Export of my data',
  'App crashes when I upload a file',
];

export async function seedTickets(em: EntityManager): Promise<number> {
  return em.transactional(async (tx) => {
    await query(tx, 'select pg_advisory_xact_lock(20261123)');
    const [existing] = await query<{ any: boolean }>(
      tx,
      'select exists (select 1 from tickets.ticket) as any',
    );
    if (existing?.any) return 0;
    const contacts = await query<{ id: string; created: string }>(
      tx,
      `select id, created_at::text as created from contact where erased_at is null order by id`,
    );
    const faker = new Faker({ locale: [en], seed: SEED });
    const rows = {
      id: [] as string[],
      requester: [] as string[],
      subject: [] as string[],
      description: [] as (string | null)[],
      status: [] as string[],
      priority: [] as string[],
      created: [] as Date[],
      solved: [] as (Date | null)[],
    };
    for (const contact of contacts) {
      // About a third of the contacts have asked support something, some of them more than once.
      const count = faker.helpers.weightedArrayElement([
        { weight: 65, value: 0 },
        { weight: 25, value: 1 },
        { weight: 10, value: 2 },
      ]);
      for (let i = 0; i < count; i++) {
        const created = faker.date.between({ from: new Date(contact.created), to: REFERENCE_DATE });
        const status = faker.helpers.arrayElement(TICKET_STATUSES);
        rows.id.push(faker.string.uuid());
        rows.requester.push(contact.id);
        rows.subject.push(faker.helpers.arrayElement(SUBJECTS));
        rows.description.push(faker.datatype.boolean(0.8) ? faker.lorem.sentences({ min: 1, max: 3 }) : null);
        rows.status.push(status);
        rows.priority.push(faker.helpers.arrayElement(TICKET_PRIORITIES));
        rows.created.push(created);
        rows.solved.push(
          status === 'SOLVED' || status === 'CLOSED'
            ? faker.date.between({ from: created, to: REFERENCE_DATE })
            : null,
        );
      }
    }
    if (rows.id.length === 0) return 0;
    await query(
      tx,
      `insert into tickets.ticket (id, requester_id, subject, description, status, priority, created_at, updated_at, solved_at)
       select t.id, t.requester, t.subject, t.description, t.status, t.priority, t.created, coalesce(t.solved, t.created), t.solved
       from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[])
         as t(id, requester, subject, description, status, priority, created, solved)`,
      [
        rows.id,
        rows.requester,
        rows.subject,
        rows.description,
        rows.status,
        rows.priority,
        rows.created,
        rows.solved,
      ],
    );
    return rows.id.length;
  });
}

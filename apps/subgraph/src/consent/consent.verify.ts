import { query } from '@custos/database';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BIT_OF_PURPOSE, type ConsentEventRow, EVENT_COLUMNS, eventHash } from './consent.ledger.js';

export interface ChainCheck {
  readonly valid: boolean;
  readonly events: number;
  /** The first event whose hash, link or sequence does not hold (null when valid). */
  readonly brokenEventId: string | null;
  /** Current states that are not the ledger's latest event, and contacts whose consent bits disagree. */
  readonly stateMismatches: number;
}

/**
 * Recomputes every event's hash (one contact's, or the whole ledger's) and checks each link, the sequence and
 * that the current state per contact and purpose is the latest event's status. An edited field, a removed or
 * reordered event, or a state written past the ledger is found.
 */
export function verifyConsentChain(em: EntityManager, contactId?: string | null): Promise<ChainCheck> {
  // One snapshot for the events, the states and the bits: an event appended between two of the reads is no
  // mismatch.
  return em.transactional((tx) => checkChain(tx, contactId ?? null), {
    isolationLevel: 'repeatable read',
    readOnly: true,
  });
}

async function checkChain(em: EntityManager, contactId: string | null): Promise<ChainCheck> {
  const rows = await query<ConsentEventRow & { evidenceDigest: string | null }>(
    em,
    `select ${EVENT_COLUMNS}, e.evidence_digest as "evidenceDigest" from consent_event e
     ${contactId ? 'where e.contact_id = $1' : ''} order by e.contact_id, e.seq`,
    contactId ? [contactId] : [],
  );
  let broken: string | null = null;
  let previous: (typeof rows)[number] | undefined;
  for (const row of rows) {
    const first = previous?.contactId !== row.contactId;
    const expectedSeq = first ? 1 : (previous?.seq ?? 0) + 1;
    const expectedPrev = first ? null : (previous?.hash ?? null);
    if (row.seq !== expectedSeq || row.prevHash !== expectedPrev || eventHash(row) !== row.hash) {
      broken = row.id;
      break;
    }
    previous = row;
  }
  const [state] = await query<{ n: number }>(
    em,
    `select count(*)::int as n from consent_state s
     left join lateral (
       select e.status from consent_event e where e.contact_id = s.contact_id and e.purpose = s.purpose
       order by e.seq desc limit 1
     ) latest on true
     where (latest.status is distinct from s.status) ${contactId ? 'and s.contact_id = $1' : ''}`,
    contactId ? [contactId] : [],
  );
  // The bits on the contact row must say what consent_state says.
  const [bits] = await query<{ n: number }>(
    em,
    `select count(*)::int as n from contact c
     left join lateral (
       select coalesce(bit_or(${BIT_OF_PURPOSE}) filter (where s.status = 'GRANTED'), 0) as granted,
              coalesce(bit_or(${BIT_OF_PURPOSE}) filter (where s.status = 'OBJECTED'), 0) as objected
       from consent_state s where s.contact_id = c.id
     ) m on true
     where (c.consent_granted <> m.granted or c.consent_objected <> m.objected) ${contactId ? 'and c.id = $1' : ''}`,
    contactId ? [contactId] : [],
  );
  const mismatches = (state?.n ?? 0) + (bits?.n ?? 0);
  return {
    valid: broken === null && mismatches === 0,
    events: rows.length,
    brokenEventId: broken,
    stateMismatches: mismatches,
  };
}

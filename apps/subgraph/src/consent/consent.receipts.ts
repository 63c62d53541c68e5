import { createHmac } from 'node:crypto';
import { isoTimestamp, query } from '@custos/database';
import { rowScope } from '@custos/enforcement';
import {
  type ConsentMethod,
  type ConsentStatus,
  isPurpose,
  PURPOSE_DEFINITIONS,
  type Purpose,
} from '@custos/policy';
import { isUuid } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import { type ConsentEventRow, EVENT_COLUMNS } from './consent.ledger.js';
import { DATA_SUBJECT } from './consent.submissions.js';

export interface ConsentReceiptRow {
  readonly schema: string;
  readonly recordId: string;
  readonly controller: { readonly name: string; readonly contact: string };
  readonly subjectPseudonym: string;
  readonly purpose: { readonly id: string; readonly description: string; readonly lawfulBasis: string };
  readonly notice: { readonly version: string; readonly sha256: string; readonly publishedAt: string } | null;
  readonly method: ConsentMethod;
  readonly status: ConsentStatus;
  readonly timestamp: string;
  readonly recordedAt: string;
  readonly eventHash: string;
  readonly prevHash: string | null;
  /** How the choice was verified: the evidence the controller can demonstrate (Art 7(1)). */
  readonly verification: {
    readonly method: 'EMAIL_CONFIRMATION' | 'UNVERIFIED_SIGNAL' | 'RECORDED_BY_STAFF';
    readonly verifiedAt: string | null;
    readonly messageId: string | null;
  };
  /** Whom the receipt is about: for the audit trail only, never served. */
  readonly contactId: string;
  /** The subject's state, for the policy's field decisions (the pseudonym is personal data). */
  readonly restricted: boolean;
  readonly limitSensitive: boolean;
}

/**
 * One event as an ISO/IEC TS 27560 consent receipt, for a contact the purpose may see (else null, like an event
 * that does not exist). The subject is named by a keyed pseudonym, stable per person, never by the contact id.
 */
export async function consentReceipt(
  em: EntityManager,
  purpose: Purpose,
  eventId: string,
  options: {
    readonly controller: { readonly name: string; readonly contact: string };
    readonly hmacKey: Buffer;
  },
): Promise<ConsentReceiptRow | null> {
  if (!isUuid(eventId)) return null;
  const [row] = await query<
    ConsentEventRow & {
      restricted: boolean;
      limitSensitive: boolean;
      noticeSha256: string | null;
      noticePublishedAt: string | null;
    }
  >(
    em,
    `select ${EVENT_COLUMNS}, c.restricted, c.limit_sensitive as "limitSensitive",
       n.text_sha256 as "noticeSha256", ${isoTimestamp('n.published_at', 'noticePublishedAt')}
     from consent_event e join contact c on c.id = e.contact_id
     left join privacy_notice n on n.version = e.notice_version
     where e.id = $1 and ${rowScope(purpose)}`,
    [eventId],
  );
  if (!row) return null;
  const definition = isPurpose(row.purpose) ? PURPOSE_DEFINITIONS[row.purpose] : undefined;
  return {
    schema: 'ISO/IEC TS 27560:2023',
    recordId: row.id,
    controller: options.controller,
    subjectPseudonym: createHmac('sha256', options.hmacKey).update(`subject:${row.contactId}`).digest('hex'),
    purpose: {
      id: row.purpose,
      description: definition?.description ?? '',
      lawfulBasis: definition?.lawfulBasis ?? '',
    },
    notice:
      row.noticeVersion && row.noticeSha256 && row.noticePublishedAt
        ? { version: row.noticeVersion, sha256: row.noticeSha256, publishedAt: row.noticePublishedAt }
        : null,
    method: row.method,
    status: row.status,
    timestamp: row.capturedAt,
    recordedAt: row.recordedAt,
    eventHash: row.hash,
    prevHash: row.prevHash,
    verification: {
      // Before the double opt-in, the public form recorded choices (grants included) without any verification.
      method:
        row.verification ?? (row.recordedBy === DATA_SUBJECT ? 'UNVERIFIED_SIGNAL' : 'RECORDED_BY_STAFF'),
      verifiedAt: row.verifiedAt,
      messageId: row.verificationRef,
    },
    contactId: row.contactId,
    restricted: row.restricted,
    limitSensitive: row.limitSensitive,
  };
}

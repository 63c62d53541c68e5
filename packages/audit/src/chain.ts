import { createHash } from 'node:crypto';
import { canonicalJson } from '@custos/policy';
import type { Channel } from './recorder.js';

/**
 * One access row of an event: the subjects (pseudonyms) that got the same fields the same way — by the digest of
 * their subject set, or (accesses written before subject sets) inline.
 */
export interface AccessRecord {
  readonly ordinal: number;
  readonly channel: Channel;
  readonly revealed: readonly string[];
  readonly redacted: readonly string[];
  readonly subjectSet?: string;
  readonly subjects?: readonly string[];
}

/** `request`: a request refused before any operation was read (HTTP 401/403). */
export type OperationType = 'query' | 'mutation' | 'public' | 'request';
export type Outcome = 'OK' | 'PARTIAL' | 'FORBIDDEN' | 'ERROR' | 'UNAUTHENTICATED';

/** An audit event as stored (audit_event and its audit_access rows). */
export interface EventRecord {
  readonly id: string;
  /** ISO 8601 UTC with milliseconds: the stored precision. */
  readonly occurredAt: string;
  readonly service: string;
  readonly actorSub: string;
  readonly actorRoles: readonly string[];
  readonly purpose: string | null;
  readonly policyVersion: string;
  readonly operationType: OperationType;
  readonly operationName: string | null;
  readonly rootFields: readonly string[];
  readonly requestId: string;
  readonly gatewayRequestId: string | null;
  readonly outcome: Outcome;
  readonly subjects: number;
  readonly accesses: readonly AccessRecord[];
  /**
   * Refused requests, aggregated (refusals.ts): the rule that refused them, how many this event stands for, and
   * the last one's time (occurredAt is the first's). Absent on every other event, and then not in its digest.
   */
  readonly refusalReason?: string;
  readonly refusals?: number;
  readonly lastRefusedAt?: string;
}

export interface BatchRecord {
  readonly seq: number;
  readonly service: string;
  readonly createdAt: string;
  readonly prevHash: string | null;
  readonly eventDigests: readonly string[];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The digest that names a set of subject pseudonyms (in the order stored). */
export function subjectSetDigest(pseudonyms: readonly string[]): string {
  return sha256(`custos-audit-subjects-v1\n${pseudonyms.join(',')}`);
}

/** The digest of an event: everything it records, accesses included, in a canonical form. */
export function eventDigest(event: EventRecord): string {
  return sha256(canonicalJson(event));
}

/**
 * A batch's hash: its place in the chain (sequence, the previous batch's hash), its header and the digests of its
 * events in order. Editing, removing, adding or reordering an event or a batch changes a hash downstream.
 */
export function batchHash(batch: BatchRecord): string {
  return sha256(
    [
      'custos-audit-batch-v1',
      String(batch.seq),
      batch.prevHash ?? '',
      batch.service,
      batch.createdAt,
      String(batch.eventDigests.length),
      ...batch.eventDigests,
    ].join('\n'),
  );
}

import { hash } from 'node:crypto';
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

// One-shot hashing (no Hash object per call): the writer hashes two small texts per event.
const sha256 = (text: string) => hash('sha256', text, 'hex');

/** The digest that names a set of subject pseudonyms (in the order stored). */
export function subjectSetDigest(pseudonyms: readonly string[]): string {
  return sha256(`custos-audit-subjects-v1\n${pseudonyms.join(',')}`);
}

/** The digest of an event: everything it records, accesses included, in a canonical form. */
export function eventDigest(event: EventRecord): string {
  return sha256(eventJson(event));
}

const text = JSON.stringify;

/** The keys of a stored event and of an access, in the sorted order canonicalJson writes them. */
const EVENT_KEYS = [
  'accesses',
  'actorRoles',
  'actorSub',
  'gatewayRequestId',
  'id',
  'lastRefusedAt',
  'occurredAt',
  'operationName',
  'operationType',
  'outcome',
  'policyVersion',
  'purpose',
  'refusalReason',
  'refusals',
  'requestId',
  'rootFields',
  'service',
  'subjects',
] as const;
const ACCESS_KEYS = ['channel', 'ordinal', 'redacted', 'revealed', 'subjectSet', 'subjects'] as const;
const EVENT_KEY_SET = new Set<string>(EVENT_KEYS);
const ACCESS_KEY_SET = new Set<string>(ACCESS_KEYS);

/** A value whose JSON.stringify is its canonical form: a scalar, or a list of strings. */
function plain(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'bigint';
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false;
  return true;
}

/**
 * `{"key":value,…}` of `object` for the keys `keys` (sorted), or undefined when `object` has another key or a
 * value that is not {@link plain} (`nested` writes the one key whose value is a list of objects).
 */
function sortedObject(
  object: object,
  keys: readonly string[],
  known: ReadonlySet<string>,
  nested?: { readonly key: string; readonly json: (value: unknown) => string | undefined },
): string | undefined {
  for (const key in object) if (!known.has(key)) return undefined;
  const values = object as Record<string, unknown>;
  let json = '{';
  for (const key of keys) {
    const value = values[key];
    if (value === undefined) continue;
    let part: string | undefined;
    if (key === nested?.key) part = nested.json(value);
    else if (plain(value)) part = text(value);
    if (part === undefined) return undefined;
    json += `${json.length > 1 ? ',' : ''}"${key}":${part}`;
  }
  return `${json}}`;
}

/** The JSON of an event's accesses, or undefined when one is not of the known shape. */
function accessesJson(value: unknown): string | undefined {
  if (!Array.isArray(value)) return undefined;
  let json = '[';
  for (let i = 0; i < value.length; i++) {
    const access = value[i];
    if (access === null || typeof access !== 'object' || Array.isArray(access)) return undefined;
    const part = sortedObject(access, ACCESS_KEYS, ACCESS_KEY_SET);
    if (part === undefined) return undefined;
    json += `${i > 0 ? ',' : ''}${part}`;
  }
  return `${json}]`;
}

/**
 * `canonicalJson(event)`, written for the event's known shape (its keys in sorted order, no sorting per event):
 * the writer digests every event it stores, and the generic form was most of that cost (issue 16). The same text
 * byte for byte, so the chain's digests do not change; an event of any other shape takes the generic form.
 */
export function eventJson(event: EventRecord): string {
  return (
    sortedObject(event, EVENT_KEYS, EVENT_KEY_SET, { key: 'accesses', json: accessesJson }) ??
    canonicalJson(event)
  );
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

import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson } from '@custos/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchHash,
  type EventRecord,
  eventDigest,
  eventJson,
  type Run,
  subjectSetDigest,
  verifyAuditLog,
} from '../src/index.js';

/**
 * The chain's verification over stored rows, without a database: both forms of an access — a subject set by digest
 * (what the writer stores) and inline pseudonyms (what it stored before subject sets) — verify, and a changed
 * pseudonym in either is found.
 */
const key = generateKeyPairSync('ed25519').privateKey;
let dir: string;

const P1 = '0b6f1c1e-6f0e-4a1e-9a55-2f0d8e3f8a01';
const P2 = '5c2d3b4a-1e2f-4a3b-8c7d-6e5f4a3b2c1d';

function event(id: string, access: Record<string, unknown>): EventRecord {
  return {
    id,
    occurredAt: '2026-11-22T20:00:00.000Z',
    service: 'custos',
    actorSub: 'someone',
    actorRoles: ['support_agent'],
    purpose: 'customer_support',
    policyVersion: 'policy-test',
    operationType: 'query',
    operationName: null,
    rootFields: ['contacts'],
    requestId: 'r1',
    gatewayRequestId: null,
    outcome: 'OK',
    subjects: 2,
    accesses: [{ ordinal: 0, channel: 'QUERY', revealed: ['Contact.email'], redacted: [], ...access }],
  };
}

/** A fake database holding one batch of two events: one with an inline access, one with a subject set. */
function database(tamper: { inline?: string[]; set?: string[] } = {}): Run {
  const setDigest = subjectSetDigest([P1, P2]);
  const inline = event('00000000-0000-4000-8000-000000000001', { subjects: [P1, P2] });
  const bySet = event('00000000-0000-4000-8000-000000000002', { subjectSet: setDigest });
  const digests = [eventDigest(inline), eventDigest(bySet)];
  const createdAt = '2026-11-22T20:00:01.000Z';
  const hash = batchHash({ seq: 1, service: 'custos', createdAt, prevHash: null, eventDigests: digests });
  const row = (e: EventRecord, idx: number) => ({
    id: e.id,
    batch_seq: '1',
    idx,
    occurred_at: e.occurredAt,
    service: e.service,
    actor_sub: e.actorSub,
    actor_roles: e.actorRoles,
    purpose: e.purpose,
    policy_version: e.policyVersion,
    operation_type: e.operationType,
    operation_name: e.operationName,
    root_fields: e.rootFields,
    request_id: e.requestId,
    gateway_request_id: e.gatewayRequestId,
    outcome: e.outcome,
    subjects: e.subjects,
    digest: digests[idx],
  });
  const access = (e: EventRecord) => ({
    event_id: e.id,
    ordinal: 0,
    channel: 'QUERY',
    revealed: ['Contact.email'],
    redacted: [],
    subjects: e.accesses[0]!.subjects ? (tamper.inline ?? [P1, P2]) : null,
    subject_set: e.accesses[0]!.subjectSet ?? null,
  });
  const tables: Record<string, unknown[]> = {
    audit_anchor: [],
    audit_batch: [{ seq: '1', service: 'custos', events: 2, created_at: createdAt, prev_hash: null, hash }],
    audit_event: [row(inline, 0), row(bySet, 1)],
    audit_access: [access(inline), access(bySet)],
    audit_subject_set: [{ digest: setDigest, subjects: tamper.set ?? [P1, P2] }],
    audit_chain: [{ id: 'chain-1' }],
  };
  return (async (sql: string, params: unknown[] = []) => {
    const table = /from (audit_\w+)/.exec(sql)![1]!;
    // The batch page: only batches after the one given.
    if (table === 'audit_batch' && Number(params[0]) >= 1) return [];
    return tables[table] ?? [];
  }) as Run;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'custos-audit-chain-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('verifying the chain', () => {
  it('accepts inline pseudonyms and subject sets alike', async () => {
    expect(await verifyAuditLog(database(), { checkpointDir: dir, signingKey: key })).toMatchObject({
      valid: true,
      batches: 1,
      events: 2,
    });
  });

  it('finds a changed pseudonym in an inline access', async () => {
    const check = await verifyAuditLog(database({ inline: [P2, P1] }), {
      checkpointDir: dir,
      signingKey: key,
    });
    expect(check).toMatchObject({
      valid: false,
      brokenBatchSeq: 1,
      problem: 'event 0 of batch 1 was altered',
    });
  });

  it('finds a changed pseudonym in a subject set', async () => {
    const check = await verifyAuditLog(database({ set: [P1] }), { checkpointDir: dir, signingKey: key });
    expect(check).toMatchObject({ valid: false, brokenBatchSeq: 1 });
    expect(check.problem).toMatch(/subjects of event 1 of batch 1 were altered or removed/);
  });
});

/**
 * The writer digests events through a form written for their shape (eventJson); verification recomputes digests
 * over stored rows. The reference is the policy's generic canonicalJson, which every digest of the chain was made
 * with: the two must give the same text for every event, or a stored chain would stop verifying.
 */
describe("an event's canonical form", () => {
  const base = event('00000000-0000-4000-8000-000000000003', { subjectSet: 'a'.repeat(64) });
  const variants: [string, EventRecord][] = [
    ['a query event with a subject set', base],
    ['an inline access', event('00000000-0000-4000-8000-000000000004', { subjects: [P1, P2] })],
    [
      'several accesses, nulls and empty lists',
      {
        ...base,
        purpose: null,
        operationName: null,
        gatewayRequestId: null,
        rootFields: [],
        actorRoles: [],
        subjects: 0,
        accesses: [
          {
            ordinal: 0,
            channel: 'ENTITIES',
            revealed: [],
            redacted: ['Contact.phone'],
            subjectSet: 'b'.repeat(64),
          },
          {
            ordinal: 1,
            channel: 'MUTATION',
            revealed: ['Contact.email', 'Contact.name'],
            redacted: [],
            subjects: [],
          },
        ],
      },
    ],
    ['no accesses', { ...base, accesses: [] }],
    [
      'an aggregated refusal',
      {
        ...base,
        operationType: 'request',
        outcome: 'UNAUTHENTICATED',
        accesses: [],
        refusalReason: 'TOKEN_EXPIRED',
        refusals: 17,
        lastRefusedAt: '2026-11-22T20:00:59.999Z',
      },
    ],
    [
      'strings that JSON must escape',
      {
        ...base,
        actorSub: 'quote " backslash \\ newline \n tab \t nul \u0000 emoji \u{1F600} lone \ud800',
        operationName: '</script>\u2028\u2029',
        rootFields: ['é', '"'],
      },
    ],
    ['an optional key present but undefined', { ...base, refusalReason: undefined, refusals: undefined }],
  ];

  it.each(variants)('is canonicalJson for %s', (_name, record) => {
    const reference = canonicalJson(record);
    expect(reference.length).toBeGreaterThan(50);
    expect(eventJson(record)).toBe(reference);
    expect(eventDigest(record)).toBe(createHash('sha256').update(reference).digest('hex'));
  });

  it('takes the generic form for a shape it does not know, and the digest still is of the canonical text', () => {
    const extra = { ...base, futureField: { b: 1, a: [2, { d: 3, c: 4 }] } } as unknown as EventRecord;
    const dated = { ...base, occurredAt: new Date(0) } as unknown as EventRecord;
    const accessExtra = {
      ...base,
      accesses: [{ ...base.accesses[0]!, note: 'x' }],
    } as unknown as EventRecord;
    for (const record of [extra, dated, accessExtra]) {
      const reference = canonicalJson(record);
      expect(eventJson(record)).toBe(reference);
      expect(eventDigest(record)).toBe(createHash('sha256').update(reference).digest('hex'));
    }
    // The generic form sorts nested keys: the reference really is a different text from plain JSON here.
    expect(canonicalJson(extra)).toContain('"futureField":{"a":[2,{"c":4,"d":3}],"b":1}');
  });
});

import type { KeyObject } from 'node:crypto';
import {
  type AccessRecord,
  batchHash,
  type EventRecord,
  eventDigest,
  type OperationType,
  type Outcome,
  subjectSetDigest,
} from './chain.js';
import { readCheckpoints } from './checkpoints.js';
import type { Channel } from './recorder.js';

/** Runs one parameterised statement (the request's EntityManager, or a plain pg client in the CLI). */
export type Run = <T extends object>(sql: string, params?: unknown[]) => Promise<T[]>;

export interface AuditLogCheck {
  readonly valid: boolean;
  readonly batches: number;
  readonly events: number;
  /** The newest batch in the database. */
  readonly headSeq: number | null;
  /** Signed checkpoints found (and whose signatures verify). */
  readonly checkpoints: number;
  readonly lastCheckpointSeq: number | null;
  /** The first batch that does not verify, when one does not. */
  readonly brokenBatchSeq: number | null;
  /** What is wrong, in words (no personal data: sequence numbers and counts). */
  readonly problem: string | null;
}

const PAGE = 200;

interface BatchRow {
  seq: string;
  service: string;
  events: number;
  created_at: string;
  prev_hash: string | null;
  hash: string;
}

interface EventRow {
  id: string;
  batch_seq: string;
  idx: number;
  occurred_at: string;
  service: string;
  actor_sub: string;
  actor_roles: string[];
  purpose: string | null;
  policy_version: string;
  operation_type: OperationType;
  operation_name: string | null;
  root_fields: string[];
  request_id: string;
  gateway_request_id: string | null;
  outcome: Outcome;
  subjects: number;
  digest: string;
  refusal_reason: string | null;
  refusals: number | null;
  last_refused_at: string | null;
}

interface AccessRow {
  event_id: string;
  ordinal: number;
  channel: Channel;
  revealed: string[];
  redacted: string[];
  subjects: string[] | null;
  subject_set: string | null;
}

const iso = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Recomputes the whole chain: every event's digest from its stored content and accesses, every batch's hash
 * from its header and event digests, every link to the previous batch; then checks that each signed checkpoint
 * names a batch that is still there with the same hash, so that removing the newest batches is found too.
 */
export async function verifyAuditLog(
  run: Run,
  options: { readonly checkpointDir: string; readonly signingKey: KeyObject },
): Promise<AuditLogCheck> {
  let batches = 0;
  let events = 0;
  // Retention removes the oldest batches and leaves an anchor: the chain verifies from the newest one.
  const [anchor] = await run<{ seq: string; hash: string }>(
    'select a.seq::text as seq, a.hash from audit_anchor a order by a.seq desc limit 1',
  );
  const anchorSeq = anchor ? Number(anchor.seq) : 0;
  let previous: { seq: number; hash: string } | null = anchor ? { seq: anchorSeq, hash: anchor.hash } : null;
  // Only the hashes a checkpoint names are kept: the walk itself needs none but the last.
  const [chain] = await run<{ id: string }>('select c.id from audit_chain c limit 1');
  const read = await readCheckpoints(options.checkpointDir, options.signingKey, chain?.id ?? '');
  const named = new Set(read.checkpoints.map((c) => c.seq));
  const hashes = new Map<number, string>();
  const broken = (seq: number | null, problem: string): AuditLogCheck => ({
    valid: false,
    batches,
    events,
    headSeq: previous?.seq ?? null,
    checkpoints: 0,
    lastCheckpointSeq: null,
    brokenBatchSeq: seq,
    problem,
  });

  for (;;) {
    const page: BatchRow[] = await run<BatchRow>(
      // Ordered by the column, not by its text alias (text order would put 10 before 2).
      `select b.seq::text as seq, b.service, b.events, ${iso('b.created_at')} as created_at, b.prev_hash, b.hash
         from audit_batch b where b.seq > $1 order by b.seq limit ${PAGE}`,
      [previous?.seq ?? 0],
    );
    if (page.length === 0) break;
    const first = Number(page[0]!.seq);
    const last = Number(page.at(-1)!.seq);
    const eventRows = await run<EventRow>(
      `select id, batch_seq::text as batch_seq, idx, ${iso('occurred_at')} as occurred_at, service, actor_sub,
              actor_roles, purpose, policy_version, operation_type, operation_name, root_fields, request_id,
              gateway_request_id, outcome, subjects, digest, refusal_reason, refusals,
              ${iso('last_refused_at')} as last_refused_at
         from audit_event e where e.batch_seq between $1 and $2 order by e.batch_seq, e.idx`,
      [first, last],
    );
    const accessRows = await run<AccessRow>(
      `select a.event_id, a.ordinal, a.channel, a.revealed, a.redacted, a.subjects::text[] as subjects,
              a.subject_set
         from audit_access a join audit_event e on e.id = a.event_id
        where e.batch_seq between $1 and $2 order by a.event_id, a.ordinal`,
      [first, last],
    );
    // The subject sets the page's accesses name: each must still hash to the digest that names it.
    const setDigests = [...new Set(accessRows.flatMap((row) => (row.subject_set ? [row.subject_set] : [])))];
    const sets = setDigests.length
      ? await run<{ digest: string; subjects: string[] }>(
          'select s.digest, s.subjects::text[] as subjects from audit_subject_set s where s.digest = any($1)',
          [setDigests],
        )
      : [];
    const intact = new Set(
      sets.filter((set) => subjectSetDigest(set.subjects) === set.digest).map((s) => s.digest),
    );
    const accessesOf = new Map<string, AccessRecord[]>();
    const damaged = new Set<string>();
    for (const row of accessRows) {
      const list = accessesOf.get(row.event_id) ?? [];
      list.push({
        ordinal: row.ordinal,
        channel: row.channel,
        revealed: row.revealed,
        redacted: row.redacted,
        ...(row.subject_set ? { subjectSet: row.subject_set } : { subjects: row.subjects ?? [] }),
      });
      if (row.subject_set && !intact.has(row.subject_set)) damaged.add(row.event_id);
      accessesOf.set(row.event_id, list);
    }
    const eventsOf = new Map<number, EventRow[]>();
    for (const row of eventRows) {
      const list = eventsOf.get(Number(row.batch_seq)) ?? [];
      list.push(row);
      eventsOf.set(Number(row.batch_seq), list);
    }
    for (const batch of page) {
      const seq: number = Number(batch.seq);
      const expectedSeq: number = previous ? previous.seq + 1 : 1;
      if (seq !== expectedSeq) return broken(expectedSeq, `batch ${expectedSeq} is missing`);
      if ((batch.prev_hash ?? null) !== (previous?.hash ?? null)) {
        return broken(seq, `batch ${seq} does not link to the batch before it`);
      }
      const rows = eventsOf.get(seq) ?? [];
      if (rows.length !== batch.events || rows.some((row, i) => row.idx !== i)) {
        return broken(seq, `batch ${seq} holds ${rows.length} of its ${batch.events} events`);
      }
      const digests: string[] = [];
      for (const row of rows) {
        const record: EventRecord = {
          id: row.id,
          occurredAt: row.occurred_at,
          service: row.service,
          actorSub: row.actor_sub,
          actorRoles: row.actor_roles,
          purpose: row.purpose,
          policyVersion: row.policy_version,
          operationType: row.operation_type,
          operationName: row.operation_name,
          rootFields: row.root_fields,
          requestId: row.request_id,
          gatewayRequestId: row.gateway_request_id,
          outcome: row.outcome,
          subjects: row.subjects,
          accesses: accessesOf.get(row.id) ?? [],
          ...(row.refusal_reason === null ? {} : { refusalReason: row.refusal_reason }),
          ...(row.refusals === null ? {} : { refusals: row.refusals }),
          ...(row.last_refused_at === null ? {} : { lastRefusedAt: row.last_refused_at }),
        };
        const digest = eventDigest(record);
        if (digest !== row.digest) return broken(seq, `event ${row.idx} of batch ${seq} was altered`);
        if (damaged.has(row.id)) {
          return broken(seq, `the subjects of event ${row.idx} of batch ${seq} were altered or removed`);
        }
        digests.push(digest);
      }
      const hash = batchHash({
        seq,
        service: batch.service,
        createdAt: batch.created_at,
        prevHash: batch.prev_hash,
        eventDigests: digests,
      });
      if (hash !== batch.hash) return broken(seq, `batch ${seq} was altered`);
      previous = { seq, hash };
      if (named.has(seq)) hashes.set(seq, hash);
      batches += 1;
      events += rows.length;
    }
  }

  const lastCheckpointSeq = read.checkpoints.reduce<number | null>(
    (max, c) => Math.max(max ?? 0, c.seq),
    null,
  );
  const result = {
    batches,
    events,
    headSeq: previous?.seq ?? null,
    checkpoints: read.checkpoints.length,
    lastCheckpointSeq,
  };
  const fail = (seq: number | null, problem: string): AuditLogCheck => ({
    ...result,
    valid: false,
    brokenBatchSeq: seq,
    problem,
  });
  if (read.invalid > 0) return fail(null, `${read.invalid} checkpoint line(s) are not signed checkpoints`);
  for (const checkpoint of read.checkpoints) {
    if (checkpoint.seq === anchorSeq && checkpoint.hash === anchor?.hash) continue;
    if (checkpoint.seq < anchorSeq) continue; // removed by retention, below the anchor
    const hash = hashes.get(checkpoint.seq);
    if (hash === undefined) {
      return fail(
        checkpoint.seq,
        `batch ${checkpoint.seq}, named by a signed checkpoint, is missing: the log was cut short`,
      );
    }
    if (hash !== checkpoint.hash) {
      return fail(checkpoint.seq, `batch ${checkpoint.seq} differs from its signed checkpoint`);
    }
  }
  return { ...result, valid: true, brokenBatchSeq: null, problem: null };
}

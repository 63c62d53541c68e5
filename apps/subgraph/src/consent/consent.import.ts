import { query } from '@custos/database';
import { rowScope } from '@custos/enforcement';
import type { ConsentMethod, ConsentStatus, Purpose } from '@custos/policy';
import { isUuid, Validator } from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';
import {
  type CleanEvent,
  type ConsentEventInput,
  cleanInput,
  type Recorder,
  unknownNotices,
  writeEvent,
} from './consent.ledger.js';
import { parseCsv } from './csv.js';

/** The columns of a consent import, by header name; `method` defaults to IMPORT, the evidence columns are optional. */
export const IMPORT_COLUMNS = [
  'contact_id',
  'purpose',
  'status',
  'method',
  'notice_version',
  'captured_at',
  'source',
] as const;
export const MAX_IMPORT_ROWS = 10_000;

/**
 * Imports consent events from CSV (a form tool's export): every row validated — contact, purpose, status against
 * the purpose's lawful basis, method, notice, time — and then all of them appended in one transaction, or none
 * when any row is bad: the error lists every bad row (`line N.column`) and why, never a value.
 */
export async function importConsents(
  em: EntityManager,
  csv: string,
  recorder: Recorder & { readonly purpose: Purpose },
): Promise<number> {
  const v = new Validator();
  const parsed = parseCsv(csv);
  if ('errorLine' in parsed) {
    v.fail(`line ${parsed.errorLine}`, 'csv', 'has a malformed quoted field');
    v.done();
    return 0;
  }
  const [header, ...rows] = parsed.records;
  const columns = header?.fields.map((name) => name.trim().toLowerCase()) ?? [];
  for (const name of columns) {
    if (!(IMPORT_COLUMNS as readonly string[]).includes(name)) {
      v.fail('header', 'column', `has an unknown column (expected ${IMPORT_COLUMNS.join(', ')})`);
    }
  }
  for (const required of ['contact_id', 'purpose', 'status']) {
    if (!columns.includes(required)) v.fail('header', 'required', `must name the column ${required}`);
  }
  if (rows.length === 0) v.fail('csv', 'required', 'must hold at least one row after the header');
  if (rows.length > MAX_IMPORT_ROWS) v.fail('csv', 'max_rows', `must hold at most ${MAX_IMPORT_ROWS} rows`);
  v.done();

  const cleanRows: { line: number; input: ConsentEventInput; clean: CleanEvent }[] = [];
  for (const row of rows) {
    const prefix = `line ${row.line}.`;
    if (row.fields.length !== columns.length) {
      v.fail(`line ${row.line}`, 'columns', `must have ${columns.length} fields like the header`);
      continue;
    }
    const cell = (name: string) => {
      const index = columns.indexOf(name);
      const value = index < 0 ? '' : (row.fields[index] ?? '').trim();
      return value === '' ? null : value;
    };
    const contactId = cell('contact_id') ?? '';
    if (!isUuid(contactId)) v.fail(`${prefix}contact_id`, 'id', 'must be a contact id');
    const capturedRaw = cell('captured_at');
    const capturedAt = capturedRaw === null ? null : new Date(capturedRaw);
    if (capturedAt && Number.isNaN(capturedAt.getTime())) {
      v.fail(`${prefix}captured_at`, 'date_time', 'must be an ISO 8601 date-time');
    }
    const input: ConsentEventInput = {
      contactId,
      purpose: cell('purpose') ?? '',
      status: (cell('status') ?? '') as ConsentStatus,
      method: (cell('method') ?? 'IMPORT') as ConsentMethod,
      noticeVersion: cell('notice_version'),
      capturedAt: capturedAt && !Number.isNaN(capturedAt.getTime()) ? capturedAt : null,
      evidence: { source: cell('source') },
    };
    const clean = cleanInput(v, input, recorder.now, prefix);
    if (clean) cleanRows.push({ line: row.line, input, clean });
  }
  // Contacts and notices in bulk: a contact the caller's purpose may not see is, here too, one that does not exist.
  const ids = [...new Set(cleanRows.map((row) => row.input.contactId).filter(isUuid))];
  const seen = new Set(
    (
      await query<{ id: string }>(
        em,
        `select c.id from contact c where c.id = any($1::uuid[]) and ${rowScope(recorder.purpose)}`,
        [ids],
      )
    ).map((row) => row.id),
  );
  const missingNotices = new Set(
    await unknownNotices(
      em,
      cleanRows
        .map((row) => row.clean.noticeVersion)
        .filter((version): version is string => version !== null),
    ),
  );
  for (const row of cleanRows) {
    if (isUuid(row.input.contactId) && !seen.has(row.input.contactId)) {
      v.fail(`line ${row.line}.contact_id`, 'exists', 'is not a contact');
    }
    if (row.clean.noticeVersion && missingNotices.has(row.clean.noticeVersion)) {
      v.fail(`line ${row.line}.notice_version`, 'exists', 'is not a published privacy notice version');
    }
  }
  v.done();

  return em.transactional(async (tx) => {
    for (const row of cleanRows) {
      await query(tx, 'select 1 from contact where id = $1 for update', [row.input.contactId]);
      await writeEvent(tx, row.input, row.clean, recorder);
    }
    return cleanRows.length;
  });
}

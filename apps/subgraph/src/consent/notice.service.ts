import { createHash } from 'node:crypto';
import { isoTimestamp, limitRows, Params, query } from '@custos/database';
import {
  ConflictError,
  type Connection,
  decodeTimeCursor,
  pageSize,
  toConnection,
  Validator,
} from '@custos/runtime';
import type { EntityManager } from '@mikro-orm/postgresql';

/** A published privacy notice (Art 13, CCPA notice at collection): what a consent names as the one it rests on. */
export interface PrivacyNoticeRow {
  readonly version: string;
  readonly text: string;
  readonly textSha256: string;
  readonly publishedAt: string;
}

export interface PublishNoticeInput {
  readonly version: string;
  readonly text: string;
  /** When the notice was published; defaults to now, never in the future. */
  readonly publishedAt?: Date | null;
}

/** A version names a notice in URLs, receipts and CSV imports: short, and nothing that needs quoting. */
const VERSION = /^[A-Za-z0-9._-]{1,32}$/;
export const MAX_NOTICE_TEXT = 20_000;
/** A publisher's clock a little ahead is not a lie; a notice published tomorrow is. */
const CLOCK_SKEW_MS = 5 * 60_000;

export const isVersion = (value: string) => VERSION.test(value);

const COLUMNS = `n.version, n.text, n.text_sha256 as "textSha256", ${isoTimestamp('n.published_at', 'publishedAt')}`;

export async function findPrivacyNotice(
  em: EntityManager,
  version: string,
): Promise<PrivacyNoticeRow | null> {
  if (!isVersion(version)) return null;
  const [row] = await query<PrivacyNoticeRow>(
    em,
    `select ${COLUMNS} from privacy_notice n where n.version = $1`,
    [version],
  );
  return row ?? null;
}

/** Every published notice, newest first (then by version, for notices published at the same instant). */
export async function listPrivacyNotices(
  em: EntityManager,
  args: { first?: number | null; after?: string | null },
): Promise<Connection<PrivacyNoticeRow>> {
  const size = pageSize('first', args.first);
  const after = decodeTimeCursor('after', args.after, isVersion);
  const params = new Params();
  const where = after
    ? `where (n.published_at, n.version) < (${params.add(after[0])}, ${params.add(after[1])})`
    : '';
  const rows =
    size === 0
      ? []
      : await query<PrivacyNoticeRow>(
          em,
          `select ${COLUMNS} from privacy_notice n ${where}
           order by n.published_at desc, n.version desc ${limitRows(size + 1)}`,
          params.values,
        );
  return toConnection(
    rows,
    size,
    Boolean(after),
    (row) => [row.publishedAt, row.version],
    async () => {
      const [row] = await query<{ n: number }>(em, 'select count(*)::int as n from privacy_notice');
      return row?.n ?? 0;
    },
  );
}

/**
 * Publishes a new notice version with the SHA-256 of its text, exactly as given (what people are shown is what
 * the hash proves). A version is published once and never edited: an existing one is a CONFLICT, and the
 * application role may not UPDATE the table anyway (db/roles.ts).
 */
export async function publishPrivacyNotice(
  em: EntityManager,
  input: PublishNoticeInput,
  now: Date,
): Promise<string> {
  const v = new Validator();
  if (!isVersion(input.version)) {
    v.fail('version', 'format', 'must be 1 to 32 letters, digits, dots, dashes or underscores');
  }
  // Checked like any free text (not empty, a length limit, no control characters but line breaks and tabs),
  // then stored untrimmed.
  v.text('text', input.text, { max: MAX_NOTICE_TEXT, required: true, multiline: true });
  if (input.text.length > MAX_NOTICE_TEXT && input.text.trim().length <= MAX_NOTICE_TEXT) {
    v.fail('text', 'max_length', `must be at most ${MAX_NOTICE_TEXT} characters`);
  }
  const publishedAt = input.publishedAt ?? now;
  v.timestamp('publishedAt', publishedAt, { notAfter: new Date(now.getTime() + CLOCK_SKEW_MS) });
  v.done();
  const [inserted] = await query<{ version: string }>(
    em,
    `insert into privacy_notice (version, text, text_sha256, published_at) values ($1, $2, $3, $4)
     on conflict (version) do nothing returning version`,
    [input.version, input.text, createHash('sha256').update(input.text).digest('hex'), publishedAt],
  );
  if (!inserted) {
    throw new ConflictError('version', 'is already published: a published notice is never edited');
  }
  return inserted.version;
}

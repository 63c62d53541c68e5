import { PERSONAL_FIELD_NAMES, type PersonalField } from '@custos/policy';
import type { GraphQLResolveInfo } from 'graphql';

/**
 * How personal data reached the caller, derived by the server from the operation it executed — never taken from
 * a header: a root query or mutation field, Federation's `_entities` (a gateway resolving references), or an
 * export (the data-subject access package).
 */
export type Channel = 'QUERY' | 'ENTITIES' | 'MUTATION' | 'EXPORT';

/**
 * What one request did with one subject: how it arrived, and bit masks of the personal fields (FIELD_BIT). A
 * recorder's entries are shared between the subjects that got the same (a page's rows usually all do) and never
 * changed: a subject reached again with more fields gets another entry.
 */
export interface SubjectAccess {
  readonly channel: Channel;
  readonly revealed: number;
  readonly redacted: number;
}

// Masks are 32-bit integers: one bit per personal field of the policy.
if (PERSONAL_FIELD_NAMES.length > 31) {
  throw new Error('the audit recorder holds at most 31 personal fields per mask: widen SubjectAccess');
}
const BITS = new Map<PersonalField, number>(PERSONAL_FIELD_NAMES.map((field, index) => [field, 1 << index]));

/** The bit of a personal field in a {@link SubjectAccess} mask. */
export function fieldBit(field: PersonalField): number {
  return BITS.get(field)!;
}

/** The personal fields of a mask, in the policy's order. */
export function fieldsOf(mask: number): PersonalField[] {
  const fields: PersonalField[] = [];
  for (let index = 0; index < PERSONAL_FIELD_NAMES.length; index++) {
    if (mask & (1 << index)) fields.push(PERSONAL_FIELD_NAMES[index]!);
  }
  return fields;
}

/**
 * One request's accesses, per subject (contact id): written by the privacy plugin as rows are handed out, read
 * once when the response is sent. Noting a row is one map lookup and, for a subject not seen yet, one insertion
 * of an entry shared with the rows before it (no allocation per row: a page of 500 rows makes one entry).
 */
export class AccessRecorder {
  readonly subjects = new Map<string, SubjectAccess>();
  /** Set by an operation that serves data outside GraphQL's own channels (the access package export). */
  channel: Channel | undefined;

  /** The distinct entries of this request (usually one or two), and the one used last. */
  readonly #entries: SubjectAccess[] = [];
  #last: SubjectAccess | undefined;

  /** `subject` was reached; `revealed` and `redacted` are field bits (0: the row only, e.g. its id). */
  note(subject: string, info: GraphQLResolveInfo, revealed: number, redacted: number): void {
    const known = this.subjects.get(subject);
    if (known === undefined) {
      this.subjects.set(subject, this.#entry(this.channel ?? channelOf(info), revealed, redacted));
    } else if (
      (known.revealed | revealed) !== known.revealed ||
      (known.redacted | redacted) !== known.redacted
    ) {
      this.subjects.set(
        subject,
        this.#entry(known.channel, known.revealed | revealed, known.redacted | redacted),
      );
    }
  }

  /** The shared entry for these values. */
  #entry(channel: Channel, revealed: number, redacted: number): SubjectAccess {
    const last = this.#last;
    if (last && last.channel === channel && last.revealed === revealed && last.redacted === redacted)
      return last;
    let entry = this.#entries.find(
      (e) => e.channel === channel && e.revealed === revealed && e.redacted === redacted,
    );
    if (!entry) {
      entry = { channel, revealed, redacted };
      this.#entries.push(entry);
    }
    this.#last = entry;
    return entry;
  }
}

function channelOf(info: GraphQLResolveInfo): Channel {
  if (info.operation.operation === 'mutation') return 'MUTATION';
  let path = info.path;
  while (path.prev) path = path.prev;
  return path.key === '_entities' ? 'ENTITIES' : 'QUERY';
}

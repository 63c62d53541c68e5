import { PERSONAL_FIELD_NAMES, type PersonalField } from '@custos/policy';
import type { GraphQLResolveInfo } from 'graphql';

/**
 * How personal data reached the caller, derived by the server from the operation it executed — never taken from
 * a header: a root query or mutation field, Federation's `_entities` (a gateway resolving references), or an
 * export (the data-subject access package).
 */
export type Channel = 'QUERY' | 'ENTITIES' | 'MUTATION' | 'EXPORT';

/** What one request did with one subject: how it arrived, and bit masks of the personal fields (FIELD_BIT). */
export interface SubjectAccess {
  readonly channel: Channel;
  revealed: number;
  redacted: number;
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
 * One request's accesses, per subject (contact id): written by the privacy plugin's field guards as they resolve,
 * read once when the response is sent. The per-field work is a map lookup and a bitwise or.
 */
export class AccessRecorder {
  readonly subjects = new Map<string, SubjectAccess>();
  /** Set by an operation that serves data outside GraphQL's own channels (the access package export). */
  channel: Channel | undefined;

  /** The subject noted last and its entry: a row's fields are noted one after another (one lookup per row). */
  #lastSubject: string | undefined;
  #last: SubjectAccess | undefined;

  /** `subject` was reached; `revealed` and `redacted` are field bits (0: the row only, e.g. its id). */
  note(subject: string, info: GraphQLResolveInfo, revealed: number, redacted: number): void {
    // `subjects` emptied since (a withheld answer): the remembered entry is no longer in it.
    let known =
      subject === this.#lastSubject && this.subjects.size > 0 ? this.#last : this.subjects.get(subject);
    if (known) {
      known.revealed |= revealed;
      known.redacted |= redacted;
    } else {
      known = { channel: this.channel ?? channelOf(info), revealed, redacted };
      this.subjects.set(subject, known);
    }
    this.#lastSubject = subject;
    this.#last = known;
  }
}

function channelOf(info: GraphQLResolveInfo): Channel {
  if (info.operation.operation === 'mutation') return 'MUTATION';
  let path = info.path;
  while (path.prev) path = path.prev;
  return path.key === '_entities' ? 'ENTITIES' : 'QUERY';
}

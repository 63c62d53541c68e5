import {
  type Cipheriv,
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomFillSync,
  timingSafeEqual,
} from 'node:crypto';
import { ValidationError } from './errors.js';
import { loadOrCreateSecret } from './identity/dev-keys.js';

/**
 * Opaque cursors (DESIGN.md: "no id or timestamp readable in them"; GDPR Art 25, 32). A cursor is the sort key
 * of a row, sealed with AES-256-GCM under a server key: `<key id>.<base64url(nonce | ciphertext | tag)>`.
 * The additional data binds it to one list and one purpose (`Query.contacts|sales`): a cursor replayed in
 * another list, under another purpose or with another key is refused like a forged or truncated one.
 *
 * Keys rotate by configuration (`CURSOR_KEYS`): the first seals, every one opens, so cursors issued before a
 * rotation keep working until their key is removed. Nonces are random (96 bits, drawn in blocks: one
 * `randomFillSync` per 256 cursors), never derived from the content.
 *
 * Time-ordered lists (the sort key a millisecond timestamp and a row's UUID: contacts, interactions, tickets…)
 * take a faster form, because a Relay client reads a cursor on every edge and one AES-GCM operation per cursor
 * cost about 3-7 µs — most of a page of 500's time (bench/README.md, "Opaque cursors"):
 * `<key id>~<base64url of 32 bytes>`, the key packed with redundancy and enciphered with a strong pseudorandom
 * permutation ("encode-then-encipher", Bellare and Rogaway, ASIACRYPT 2000: with a strong PRP, redundancy of
 * r bits makes it an authenticated encryption whose forgeries succeed with probability 2^-r per try). The record
 * is the timestamp (ms, 8 bytes), the UUID (16) and a 64-bit tag of the list and purpose (8): the tag is the
 * redundancy, so a cursor altered, truncated or sealed for another list or purpose opens to a record whose tag
 * does not match, and is refused. The permutation is a 4-round Feistel network over the two 16-byte halves with
 * AES-256 under four keys derived from the secret as round functions (Luby and Rackoff: a strong PRP; secure up
 * to about 2^64 cursors per key). All cursors of a page are enciphered together: one AES call per round for the
 * whole page. The form is deterministic — a row's cursor is the same in every answer for that list and purpose,
 * which tells only that it is the same row, as its id does. Any other key (another format, a non-canonical
 * timestamp or UUID) is sealed with AES-256-GCM as above.
 */
export interface CursorSecret {
  /** Named in every cursor it seals: letters, digits, `_` and `-`, at most 32. */
  readonly id: string;
  /** At least 32 characters of a random secret; the AES key is derived from it (HKDF-SHA256). */
  readonly secret: string;
}

export const CURSOR_KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const NONCE = 12;
const TAG = 16;
/** Longest cursor opened: a key id, a dot, and the base64url of a sort key far longer than any issued. */
const MAX_CURSOR = 400;
const NONCES_PER_FILL = 256;

const invalid = (field: string) =>
  new ValidationError([{ field, rule: 'cursor', message: 'is not a cursor this API issued for this list' }]);

/** Sealing and opening for one list and purpose (the additional data of every cursor it handles). */
export interface CursorBinding {
  seal(plaintext: string): string;
  /** The sealed cursors of many sort keys at once (a page): the fast form where a key takes it. */
  sealKeys(keys: readonly (readonly [string, string])[]): string[];
  /**
   * The plaintext of a cursor sealed for this binding, or BAD_USER_INPUT naming `field` (never the cursor) when
   * it is not one: malformed, truncated, altered, of an unknown key, or issued for another list or purpose.
   */
  open(field: string, cursor: string): string;
}

/** The fast form's record: timestamp (8 bytes), UUID (16), the binding's tag (8). */
const RECORD = 32;
const HALF = 16;
const TAG_AT = 24;
const FAST = '~';
const FAST_BODY = /^[A-Za-z0-9_-]{43}$/;

/** The Feistel network's round functions: AES-256-ECB under four derived keys (one key schedule each, kept). */
class FeistelPermutation {
  readonly #rounds: Cipheriv[];
  constructor(secret: string) {
    this.#rounds = [0, 1, 2, 3].map((round) => {
      const key = Buffer.from(hkdfSync('sha256', secret, 'custos', `custos cursor v2 round ${round}`, 32));
      const cipher = createCipheriv('aes-256-ecb', key, null);
      cipher.setAutoPadding(false);
      return cipher;
    });
  }

  /** Enciphers (or, `inverse`, deciphers) `count` records of `records` in place. */
  apply(records: Buffer, count: number, inverse: boolean): void {
    let left = Buffer.allocUnsafe(count * HALF);
    let right = Buffer.allocUnsafe(count * HALF);
    for (let i = 0; i < count; i++) {
      records.copy(left, i * HALF, i * RECORD, i * RECORD + HALF);
      records.copy(right, i * HALF, i * RECORD + HALF, (i + 1) * RECORD);
    }
    for (let step = 0; step < 4; step++) {
      if (!inverse) {
        // (L, R) -> (R, L xor F(R))
        const mixed = this.#rounds[step]!.update(right);
        for (let b = 0; b < left.length; b++) left[b]! ^= mixed[b]!;
        [left, right] = [right, left];
      } else {
        // (L', R') -> (R' xor F(L'), L'), rounds in reverse
        const mixed = this.#rounds[3 - step]!.update(left);
        for (let b = 0; b < right.length; b++) right[b]! ^= mixed[b]!;
        [left, right] = [right, left];
      }
    }
    for (let i = 0; i < count; i++) {
      left.copy(records, i * RECORD, i * HALF, (i + 1) * HALF);
      right.copy(records, i * RECORD + HALF, i * HALF, (i + 1) * HALF);
    }
  }
}

/** The value of a lower-case hex digit, or -1. */
const hexValue = (code: number): number =>
  code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : -1;

/** Digits of `text` from `from` to `to` as a number, or -1 when one is not a digit. */
function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Positions of the separators of `YYYY-MM-DDTHH:MM:SS.mmmZ` and of a UUID's dashes. */
const TIME_SEPARATORS: readonly [number, string][] = [
  [4, '-'],
  [7, '-'],
  [10, 'T'],
  [13, ':'],
  [16, ':'],
  [19, '.'],
  [23, 'Z'],
];
const UUID_DASHES = new Set([8, 13, 18, 23]);

/**
 * Packs a time-ordered sort key — a timestamp exactly as PostgreSQL formats it here (`YYYY-MM-DDTHH:MM:SS.mmmZ`,
 * shared/sql.ts isoTimestamp) and a lower-case UUID — into the record at `at`: the timestamp's digits as two
 * whole numbers (date, time of day), the UUID's 16 bytes. False for any other key (it is sealed with AES-GCM):
 * what is packed is restored character for character.
 */
function packKey(key: readonly [string, string], records: Buffer, at: number): boolean {
  const [time, id] = key;
  if (time.length !== 24 || id.length !== 36) return false;
  for (const [index, separator] of TIME_SEPARATORS) if (time[index] !== separator) return false;
  const parts = [0, 5, 8, 11, 14, 17, 20].map((from) =>
    digits(time, from, from + (from === 0 ? 4 : from === 20 ? 3 : 2)),
  );
  if (parts.some((part) => part < 0)) return false;
  const [year, month, day, hour, minute, second, milli] = parts as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date = year * 10_000 + month * 100 + day;
  const clock = hour * 10_000_000 + minute * 100_000 + second * 1_000 + milli;
  records.writeUInt32BE(date, at);
  records.writeUInt32BE(clock, at + 4);
  let byte = at + 8;
  for (let i = 0; i < 36; i += 2) {
    if (UUID_DASHES.has(i)) {
      if (id.charCodeAt(i) !== 45) return false;
      i -= 1;
      continue;
    }
    const high = hexValue(id.charCodeAt(i));
    const low = hexValue(id.charCodeAt(i + 1));
    if (high < 0 || low < 0) return false;
    records[byte++] = high * 16 + low;
  }
  return true;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** The sort key of a record (packed by {@link packKey}) as the plaintext of a cursor, or undefined. */
function unpackKey(records: Buffer, at: number): string | undefined {
  const date = records.readUInt32BE(at);
  const clock = records.readUInt32BE(at + 4);
  if (date > 99_991_231 || clock > 235_959_999) return undefined;
  const time =
    `${pad(Math.floor(date / 10_000), 4)}-${pad(Math.floor(date / 100) % 100, 2)}-${pad(date % 100, 2)}T` +
    `${pad(Math.floor(clock / 10_000_000), 2)}:${pad(Math.floor(clock / 100_000) % 100, 2)}:` +
    `${pad(Math.floor(clock / 1_000) % 100, 2)}.${pad(clock % 1_000, 3)}Z`;
  const hex = records.toString('hex', at + 8, at + 24);
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return JSON.stringify([time, id]);
}

export class CursorCodec {
  readonly #keys = new Map<string, Buffer>();
  readonly #permutations = new Map<string, FeistelPermutation>();
  /** Per key id: derives the 64-bit tag of a binding. */
  readonly #tagKeys = new Map<string, Buffer>();
  readonly #sealWith: string;
  /** One binding per list and purpose: a finite set, made on first use. */
  readonly #bindings = new Map<string, CursorBinding>();
  #nonces = Buffer.alloc(0);
  #nonceAt = 0;

  constructor(secrets: readonly CursorSecret[]) {
    if (secrets.length === 0) throw new Error('CursorCodec: at least one key');
    for (const { id, secret } of secrets) {
      this.#keys.set(id, Buffer.from(hkdfSync('sha256', secret, 'custos', 'custos cursor v1', 32)));
      this.#permutations.set(id, new FeistelPermutation(secret));
      this.#tagKeys.set(id, Buffer.from(hkdfSync('sha256', secret, 'custos', 'custos cursor v2 tag', 32)));
    }
    this.#sealWith = secrets[0]!.id;
  }

  /** The binding of `list` (a field coordinate such as `Query.contacts`) for `purpose`. */
  bind(list: string, purpose: string): CursorBinding {
    const name = `${list}|${purpose}`;
    let binding = this.#bindings.get(name);
    if (!binding) {
      const aad = new Map([...this.#keys.keys()].map((id) => [id, Buffer.from(`v1|${id}|${name}`)]));
      const tags = new Map(
        [...this.#tagKeys].map(([id, key]) => [
          id,
          createHmac('sha256', key)
            .update(`v2|${name}`)
            .digest()
            .subarray(0, RECORD - TAG_AT),
        ]),
      );
      binding = {
        seal: (plaintext) => this.#seal(plaintext, aad.get(this.#sealWith)!),
        sealKeys: (keys) => this.#sealKeys(keys, tags.get(this.#sealWith)!, aad.get(this.#sealWith)!),
        open: (field, cursor) =>
          cursor.includes(FAST) ? this.#openFast(field, cursor, tags) : this.#open(field, cursor, aad),
      };
      this.#bindings.set(name, binding);
    }
    return binding;
  }

  #nonce(): Buffer {
    if (this.#nonceAt + NONCE > this.#nonces.length) {
      this.#nonces = randomFillSync(Buffer.allocUnsafe(NONCE * NONCES_PER_FILL));
      this.#nonceAt = 0;
    }
    this.#nonceAt += NONCE;
    return this.#nonces.subarray(this.#nonceAt - NONCE, this.#nonceAt);
  }

  #sealKeys(keys: readonly (readonly [string, string])[], tag: Buffer, aad: Buffer): string[] {
    const records = Buffer.allocUnsafe(keys.length * RECORD);
    const fast: number[] = [];
    const sealed: string[] = new Array(keys.length);
    for (const [index, key] of keys.entries()) {
      const at = fast.length * RECORD;
      if (packKey(key, records, at)) {
        tag.copy(records, at + TAG_AT);
        fast.push(index);
      } else {
        sealed[index] = this.#seal(JSON.stringify(key), aad);
      }
    }
    if (fast.length > 0) {
      this.#permutations.get(this.#sealWith)!.apply(records, fast.length, false);
      for (const [n, index] of fast.entries()) {
        const body = records.toString('base64url', n * RECORD, (n + 1) * RECORD);
        sealed[index] = `${this.#sealWith}${FAST}${body}`;
      }
    }
    return sealed;
  }

  #openFast(field: string, cursor: string, tags: ReadonlyMap<string, Buffer>): string {
    const at = cursor.indexOf(FAST);
    const id = cursor.slice(0, at);
    const body = cursor.slice(at + 1);
    const permutation = this.#permutations.get(id);
    const tag = tags.get(id);
    if (!permutation || !tag || !FAST_BODY.test(body)) throw invalid(field);
    const record = Buffer.from(body, 'base64url');
    // Only the canonical encoding: a last character differing in unused bits is another text, refused too.
    if (record.length !== RECORD || record.toString('base64url') !== body) throw invalid(field);
    permutation.apply(record, 1, true);
    if (!timingSafeEqual(record.subarray(TAG_AT), tag)) throw invalid(field);
    const plaintext = unpackKey(record, 0);
    if (plaintext === undefined) throw invalid(field);
    return plaintext;
  }

  #seal(plaintext: string, aad: Buffer): string {
    const nonce = this.#nonce();
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.#sealWith)!, nonce);
    cipher.setAAD(aad);
    const sealed = Buffer.concat([
      nonce,
      cipher.update(plaintext, 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return `${this.#sealWith}.${sealed.toString('base64url')}`;
  }

  #open(field: string, cursor: string, aads: ReadonlyMap<string, Buffer>): string {
    const dot = cursor.indexOf('.');
    if (cursor.length > MAX_CURSOR || dot < 1) throw invalid(field);
    const id = cursor.slice(0, dot);
    const key = this.#keys.get(id);
    const body = cursor.slice(dot + 1);
    if (!key || !/^[A-Za-z0-9_-]+$/.test(body)) throw invalid(field);
    const sealed = Buffer.from(body, 'base64url');
    if (sealed.length <= NONCE + TAG || sealed.toString('base64url') !== body) throw invalid(field);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE), {
        authTagLength: TAG,
      });
      decipher.setAAD(aads.get(id)!);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
      const plain = [decipher.update(sealed.subarray(NONCE, sealed.length - TAG)), decipher.final()];
      return Buffer.concat(plain).toString('utf8');
    } catch {
      throw invalid(field);
    }
  }
}

/**
 * Parses `CURSOR_KEYS`: `<id>:<secret>` entries separated by commas, the first one sealing. Problems name the
 * variable and the rule, never a secret.
 */
export function parseCursorKeys(raw: string): { keys: CursorSecret[]; problems: string[] } {
  const keys: CursorSecret[] = [];
  const problems: string[] = [];
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    const secret = colon > 0 ? entry.slice(colon + 1) : '';
    if (!CURSOR_KEY_ID.test(id)) {
      problems.push(
        `CURSOR_KEYS: entry ${index + 1} must be <id>:<secret>, the id of letters, digits, _ or - (at most 32)`,
      );
    } else if (secret.length < 32) {
      problems.push(`CURSOR_KEYS: entry ${index + 1} needs a secret of at least 32 characters`);
    } else if (keys.some((key) => key.id === id)) {
      problems.push(`CURSOR_KEYS: entry ${index + 1} repeats a key id`);
    } else {
      keys.push({ id, secret });
    }
  }
  if (keys.length > 16) problems.push('CURSOR_KEYS: at most 16 keys');
  return { keys, problems };
}

/**
 * The cursor keys of a service: CURSOR_KEYS, or in development a secret made once under `<dataDir>/keys/`
 * (production refuses to start without CURSOR_KEYS: see config.ts).
 */
export async function loadCursorCodec(config: {
  readonly cursorKeys: readonly CursorSecret[] | undefined;
  readonly dataDir: string;
}): Promise<CursorCodec> {
  if (config.cursorKeys && config.cursorKeys.length > 0) return new CursorCodec(config.cursorKeys);
  const secret = await loadOrCreateSecret(config.dataDir, 'cursor.key');
  return new CursorCodec([{ id: 'dev', secret: secret.toString('utf8') }]);
}

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
/** A record's base64url (43 characters), and its padded form's (33 bytes: 44 characters). */
const RECORD_TEXT = 43;
const PADDED = 33;
const PADDED_TEXT = 44;

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
    const left = Buffer.allocUnsafe(count * HALF);
    const right = Buffer.allocUnsafe(count * HALF);
    for (let i = 0; i < count; i++) {
      records.copy(left, i * HALF, i * RECORD, i * RECORD + HALF);
      records.copy(right, i * HALF, i * RECORD + HALF, (i + 1) * RECORD);
    }
    const [l, r] = this.halves(left, right, inverse);
    for (let i = 0; i < count; i++) {
      l.copy(records, i * RECORD, i * HALF, (i + 1) * HALF);
      r.copy(records, i * RECORD + HALF, i * HALF, (i + 1) * HALF);
    }
  }

  /**
   * The network over records split into their halves (`left`: every record's first 16 bytes, `right`: their last
   * 16, in record order); the result's halves, which may be the given buffers swapped.
   */
  halves(left: Buffer, right: Buffer, inverse: boolean): [Buffer, Buffer] {
    for (let step = 0; step < 4; step++) {
      if (!inverse) {
        // (L, R) -> (R, L xor F(R))
        xorInto(left, this.#rounds[step]!.update(right));
        [left, right] = [right, left];
      } else {
        // (L', R') -> (R' xor F(L'), L'), rounds in reverse
        xorInto(right, this.#rounds[3 - step]!.update(left));
        [left, right] = [right, left];
      }
    }
    return [left, right];
  }
}

/** `target[i] ^= mask[i]` over `target`, four bytes at a time where both are aligned to four. */
function xorInto(target: Buffer, mask: Buffer): void {
  const length = target.length;
  if (target.byteOffset % 4 === 0 && mask.byteOffset % 4 === 0 && length % 4 === 0) {
    const t = new Int32Array(target.buffer, target.byteOffset, length / 4);
    const m = new Int32Array(mask.buffer, mask.byteOffset, length / 4);
    for (let i = 0; i < t.length; i++) t[i]! ^= m[i]!;
    return;
  }
  for (let b = 0; b < length; b++) target[b]! ^= mask[b]!;
}

/** The value of each lower-case hex digit by its character code (below 128), -1 for any other character. */
const HEX = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit++) HEX['0123456789abcdef'.charCodeAt(digit)] = digit;

/** The value of the two lower-case hex digits of `text` at `at`, or -1. */
function hexByte(text: string, at: number): number {
  const high = text.charCodeAt(at);
  const low = text.charCodeAt(at + 1);
  if (high > 127 || low > 127) return -1;
  const h = HEX[high]!;
  const l = HEX[low]!;
  return h < 0 || l < 0 ? -1 : h * 16 + l;
}

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

/** Where each of a UUID's 16 bytes is, as two hex digits; dashes are at 8, 13, 18 and 23. */
const UUID_PAIRS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34] as const;

/**
 * Packs a time-ordered sort key — a timestamp exactly as PostgreSQL formats it here (`YYYY-MM-DDTHH:MM:SS.mmmZ`,
 * shared/sql.ts isoTimestamp) and a lower-case UUID — into record `n` of a page split into halves (the record's
 * bytes 0-15 at `left[16n]`, 16-31 at `right[16n]`): the timestamp's digits as two whole numbers (date, time of
 * day), the UUID's 16 bytes, then `tag`. False for any other key (it is sealed with AES-GCM): what is packed is
 * restored character for character. Called for every row of every page: no allocation.
 */
function packKey(
  key: readonly [string, string],
  left: Buffer,
  right: Buffer,
  n: number,
  tag: Buffer,
): boolean {
  const time = key[0];
  const id = key[1];
  if (time.length !== 24 || id.length !== 36) return false;
  if (
    time.charCodeAt(4) !== 45 || // -
    time.charCodeAt(7) !== 45 ||
    time.charCodeAt(10) !== 84 || // T
    time.charCodeAt(13) !== 58 || // :
    time.charCodeAt(16) !== 58 ||
    time.charCodeAt(19) !== 46 || // .
    time.charCodeAt(23) !== 90 || // Z
    id.charCodeAt(8) !== 45 ||
    id.charCodeAt(13) !== 45 ||
    id.charCodeAt(18) !== 45 ||
    id.charCodeAt(23) !== 45
  ) {
    return false;
  }
  const year = digits(time, 0, 4);
  const month = digits(time, 5, 7);
  const day = digits(time, 8, 10);
  const hour = digits(time, 11, 13);
  const minute = digits(time, 14, 16);
  const second = digits(time, 17, 19);
  const milli = digits(time, 20, 23);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 || milli < 0) return false;
  const at = n * HALF;
  left.writeUInt32BE(year * 10_000 + month * 100 + day, at);
  left.writeUInt32BE(hour * 10_000_000 + minute * 100_000 + second * 1_000 + milli, at + 4);
  for (let k = 0; k < 8; k++) {
    const byte = hexByte(id, UUID_PAIRS[k]!);
    if (byte < 0) return false;
    left[at + 8 + k] = byte;
  }
  for (let k = 8; k < 16; k++) {
    const byte = hexByte(id, UUID_PAIRS[k]!);
    if (byte < 0) return false;
    right[at + k - 8] = byte;
  }
  for (let k = 0; k < RECORD - TAG_AT; k++) right[at + 8 + k] = tag[k]!;
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

  /**
   * The page's records are packed straight into their halves and enciphered together; their base64url is one
   * encoding of the whole page with each record padded to 33 bytes (a multiple of 3): the first 43 characters of
   * each 44 are exactly the record's own base64url (its 32 bytes end in a 2-byte group, whose 3 characters do not
   * depend on the pad byte).
   */
  #sealKeys(keys: readonly (readonly [string, string])[], tag: Buffer, aad: Buffer): string[] {
    const sealed: string[] = new Array(keys.length);
    const left = Buffer.allocUnsafe(keys.length * HALF);
    const right = Buffer.allocUnsafe(keys.length * HALF);
    const fast: number[] = [];
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index]!;
      if (packKey(key, left, right, fast.length, tag)) fast.push(index);
      else sealed[index] = this.#seal(JSON.stringify(key), aad);
    }
    const count = fast.length;
    if (count === 0) return sealed;
    const [l, r] = this.#permutations
      .get(this.#sealWith)!
      .halves(left.subarray(0, count * HALF), right.subarray(0, count * HALF), false);
    const padded = Buffer.alloc(count * PADDED);
    for (let n = 0; n < count; n++) {
      const to = n * PADDED;
      const from = n * HALF;
      for (let b = 0; b < HALF; b++) {
        padded[to + b] = l[from + b]!;
        padded[to + HALF + b] = r[from + b]!;
      }
    }
    const text = padded.toString('base64url');
    const prefix = `${this.#sealWith}${FAST}`;
    for (let n = 0; n < count; n++) {
      sealed[fast[n]!] = prefix + text.slice(n * PADDED_TEXT, n * PADDED_TEXT + RECORD_TEXT);
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

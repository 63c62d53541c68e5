import { createCipheriv, createDecipheriv, hkdfSync, randomFillSync } from 'node:crypto';
import { loadOrCreateSecret } from '../auth/dev-keys.js';
import { ValidationError } from './errors.js';

/**
 * Opaque cursors (DESIGN.md: "no id or timestamp readable in them"; GDPR Art 25, 32). A cursor is the sort key
 * of a row, sealed with AES-256-GCM under a server key: `<key id>.<base64url(nonce | ciphertext | tag)>`.
 * The additional data binds it to one list and one purpose (`Query.contacts|sales`): a cursor replayed in
 * another list, under another purpose or with another key is refused like a forged or truncated one.
 *
 * Keys rotate by configuration (`CURSOR_KEYS`): the first seals, every one opens, so cursors issued before a
 * rotation keep working until their key is removed. Nonces are random (96 bits, drawn in blocks: one
 * `randomFillSync` per 256 cursors), never derived from the content, so a row's cursor differs per answer.
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
  /**
   * The plaintext of a cursor sealed for this binding, or BAD_USER_INPUT naming `field` (never the cursor) when
   * it is not one: malformed, truncated, altered, of an unknown key, or issued for another list or purpose.
   */
  open(field: string, cursor: string): string;
}

export class CursorCodec {
  readonly #keys = new Map<string, Buffer>();
  readonly #sealWith: string;
  /** One binding per list and purpose: a finite set, made on first use. */
  readonly #bindings = new Map<string, CursorBinding>();
  #nonces = Buffer.alloc(0);
  #nonceAt = 0;

  constructor(secrets: readonly CursorSecret[]) {
    if (secrets.length === 0) throw new Error('CursorCodec: at least one key');
    for (const { id, secret } of secrets) {
      this.#keys.set(id, Buffer.from(hkdfSync('sha256', secret, 'custos', 'custos cursor v1', 32)));
    }
    this.#sealWith = secrets[0]!.id;
  }

  /** The binding of `list` (a field coordinate such as `Query.contacts`) for `purpose`. */
  bind(list: string, purpose: string): CursorBinding {
    const name = `${list}|${purpose}`;
    let binding = this.#bindings.get(name);
    if (!binding) {
      const aad = new Map([...this.#keys.keys()].map((id) => [id, Buffer.from(`v1|${id}|${name}`)]));
      binding = {
        seal: (plaintext) => this.#seal(plaintext, aad.get(this.#sealWith)!),
        open: (field, cursor) => this.#open(field, cursor, aad),
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
    if (sealed.length <= NONCE + TAG) throw invalid(field);
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

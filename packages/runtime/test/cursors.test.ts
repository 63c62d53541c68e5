import { createCipheriv, createHash, createHmac, hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CursorCodec } from '../src/cursors.js';

const SECRET = 'a cursor secret of more than thirty-two characters';
const LIST = 'Query.contacts';
const PURPOSE = 'customer_support';

/**
 * The fast form as its documentation states it (cursors.ts), written out independently of the codec: the record
 * (date and time of day as whole numbers, the UUID's bytes, the binding's 8-byte tag) through a 4-round Feistel
 * network of AES-256 round functions, in base64url after the key id and `~`. Cursors issued before a release must
 * open after it: the format is fixed.
 */
function expectedFast(keyId: string, time: string, id: string): string {
  const derive = (info: string) => Buffer.from(hkdfSync('sha256', SECRET, 'custos', info, 32));
  const tag = createHmac('sha256', derive('custos cursor v2 tag'))
    .update(`v2|${LIST}|${PURPOSE}`)
    .digest()
    .subarray(0, 8);
  const [date, clock] = time.split('T') as [string, string];
  const record = Buffer.alloc(32);
  record.writeUInt32BE(Number(date.replaceAll('-', '')), 0);
  record.writeUInt32BE(Number(clock.replace(/[:.Z]/g, '')), 4);
  Buffer.from(id.replaceAll('-', ''), 'hex').copy(record, 8);
  tag.copy(record, 24);
  let left = record.subarray(0, 16);
  let right = record.subarray(16);
  for (let round = 0; round < 4; round++) {
    const aes = createCipheriv('aes-256-ecb', derive(`custos cursor v2 round ${round}`), null);
    aes.setAutoPadding(false);
    const mask = aes.update(right);
    const mixed = Buffer.from(left.map((byte, i) => byte ^ mask[i]!));
    [left, right] = [right, mixed];
  }
  return `${keyId}~${Buffer.concat([left, right]).toString('base64url')}`;
}

/** Row `i`'s sort key: a timestamp as PostgreSQL formats it and a lower-case UUID, both derived from `i`. */
function keyOf(i: number): [string, string] {
  const time = new Date(Date.UTC(2020, 0, 1) + i * 7_654_321_987).toISOString();
  const hex = createHash('sha256').update(String(i)).digest('hex').slice(0, 32);
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return [time, id];
}

describe('sealed cursors of a page', () => {
  const binding = new CursorCodec([{ id: 'k1', secret: SECRET }]).bind(LIST, PURPOSE);

  it.each([0, 1, 2, 3, 4, 50, 500])(
    'a page of %i rows: each cursor is its row’s fast form, and opens to its key',
    (size) => {
      const keys = Array.from({ length: size }, (_, i) => keyOf(i));
      const cursors = binding.sealKeys(keys);
      expect(cursors).toHaveLength(size);
      for (const [i, key] of keys.entries()) {
        expect(cursors[i]).toBe(expectedFast('k1', ...key));
        expect(binding.open('after', cursors[i]!)).toBe(JSON.stringify(key));
      }
    },
  );

  it('seals keys of another shape with AES-GCM, in place, and the canonical ones around them in the fast form', () => {
    const keys = Array.from({ length: 40 }, (_, i) => keyOf(i));
    const odd = new Map<number, [string, string]>([
      [0, [keys[0]![0], keys[0]![1].toUpperCase()]],
      [7, [keys[7]![0].replace('Z', '+00'), keys[7]![1]]],
      [8, [keys[8]![0], keys[8]![1].replaceAll('-', '')]],
      [21, ['2024-01-01T00:00:00.00xZ', keys[21]![1]]],
      [39, [keys[39]![0], `${keys[39]![1].slice(0, 35)}g`]],
    ]);
    for (const [i, key] of odd) keys[i] = key;
    const cursors = binding.sealKeys(keys);
    for (const [i, key] of keys.entries()) {
      if (odd.has(i)) {
        expect(cursors[i]).toMatch(/^k1\.[A-Za-z0-9_-]+$/);
      } else {
        expect(cursors[i]).toBe(expectedFast('k1', ...key));
      }
      expect(binding.open('after', cursors[i]!)).toBe(JSON.stringify(key));
    }
  });
});

import { randomFillSync } from 'node:crypto';

// Audit events are keyed by UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74 random bits. The trail
// is append-only and written at the serving rate, and a random (v4) key puts every new event, and its access rows
// (keyed by the event), on a random leaf page of the primary keys: after each PostgreSQL checkpoint nearly every
// insert then writes a full copy of a page to the WAL, and the index's working set is all of it. Time-ordered keys
// land on the rightmost pages (issue 16). The time they carry is the event's own `occurredAt`, which the trail
// stores anyway, and only staff who may read the trail see an event's id.

/** Random bytes drawn 256 ids at a time (one system call, not one per event). */
const POOL = Buffer.alloc(16 * 256);
let used = POOL.length;

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** A UUIDv7 for the time `ms` (Unix milliseconds; default now), lowercase with dashes. */
export function uuidv7(ms: number = Date.now()): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 2 ** 48) throw new RangeError('uuidv7: time out of range');
  if (used === POOL.length) {
    randomFillSync(POOL);
    used = 0;
  }
  const at = used;
  used += 16;
  const high = Math.floor(ms / 2 ** 32);
  const low = ms >>> 0;
  const b = POOL;
  const h = HEX;
  return (
    h[(high >>> 8) & 0xff]! +
    h[high & 0xff]! +
    h[low >>> 24]! +
    h[(low >>> 16) & 0xff]! +
    '-' +
    h[(low >>> 8) & 0xff]! +
    h[low & 0xff]! +
    '-' +
    h[0x70 | (b[at + 6]! & 0x0f)]! +
    h[b[at + 7]!]! +
    '-' +
    h[0x80 | (b[at + 8]! & 0x3f)]! +
    h[b[at + 9]!]! +
    '-' +
    h[b[at + 10]!]! +
    h[b[at + 11]!]! +
    h[b[at + 12]!]! +
    h[b[at + 13]!]! +
    h[b[at + 14]!]! +
    h[b[at + 15]!]!
  );
}

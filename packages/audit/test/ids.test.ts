import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/index.js';

// RFC 9562 §5.7, read off the text form: unix_ts_ms (48 bits), ver (4 bits, 7), rand_a (12), var (2 bits, 0b10),
// rand_b (62).
const LAYOUT = /^([0-9a-f]{8})-([0-9a-f]{4})-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const millisecondsOf = (id: string) => {
  const match = LAYOUT.exec(id);
  if (!match) throw new Error(`not a UUIDv7: ${id}`);
  return Number.parseInt(`${match[1]}${match[2]}`, 16);
};

describe('uuidv7 (audit event ids)', () => {
  it('has the version and variant bits and the given time in its first 48 bits', () => {
    for (const ms of [0, 1, 0xff, 2 ** 32 - 1, 2 ** 32, Date.UTC(2026, 11, 7, 19, 0, 0, 123), 2 ** 48 - 1]) {
      const id = uuidv7(ms);
      expect(id).toMatch(LAYOUT);
      expect(millisecondsOf(id)).toBe(ms);
    }
    // 2026-12-07T19:00:00.123Z is 0x01a251e08bfb ms: the text starts with those hex digits.
    expect(uuidv7(Date.UTC(2026, 11, 7, 19, 0, 0, 123)).slice(0, 13)).toBe('01a251e0-8bfb');
  });

  it('sorts by time as text and as PostgreSQL compares uuids (bytewise)', () => {
    const times = [
      Date.UTC(2020, 0, 1),
      Date.UTC(2026, 11, 7),
      Date.UTC(2026, 11, 7) + 1,
      Date.UTC(2031, 5, 1),
    ];
    const ids = times.map((ms) => uuidv7(ms));
    expect([...ids].sort()).toEqual(ids);
  });

  it('is random after the time: many ids in one millisecond are distinct, over more than one pool of bytes', () => {
    const ms = Date.UTC(2026, 11, 7);
    const ids = Array.from({ length: 5_000 }, () => uuidv7(ms));
    expect(new Set(ids).size).toBe(ids.length);
    // The 74 random bits vary: every hex digit of rand_b's last 12 appears in that position.
    const last = new Set(ids.map((id) => id.at(-1)));
    expect(last.size).toBe(16);
  });

  it('refuses a time outside 48 bits of milliseconds', () => {
    for (const bad of [-1, 2 ** 48, Number.NaN, 1.5]) expect(() => uuidv7(bad)).toThrow(RangeError);
  });

  it('defaults to now', () => {
    const before = Date.now();
    const ms = millisecondsOf(uuidv7());
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });
});

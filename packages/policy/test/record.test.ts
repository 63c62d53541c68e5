import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  fnv1a64,
  POLICY_TABLES,
  POLICY_VERSION,
  PURPOSE_DEFINITIONS,
  renderProcessingRecord,
} from '../src/index.js';

describe('policy version', () => {
  it('is a content fingerprint of every table', () => {
    expect(POLICY_VERSION).toBe(`policy-${fnv1a64(canonicalJson(POLICY_TABLES))}`);
    expect(POLICY_VERSION).toMatch(/^policy-[0-9a-f]{16}$/);
  });

  it('changes when any rule changes, and not when only key order does', () => {
    const moved = {
      ...POLICY_TABLES,
      purposes: {
        ...PURPOSE_DEFINITIONS,
        sales: { ...PURPOSE_DEFINITIONS.sales, fields: ['Contact.email'] },
      },
    };
    expect(fnv1a64(canonicalJson(moved))).not.toBe(fnv1a64(canonicalJson(POLICY_TABLES)));
    const reordered = Object.fromEntries(Object.entries(POLICY_TABLES).reverse());
    expect(fnv1a64(canonicalJson(reordered))).toBe(fnv1a64(canonicalJson(POLICY_TABLES)));
  });

  it('writes canonical JSON: keys sorted by code unit at every depth, undefined members left out', () => {
    // Expected texts written by hand: what the audit chain's stored digests were computed over.
    expect(
      canonicalJson({ b: 1, a: [true, null, 'x"y'], c: undefined, B: { z: 2.5, é: 'é', 10: 1, 9: 0 } }),
    ).toBe('{"B":{"10":1,"9":0,"z":2.5,"é":"é"},"a":[true,null,"x\\"y"],"b":1}');
    expect(canonicalJson([undefined, {}, [], 'a'])).toBe('[,{},[],"a"]');
    expect(canonicalJson('text')).toBe('"text"');
    expect(canonicalJson(null)).toBe('null');
  });

  it('hashes like the FNV-1a 64 reference vectors', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });
});

describe('record of processing (Art 30)', () => {
  const committed = readFileSync(new URL('../../../docs/processing-record.md', import.meta.url), 'utf8');

  it('is committed exactly as the policy renders it (run `npm run policy:record` after a policy change)', () => {
    expect(committed).toBe(renderProcessingRecord());
  });

  it('states each purpose with its lawful basis and the current policy version', () => {
    expect(committed).toContain(POLICY_VERSION);
    expect(committed).toContain('### `marketing`');
    expect(committed).toContain('Consent — Art 6(1)(a)');
    expect(committed).toContain('Art 9(2)(f)');
  });
});

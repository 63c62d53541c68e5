import { ValidationError } from '@custos/runtime';
import { describe, expect, it } from 'vitest';
import { type AddressRule, canonicalAddress, mailAddress } from '../src/address.js';

/**
 * canonicalAddress: one form per address, and refusals that name the field and the rule but never the value.
 */
const GOOD: [string, string, string][] = [
  ['plain', 'jane.doe@example.com', 'jane.doe@example.com'],
  ['surrounding whitespace trimmed', '  jane@example.com\t', 'jane@example.com'],
  ['domain lowercased, local part kept as given', 'Jane.Doe@Example.COM', 'Jane.Doe@example.com'],
  ['plus tag and atext specials kept', "o'neil+news&x=1@example.org", "o'neil+news&x=1@example.org"],
  ['IDN domain to A-labels', 'user@Bücher.example', 'user@xn--bcher-kva.example'],
  ['IDN domain, upper case', 'user@BÜCHER.Example', 'user@xn--bcher-kva.example'],
  ['A-label domain kept', 'user@xn--bcher-kva.example', 'user@xn--bcher-kva.example'],
  ['IDNA mapping: a soft hyphen is dropped', 'user@exam\u00adple.com', 'user@example.com'],
  ['subdomains and hyphens', 'a@mail.eu-west.example.co.uk', 'a@mail.eu-west.example.co.uk'],
  ['64-character local part', `${'l'.repeat(64)}@example.com`, `${'l'.repeat(64)}@example.com`],
  ['63-character label', `a@${'d'.repeat(63)}.example`, `a@${'d'.repeat(63)}.example`],
];

/** [case, input, rule, the secret part of the input that must not appear in the error]. */
const BAD: [string, string, AddressRule, string][] = [
  ['empty', '   ', 'required', ''],
  ['quoted local part', '"jane secret"@example.com', 'quoted_local_part', 'secret'],
  ['quoted local part holding an @', '"evil@attacker.test"@example.com', 'quoted_local_part', 'attacker'],
  ['comment in the local part', 'jane(secret)@example.com', 'comment', 'secret'],
  ['comment after the address', 'jane@example.com (secretcomment)', 'comment', 'secretcomment'],
  ['display name', 'Jane Secretname <jane@example.com>', 'display_name', 'Secretname'],
  ['angle brackets only', '<janesecret@example.com>', 'display_name', 'janesecret'],
  ['two addresses, comma', 'janesecret@example.com, bob@example.com', 'single_address', 'janesecret'],
  ['two addresses, semicolon', 'janesecret@example.com;bob@example.com', 'single_address', 'janesecret'],
  ['two addresses, space', 'janesecret@example.com bob@example.com', 'single_address', 'janesecret'],
  ['two @', 'jane@secret@example.com', 'single_address', 'secret'],
  ['header injection', 'janesecret@example.com\r\nBcc: all@example.com', 'control_characters', 'janesecret'],
  ['NUL', 'janesecret\u0000@example.com', 'control_characters', 'janesecret'],
  ['C1 control', 'janesecret\u0085@example.com', 'control_characters', 'janesecret'],
  ['space inside', 'jane secret@example.com', 'whitespace', 'secret'],
  ['no-break space inside', 'jane\u00a0secret@example.com', 'whitespace', 'secret'],
  ['no @', 'janesecret.example.com', 'email', 'janesecret'],
  ['nothing before @', '@examplesecret.com', 'email', 'examplesecret'],
  ['nothing after @', 'janesecret@', 'email', 'janesecret'],
  ['leading dot', '.janesecret@example.com', 'email', 'janesecret'],
  ['double dot', 'jane..secret@example.com', 'email', 'secret'],
  ['backslash', 'jane\\secret@example.com', 'email', 'secret'],
  ['host without a dot', 'janesecret@localhost', 'email', 'janesecret'],
  ['trailing dot in the domain', 'janesecret@example.com.', 'email', 'janesecret'],
  ['IP address as domain', 'janesecret@192.0.2.1', 'email', 'janesecret'],
  ['percent-encoded domain', 'janesecret@ex%61mple.com', 'email', 'janesecret'],
  ['underscore in the domain', 'janesecret@ex_ample.com', 'email', 'janesecret'],
  ['domain literal', 'janesecret@[192.0.2.1]', 'domain_literal', 'janesecret'],
  ['UTF-8 local part', 'jänesecret@example.com', 'ascii_local_part', 'secret'],
  ['local part over 64', `${'s'.repeat(65)}@example.com`, 'local_part_length', 'sssssss'],
  ['label over 63', `janesecret@${'d'.repeat(64)}.example`, 'label_length', 'janesecret'],
  [
    'domain over 255',
    `janesecret@${Array.from({ length: 5 }, () => 'd'.repeat(60)).join('.')}.example`,
    'domain_length',
    'janesecret',
  ],
  [
    'address over 254',
    `${'s'.repeat(64)}@${Array.from({ length: 4 }, () => 'd'.repeat(45)).join('.')}.example`,
    'max_length',
    'sssssss',
  ],
  ['absurdly long input', `${'s'.repeat(5000)}@example.com`, 'max_length', 'sssssss'],
  ['domain with a code point IDNA disallows', 'janesecret@ex\ufffdample.com', 'idna', 'janesecret'],
  ['label starting with a hyphen', 'janesecret@-example.com', 'idna', 'janesecret'],
];

describe('canonicalAddress', () => {
  it.each(GOOD)('accepts: %s', (_, input, canonical) => {
    expect(canonicalAddress(input)).toBe(canonical);
    // Idempotent: the canonical form canonicalises to itself.
    expect(canonicalAddress(canonical)).toBe(canonical);
  });

  it.each(BAD)('refuses: %s', (_, input, rule, secret) => {
    let caught: unknown;
    try {
      canonicalAddress(input, 'contact.email');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const error = caught as ValidationError;
    expect(error.problems).toEqual([{ field: 'contact.email', rule, message: expect.any(String) }]);
    expect(error.message).toMatch(/^contact\.email: /);
    // Nothing of the value: not the input, not its local part or domain, not the secret part of the case.
    const everything = `${error.message} ${JSON.stringify(error.problems)} ${JSON.stringify(error.extensions)}`;
    const [local, domain] = input.trim().split('@');
    if (secret !== '') expect(everything).not.toContain(secret);
    if (local && local.length > 3) expect(everything).not.toContain(local);
    if (domain && domain.length > 3) expect(everything).not.toContain(domain);
  });

  it('mailAddress gives the address object nodemailer is handed', () => {
    expect(mailAddress('Jane@EXAMPLE.org')).toEqual({ name: '', address: 'Jane@example.org' });
    expect(() => mailAddress('Jane <jane@example.org>', '', 'to')).toThrow(/^to: /);
  });
});

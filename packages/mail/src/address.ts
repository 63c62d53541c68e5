import { domainToASCII } from 'node:url';
import { ValidationError } from '@custos/runtime';

/**
 * One email address, canonicalised once — at the edge where it enters Custos — and compared, stored and mailed in
 * that form ever after. The rules are deliberately narrower than RFC 5322's `mailbox`: what reaches nodemailer
 * is a bare `local@domain` that no address parser can read two ways.
 *
 * - Surrounding whitespace is trimmed; whitespace inside refuses the address.
 * - The domain is lowercased and an internationalised domain is turned into its A-labels (IDNA, `xn--…`) by
 *   node:url's `domainToASCII` (UTS #46, the WHATWG URL rules): `Bücher.example` and `xn--bcher-kva.example` are
 *   one address.
 * - The local part is kept exactly as given, case included: RFC 5321 §2.4 lets the receiving host tell
 *   `Jane` from `jane`, so folding it could mail someone else. Only the ASCII dot-atom form is accepted
 *   (RFC 5322 §3.2.3 `atext` and single dots): no quoted local parts (`"a b"@x`), and no UTF-8 local parts
 *   either — those need SMTPUTF8 (RFC 6531) from every relay on the way, and have Unicode normalisation forms
 *   that would make one mailbox several canonical strings.
 * - Refused outright, each with its own rule: display names (`Jane <jane@x>`), comments (`jane(home)@x`), more
 *   than one address, control characters (header injection), domain literals (`jane@[192.0.2.1]`), and what
 *   exceeds RFC 5321 §4.5.3.1: 64 octets of local part, 255 of domain (63 per label, RFC 1035), 254 in all (a
 *   path is at most 256 octets with its angle brackets).
 *
 * A refusal is a ValidationError whose problem names the field and the rule, never the value nor any part of it
 * (DESIGN.md, "Errors"). `canonicalAddress` is idempotent: a canonical address canonicalises to itself.
 */
export type AddressRule =
  | 'required'
  | 'max_length'
  | 'control_characters'
  | 'whitespace'
  | 'display_name'
  | 'comment'
  | 'quoted_local_part'
  | 'single_address'
  | 'email'
  | 'ascii_local_part'
  | 'local_part_length'
  | 'domain_literal'
  | 'idna'
  | 'domain_length'
  | 'label_length';

/** RFC 5321 §4.5.3.1.1-3 and §4.5.3.1.3's path limit (256 octets with the two angle brackets). */
export const ADDRESS_LIMITS = { localPart: 64, domain: 255, label: 63, address: 254 } as const;

const MESSAGES: Record<AddressRule, string> = {
  required: 'is required',
  max_length: `must be at most ${ADDRESS_LIMITS.address} characters`,
  control_characters: 'must not contain control characters',
  whitespace: 'must not contain spaces',
  display_name: 'must be a bare address, without a display name or angle brackets',
  comment: 'must not contain comments (parentheses)',
  quoted_local_part: 'must not have a quoted local part',
  single_address: 'must be exactly one address',
  email: 'must be a valid email address (local-part@domain)',
  ascii_local_part: "must have a local part of ASCII letters, digits and !#$%&'*+/=?^_`{|}~.-",
  local_part_length: `must have a local part of at most ${ADDRESS_LIMITS.localPart} characters`,
  domain_literal: 'must have a domain name, not an address literal',
  idna: 'must have a valid (internationalised) domain name',
  domain_length: `must have a domain of at most ${ADDRESS_LIMITS.domain} characters`,
  label_length: `must have domain labels of at most ${ADDRESS_LIMITS.label} characters`,
};

/** A refusal of one address: the field and the rule, never the value. */
export function addressError(field: string, rule: AddressRule): ValidationError {
  return new ValidationError([{ field, rule, message: MESSAGES[rule] }]);
}

// RFC 5322 §3.2.3 atext, as a dot-atom: atoms separated by single dots.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
// A DNS label as domainToASCII hands it back: letters, digits, inner hyphens (RFC 1123 §2.1).
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** C0 controls, DEL and the C1 controls: none may reach a header. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/** Unicode spaces (no-break, ideographic…) as well as ASCII ones. */
const SPACE = /\s/u;

/**
 * The canonical form of one email address, or a ValidationError naming `field` and the rule it breaks.
 * See the module comment for the rules.
 */
export function canonicalAddress(input: string, field = 'email'): string {
  const refuse = (rule: AddressRule): never => {
    throw addressError(field, rule);
  };
  if (typeof input !== 'string') refuse('required');
  // Bound the work before any of it: nothing longer can be an address.
  if (input.length > 4 * ADDRESS_LIMITS.address) refuse('max_length');
  const text = input.trim();
  if (text === '') refuse('required');
  if (hasControl(text)) refuse('control_characters');
  // The forms RFC 5322 allows and we refuse, named by what the person most likely typed.
  if (text.includes('<') || text.includes('>')) refuse('display_name');
  if (text.includes('(') || text.includes(')')) refuse('comment');
  if (text.includes('"')) refuse('quoted_local_part');
  // `@` twice (outside quotes, already refused) or a list separator: more than one address.
  if (/[,;]/.test(text) || text.indexOf('@') !== text.lastIndexOf('@')) refuse('single_address');
  if (SPACE.test(text)) refuse('whitespace');
  const at = text.indexOf('@');
  if (at <= 0 || at === text.length - 1) refuse('email');
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (domain.startsWith('[')) refuse('domain_literal');
  if (!/^[\x21-\x7e]+$/.test(local)) refuse('ascii_local_part');
  if (local.length > ADDRESS_LIMITS.localPart) refuse('local_part_length');
  // Printable ASCII that is not a dot-atom: a leading, trailing or doubled dot, or one of `[]\\:`.
  if (!DOT_ATOM.test(local)) refuse('email');
  // ASCII in a domain is letters, digits, hyphens and dots; anything else (`%`, `_`, `/`…) the URL host parser
  // would decode, map or keep — a domain is refused rather than rewritten into another one.
  if (/[\x21-\x2c\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/.test(domain)) refuse('email');
  // An empty label (`a..b`, a leading or trailing dot): refused before IDNA, which might drop or keep it.
  if (domain.startsWith('.') || domain.endsWith('.') || domain.includes('..')) refuse('email');
  const ascii = domainToASCII(domain);
  if (ascii === '') refuse('idna');
  if (ascii.length > ADDRESS_LIMITS.domain) refuse('domain_length');
  const labels = ascii.split('.');
  // A bare host name (no dot), an empty label (`a..b`, a trailing dot) or an IP address is not a mail domain.
  if (labels.length < 2 || labels.some((label) => label === '') || /^\d+$/.test(labels.at(-1)!)) {
    refuse('email');
  }
  if (labels.some((label) => label.length > ADDRESS_LIMITS.label)) refuse('label_length');
  if (!labels.every((label) => LDH_LABEL.test(label))) refuse('idna');
  const address = `${local}@${ascii}`;
  if (address.length > ADDRESS_LIMITS.address) refuse('max_length');
  return address;
}

/** nodemailer's address object: recipients are passed as these, never as strings it would parse again. */
export interface MailAddress {
  readonly name: string;
  readonly address: string;
}

/** The address object of a canonical address (canonicalised again: idempotent, and a guard). */
export function mailAddress(address: string, name = '', field = 'email'): MailAddress {
  return { name, address: canonicalAddress(address, field) };
}

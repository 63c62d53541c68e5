import net from 'node:net';
import { COUNTRY_CODES } from './countries.js';
import { type FieldProblem, ValidationError } from './errors.js';

/** C0 controls and DEL; free text may keep tab, line feed and carriage return. */
function hasControlCharacters(text: string, multiline: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x7f) return true;
    if (code < 0x20 && !(multiline && (code === 0x09 || code === 0x0a || code === 0x0d))) return true;
  }
  return false;
}

/**
 * Field validation that reports every problem of an input at once. Messages state the rule and never
 * echo the value (it is personal data, and error messages end up in logs and screenshots).
 */
export class Validator {
  private readonly problems: FieldProblem[] = [];

  fail(field: string, rule: string, message: string): void {
    this.problems.push({ field, rule, message });
  }

  /** Trims and checks a string; returns undefined for absent input, null for an explicit null. */
  text(
    field: string,
    value: string | null | undefined,
    rules: { max: number; min?: number; required?: boolean; multiline?: boolean },
  ): string | null | undefined {
    if (value === undefined || value === null) {
      if (rules.required) this.fail(field, 'required', 'is required');
      return value;
    }
    const trimmed = value.trim();
    const min = rules.min ?? (rules.required ? 1 : 0);
    if (trimmed.length < min) {
      this.fail(field, 'required', min <= 1 ? 'must not be empty' : `must be at least ${min} characters`);
    } else if (trimmed.length > rules.max) {
      this.fail(field, 'max_length', `must be at most ${rules.max} characters`);
    }
    // Control characters break exports and logs; only free text may hold line breaks and tabs.
    if (hasControlCharacters(trimmed, rules.multiline ?? false)) {
      this.fail(field, 'control_characters', 'must not contain control characters');
    }
    if (trimmed.length === 0 && !rules.required) return null;
    return trimmed;
  }

  /** E.164: a plus sign, a country code that does not start with 0, at most 15 digits in all. */
  phone(field: string, value: string | null | undefined): string | null | undefined {
    if (value === undefined || value === null) return value;
    const text = value.trim();
    if (text === '') return null;
    if (!/^\+[1-9]\d{6,14}$/.test(text)) {
      this.fail(field, 'e164', 'must be an E.164 phone number such as +14155550100');
    }
    return text;
  }

  /** ISO 3166-1 alpha-2, upper case. */
  country(field: string, value: string | null | undefined): string | null | undefined {
    if (value === undefined || value === null) return value;
    const text = value.trim().toUpperCase();
    if (text === '') return null;
    if (!COUNTRY_CODES.has(text))
      this.fail(field, 'iso3166_alpha2', 'must be an ISO 3166-1 alpha-2 country code');
    return text;
  }

  /** A calendar date (YYYY-MM-DD) strictly in the past and not before 1900. */
  birthDate(field: string, value: string | null | undefined, today: Date): string | null | undefined {
    if (value === undefined || value === null) return value;
    const text = value.trim();
    if (text === '') return null;
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    const date = match
      ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
      : undefined;
    if (!match || !date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== text) {
      this.fail(field, 'date', 'must be a calendar date in the form YYYY-MM-DD');
      return text;
    }
    const todayUtc = today.toISOString().slice(0, 10);
    if (text >= todayUtc) this.fail(field, 'past', 'must be in the past');
    else if (text < '1900-01-01') this.fail(field, 'min', 'must not be before 1900-01-01');
    return text;
  }

  ipAddress(field: string, value: string | null | undefined): string | null | undefined {
    if (value === undefined || value === null) return value;
    const text = value.trim();
    if (text === '') return null;
    if (net.isIP(text) === 0) this.fail(field, 'ip_address', 'must be an IPv4 or IPv6 address');
    return text.toLowerCase();
  }

  domain(field: string, value: string | null | undefined): string | null | undefined {
    const text = this.text(field, value, { max: 253 });
    if (!text) return text;
    if (!/^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/.test(text)) {
      this.fail(field, 'domain', 'must be a domain name such as example.com');
    }
    return text.toLowerCase();
  }

  timestamp(
    field: string,
    value: Date | null | undefined,
    rules: { notAfter?: Date },
  ): Date | null | undefined {
    if (value === undefined || value === null) return value;
    if (rules.notAfter && value.getTime() > rules.notAfter.getTime()) {
      this.fail(field, 'not_future', 'must not be in the future');
    }
    return value;
  }

  /** Throws one ValidationError naming every problem found so far. */
  done(): void {
    if (this.problems.length > 0) throw new ValidationError([...this.problems]);
  }
}

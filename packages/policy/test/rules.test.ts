import { describe, expect, it } from 'vitest';
import {
  auditsEveryOperation,
  CONSENT_BIT,
  type ContactState,
  consentStatusProblem,
  DATA_CATEGORIES,
  decideField,
  describeAccess,
  fieldVisibility,
  GPC_REFUSED_PURPOSES,
  GPC_REFUSES,
  isPersonalField,
  mayRunOperation,
  maySeeRow,
  NON_PERSONAL_FIELDS,
  ORDINARY_CONTACT,
  PERSONAL_FIELD_NAMES,
  PERSONAL_FIELDS,
  PURPOSE_DEFINITIONS,
  PURPOSES,
  unrestrictedPurpose,
} from '../src/index.js';

/**
 * The rules of DESIGN.md stated independently of the fixture: if the fixture and the policy ever drifted
 * together, these still hold the line.
 */
const state = (patch: Partial<ContactState>): ContactState => ({ ...ORDINARY_CONTACT, ...patch });

describe('classification', () => {
  it('gives every personal field a known category, and derived fields a personal source', () => {
    for (const field of PERSONAL_FIELD_NAMES) {
      const definition = PERSONAL_FIELDS[field];
      expect(Object.keys(DATA_CATEGORIES)).toContain(definition.category);
      if ('derivedFrom' in definition) expect(isPersonalField(definition.derivedFrom.field)).toBe(true);
    }
  });

  it('marks health data, and only it, as a special category (Art 9)', () => {
    const special = Object.entries(DATA_CATEGORIES)
      .filter(([, c]) => c.special)
      .map(([k]) => k);
    expect(special).toEqual(['user.health_and_medical']);
  });

  it('lists no field as both personal and non-personal', () => {
    for (const field of NON_PERSONAL_FIELDS) expect(isPersonalField(field)).toBe(false);
  });

  it('classifies interaction free text as personal data', () => {
    expect(isPersonalField('Interaction.body')).toBe(true);
    expect(isPersonalField('Interaction.subject')).toBe(true);
  });
});

describe('rules of DESIGN.md', () => {
  it('analytics may not run a Contact query and sees no contact row', () => {
    for (const op of ['Query.contact', 'Query.contacts', 'Query._entities']) {
      expect(mayRunOperation('analytics', op)).toBe(false);
    }
    expect(maySeeRow('analytics', ORDINARY_CONTACT)).toBe(false);
  });

  it('administration sees rows but no personal field', () => {
    expect(maySeeRow('administration', ORDINARY_CONTACT)).toBe(true);
    for (const field of PERSONAL_FIELD_NAMES) {
      expect(decideField('administration', field, ORDINARY_CONTACT).allowed).toBe(false);
    }
  });

  it('only compliance ever sees a special category', () => {
    for (const purpose of PURPOSES) {
      const opened = decideField(purpose, 'Contact.healthNotes', ORDINARY_CONTACT).allowed;
      expect({ purpose, opened }).toEqual({ purpose, opened: purpose === 'compliance' });
    }
  });

  it('marketing and sale_share see only contacts with GRANTED consent for that very purpose', () => {
    for (const purpose of ['marketing', 'sale_share'] as const) {
      expect(maySeeRow(purpose, ORDINARY_CONTACT)).toBe(false);
      for (const status of ['DENIED', 'WITHDRAWN', 'OBJECTED'] as const) {
        expect(maySeeRow(purpose, state({ consents: { [purpose]: status } }))).toBe(false);
      }
      expect(maySeeRow(purpose, state({ consents: { [purpose]: 'GRANTED' } }))).toBe(true);
      const other = purpose === 'marketing' ? 'sale_share' : 'marketing';
      expect(maySeeRow(purpose, state({ consents: { [other]: 'GRANTED' } }))).toBe(false);
    }
  });

  it('an objection removes the row from sales; a restriction from every purpose but support, compliance, admin', () => {
    expect(maySeeRow('sales', state({ consents: { sales: 'OBJECTED' } }))).toBe(false);
    const restricted = state({ restricted: true, consents: { marketing: 'GRANTED', sale_share: 'GRANTED' } });
    const seeing = PURPOSES.filter((p) => maySeeRow(p, restricted));
    expect(seeing).toEqual(['customer_support', 'compliance', 'administration']);
  });

  it('orders reasons PROCESSING_RESTRICTED > SPECIAL_CATEGORY > PURPOSE_NOT_ALLOWED', () => {
    const both = state({ restricted: true, limitSensitive: true });
    expect(decideField('customer_support', 'Contact.healthNotes', both)).toEqual({
      allowed: false,
      reason: 'PROCESSING_RESTRICTED',
    });
    expect(decideField('customer_support', 'Contact.healthNotes', ORDINARY_CONTACT)).toEqual({
      allowed: false,
      reason: 'SPECIAL_CATEGORY',
    });
    expect(decideField('customer_support', 'Contact.ipAddress', ORDINARY_CONTACT)).toEqual({
      allowed: false,
      reason: 'PURPOSE_NOT_ALLOWED',
    });
  });

  it('never reports the sensitive-data limit on a field the purpose never sees (no oracle on the choice)', () => {
    const limited = state({ limitSensitive: true });
    for (const purpose of PURPOSES) {
      for (const field of PERSONAL_FIELD_NAMES) {
        if (fieldVisibility(purpose, field) !== 'never') continue;
        expect(decideField(purpose, field, limited)).toEqual(decideField(purpose, field, ORDINARY_CONTACT));
      }
    }
  });

  it('lets nothing but personal fields be redacted', () => {
    for (const purpose of PURPOSES) {
      for (const field of NON_PERSONAL_FIELDS) {
        expect(decideField(purpose, field, state({ restricted: true })).allowed).toBe(true);
      }
    }
  });

  it('has one unrestricted purpose, compliance (what the benchmark allow-all switch uses)', () => {
    expect(unrestrictedPurpose()).toBe('compliance');
  });

  it('compliance is bound by neither restriction nor the sensitive-data limit', () => {
    const both = state({ restricted: true, limitSensitive: true, erased: false });
    for (const field of PERSONAL_FIELD_NAMES)
      expect(decideField('compliance', field, both).allowed).toBe(true);
  });
});

describe('field visibility for the database', () => {
  it('is never where no state opens a field, depends where a state may close it, always otherwise', () => {
    expect(fieldVisibility('customer_support', 'Contact.ipAddress')).toBe('never');
    expect(fieldVisibility('customer_support', 'Contact.email')).toBe('depends'); // restricted rows are shown redacted
    expect(fieldVisibility('sales', 'Contact.email')).toBe('always'); // restricted rows are excluded
    expect(fieldVisibility('compliance', 'Contact.healthNotes')).toBe('always');
    expect(fieldVisibility('analytics', 'Contact.email')).toBe('never');
  });

  it('agrees with decideField on every purpose, field and state of the matrix', () => {
    const states: ContactState[] = [
      ORDINARY_CONTACT,
      state({ restricted: true }),
      state({ limitSensitive: true }),
      state({ restricted: true, limitSensitive: true }),
    ];
    for (const purpose of PURPOSES) {
      for (const field of PERSONAL_FIELD_NAMES) {
        const visible = states
          .filter((s) => maySeeRow(purpose, s))
          .map((s) => decideField(purpose, field, s).allowed);
        const visibility = fieldVisibility(purpose, field);
        if (visibility === 'never') expect(visible.every((v) => !v)).toBe(true);
        if (visibility === 'always') expect(visible.every((v) => v)).toBe(true);
        if (visibility === 'depends') expect(new Set(visible).size).toBe(2);
      }
    }
  });
});

describe('describeAccess', () => {
  it('lists the operations, the row rule and every field with its visibility for the purpose', () => {
    const access = describeAccess('sales');
    expect(access.lawfulBasis).toBe('legitimate_interest');
    expect(access.operations).toContain('Query.contacts');
    expect(describeAccess('analytics').operations).not.toContain('Query.contacts');
    expect(access.rows).toEqual(PURPOSE_DEFINITIONS.sales.rows);
    expect(access.fields).toHaveLength(PERSONAL_FIELD_NAMES.length);
    expect(access.fields.find((f) => f.field === 'Contact.healthNotes')).toMatchObject({
      visibility: 'never',
      reason: 'SPECIAL_CATEGORY',
      special: true,
    });
    expect(access.fields.find((f) => f.field === 'Contact.email')).toMatchObject({
      visibility: 'always',
      reason: null,
    });
  });
});

describe('consent bits', () => {
  it('gives every purpose its own bit of a smallint', () => {
    const bits = PURPOSES.map((purpose) => CONSENT_BIT[purpose]);
    expect(new Set(bits).size).toBe(PURPOSES.length);
    for (const bit of bits) expect(bit >= 0 && bit < 15).toBe(true);
  });
});

describe('the Global Privacy Control signal', () => {
  it('refuses sale and sharing (DESIGN: a GPC signal is a refusal of sale_share), and no other purpose', () => {
    expect(GPC_REFUSED_PURPOSES).toEqual(['sale_share']);
    expect(PURPOSES.filter((purpose) => GPC_REFUSES[purpose])).toEqual(GPC_REFUSED_PURPOSES);
  });

  it('refuses only what can be refused: each such purpose rests on consent, so a DENIED event is valid for it', () => {
    for (const purpose of PURPOSES) {
      if (!GPC_REFUSES[purpose]) continue;
      expect(PURPOSE_DEFINITIONS[purpose].lawfulBasis).toBe('consent');
      expect(consentStatusProblem(purpose, 'DENIED')).toBeUndefined();
    }
    // The other way round: a purpose that does not rest on consent has no consent a signal could refuse.
    for (const purpose of PURPOSES.filter((p) => PURPOSE_DEFINITIONS[p].lawfulBasis !== 'consent')) {
      expect(GPC_REFUSES[purpose]).toBe(false);
    }
  });
});

describe('auditing every operation', () => {
  it('is the compliance purpose alone (it sees everything, so each of its reads is accounted for)', () => {
    expect(PURPOSES.filter((purpose) => auditsEveryOperation(purpose))).toEqual(['compliance']);
  });
});

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
  isRelation,
  mayFollow,
  mayRunOperation,
  maySeeRow,
  NON_PERSONAL_FIELDS,
  nestingLeaks,
  OPERATION_RESULTS,
  OPERATIONS,
  ORDINARY_CONTACT,
  PERSONAL_FIELD_NAMES,
  PERSONAL_FIELDS,
  PURPOSE_DEFINITIONS,
  PURPOSES,
  type Purpose,
  RELATIONS,
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

describe('relations: a purpose reaches through nesting nothing it could not reach from the root', () => {
  /** Computed here from the two tables, independently of relations.ts. */
  const rootsOf = (purpose: Purpose) =>
    new Set(
      Object.entries(OPERATIONS)
        .filter(([, purposes]) => (purposes as readonly string[]).includes(purpose))
        .map(([operation]) => OPERATION_RESULTS[operation as keyof typeof OPERATION_RESULTS]),
    );

  it('lets a purpose follow a personal relation only to a type one of its root operations returns', () => {
    let followed = 0;
    for (const purpose of PURPOSES) {
      const roots = rootsOf(purpose);
      for (const [relation, { target }] of Object.entries(RELATIONS)) {
        if (!isPersonalField(relation)) continue;
        const listed = (PURPOSE_DEFINITIONS[purpose].fields as readonly string[]).includes(relation);
        expect(mayFollow(purpose, relation as keyof typeof RELATIONS)).toBe(listed);
        if (!listed) continue;
        followed++;
        expect({ purpose, relation, reachable: roots.has(target) }).toEqual({
          purpose,
          relation,
          reachable: true,
        });
      }
    }
    expect(followed).toBeGreaterThan(0);
    expect(nestingLeaks()).toEqual([]);
  });

  it('finds the leak when a purpose could follow every relation (the check is not vacuous)', () => {
    const leaks = nestingLeaks(() => true);
    // analytics runs `companies` but no Contact query: Company.contacts would hand it people.
    expect(leaks).toContainEqual({ purpose: 'analytics', relation: 'Company.contacts', target: 'Contact' });
    // marketing runs no interaction or ticket query: nesting under a contact would hand it both.
    expect(leaks).toContainEqual({
      purpose: 'marketing',
      relation: 'Contact.interactions',
      target: 'Interaction',
    });
    expect(leaks).toContainEqual({ purpose: 'marketing', relation: 'Contact.tickets', target: 'Ticket' });
    expect(leaks).toContainEqual({
      purpose: 'administration',
      relation: 'Contact.interactions',
      target: 'Interaction',
    });
  });

  it('closes the nestings of the issue: administration follows nothing, marketing no company, tickets, interactions', () => {
    for (const relation of Object.keys(RELATIONS).filter(isPersonalField)) {
      expect(mayFollow('administration', relation as keyof typeof RELATIONS)).toBe(false);
      expect(mayFollow('analytics', relation as keyof typeof RELATIONS)).toBe(false);
    }
    for (const relation of [
      'Contact.company',
      'Company.contacts',
      'Contact.interactions',
      'Contact.tickets',
    ] as const) {
      expect(mayFollow('marketing', relation)).toBe(false);
      expect(mayFollow('sale_share', relation)).toBe(false);
      expect(mayFollow('customer_support', relation)).toBe(true);
      expect(mayFollow('compliance', relation)).toBe(true);
    }
    for (const field of [
      'Interaction.type',
      'Interaction.occurredAt',
      'Interaction.loggedBy',
      'Ticket.status',
      'Ticket.priority',
    ]) {
      expect(isPersonalField(field)).toBe(true);
      expect(decideField('administration', field, ORDINARY_CONTACT).allowed).toBe(false);
    }
  });

  it('states each fact the same from both sides: same category, same purposes', () => {
    let pairs = 0;
    for (const [relation, definition] of Object.entries(RELATIONS)) {
      if (!('inverse' in definition)) continue;
      pairs++;
      const { inverse } = definition;
      expect(isRelation(inverse)).toBe(true);
      expect(RELATIONS[inverse as keyof typeof RELATIONS].target).toBe(relation.split('.')[0]);
      expect(isPersonalField(relation) && isPersonalField(inverse)).toBe(true);
      if (!isPersonalField(relation) || !isPersonalField(inverse)) continue;
      expect(PERSONAL_FIELDS[relation].category).toBe(PERSONAL_FIELDS[inverse].category);
      for (const purpose of PURPOSES) {
        expect({ purpose, relation, visibility: fieldVisibility(purpose, relation) }).toEqual({
          purpose,
          relation,
          visibility: fieldVisibility(purpose, inverse),
        });
      }
    }
    expect(pairs).toBeGreaterThanOrEqual(7);
  });

  it('classifies every relation, and closes a personal one on a restricted row like any personal field', () => {
    for (const relation of Object.keys(RELATIONS)) {
      expect(isPersonalField(relation) || (NON_PERSONAL_FIELDS as readonly string[]).includes(relation)).toBe(
        true,
      );
    }
    expect(decideField('customer_support', 'Contact.company', state({ restricted: true }))).toEqual({
      allowed: false,
      reason: 'PROCESSING_RESTRICTED',
    });
    expect(decideField('customer_support', 'Contact.company', ORDINARY_CONTACT).allowed).toBe(true);
  });
});

import { describeAccess, purposeCategories } from './access.js';
import { DATA_CATEGORIES } from './categories.js';
import { PERSONAL_FIELD_NAMES, PERSONAL_FIELDS } from './fields.js';
import { PURPOSE_DEFINITIONS, PURPOSES, type RowRule } from './purposes.js';
import { ROLE_PURPOSES, ROLES } from './roles.js';
import { POLICY_VERSION } from './version.js';

const BASIS_TEXT = {
  consent: 'Consent — Art 6(1)(a)',
  contract: 'Performance of a contract — Art 6(1)(b)',
  legal_obligation: 'Legal obligation — Art 6(1)(c)',
  legitimate_interest: 'Legitimate interests — Art 6(1)(f)',
} as const;

function rowsText(rule: RowRule): string {
  if (rule.contacts === 'none') return 'No contact rows at all.';
  const parts = [
    rule.contacts === 'all' ? 'Every contact, erased tombstones included' : 'Every live contact',
  ];
  if (rule.requiresConsent) parts.push('only with a GRANTED consent for this purpose');
  if (rule.objection === 'exclude') parts.push('never a contact who objected (Art 21)');
  parts.push(
    {
      exclude: 'never a restricted contact (Art 18)',
      redact: 'restricted contacts (Art 18) with every personal field redacted',
      include: 'restricted contacts included',
    }[rule.restricted],
  );
  return `${parts.join('; ')}.`;
}

const VISIBILITY_MARK = { always: 'yes', depends: 'yes¹', never: '—' } as const;

/**
 * The record of processing activities (GDPR Art 30(1)) as far as Custos knows it, rendered from the policy
 * tables so that it cannot drift from what the software does. The controller's identity, recipients and
 * transfers are the deploying organisation's to add.
 */
export function renderProcessingRecord(): string {
  const lines: string[] = [];
  lines.push(
    '# Record of processing activities (GDPR Art 30)',
    '',
    `Generated from \`packages/policy\` — policy version \`${POLICY_VERSION}\`. Do not edit by hand:`,
    'run `npm run policy:record` after changing the policy; a test fails while this file and the policy differ.',
    '',
    'The controller (Art 30(1)(a)), recipients (d), transfers (e) and retention periods (f) are recorded by the',
    'organisation that deploys Custos; technical and organisational measures (g) are described in the README.',
    '',
    '## Purposes of processing',
    '',
  );
  for (const purpose of PURPOSES) {
    const definition = PURPOSE_DEFINITIONS[purpose];
    const access = describeAccess(purpose);
    const roles = ROLES.filter((role) => (ROLE_PURPOSES[role] as readonly string[]).includes(purpose));
    const categories = purposeCategories(purpose);
    lines.push(
      `### \`${purpose}\``,
      '',
      definition.description,
      '',
      `- Lawful basis: ${BASIS_TEXT[definition.lawfulBasis]}`,
      `- Special categories (Art 9): ${definition.specialCategories ? `yes — ${definition.specialCategories.condition}` : 'no'}`,
      `- Contacts it may see: ${rowsText(definition.rows)}`,
      `- Categories of personal data: ${categories.length ? categories.map((c) => `\`${c}\``).join(', ') : 'none'}`,
      `- Roles that may declare it: ${roles.map((r) => `\`${r}\``).join(', ')}`,
      `- Operations: ${access.operations.map((o) => `\`${o}\``).join(', ')}`,
      '',
    );
  }
  lines.push(
    '## Who sees which personal field',
    '',
    `| field | category | ${PURPOSES.join(' | ')} |`,
    `| --- | --- | ${PURPOSES.map(() => '---').join(' | ')} |`,
  );
  for (const field of PERSONAL_FIELD_NAMES) {
    const marks = PURPOSES.map((purpose) => {
      const access = describeAccess(purpose).fields.find((f) => f.field === field);
      return access ? VISIBILITY_MARK[access.visibility] : '—';
    });
    lines.push(`| \`${field}\` | \`${PERSONAL_FIELDS[field].category}\` | ${marks.join(' | ')} |`);
  }
  lines.push(
    '',
    '¹ Unless the contact\'s state says otherwise: processing restricted (Art 18), or "limit the use of my',
    'sensitive personal information" (CCPA §1798.121) for special categories.',
    '',
    '## Data categories',
    '',
    '| category | label | special category (Art 9) |',
    '| --- | --- | --- |',
  );
  for (const [key, category] of Object.entries(DATA_CATEGORIES)) {
    lines.push(`| \`${key}\` | ${category.label} | ${category.special ? 'yes' : 'no'} |`);
  }
  lines.push('');
  return lines.join('\n');
}

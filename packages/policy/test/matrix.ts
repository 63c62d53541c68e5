import {
  type ContactState,
  decideField,
  maySeeRow,
  PERSONAL_FIELD_NAMES,
  PURPOSES,
  type Purpose,
  ROLE_PURPOSES,
  ROLES,
} from '../src/index.js';

/** The contact states of the reviewed matrix: each makes at least one rule of DESIGN.md bite. */
const granted = { marketing: 'GRANTED', sale_share: 'GRANTED' } as const;
export const STATES: Record<string, ContactState> = {
  ordinary: { erased: false, restricted: false, limitSensitive: false, consents: {} },
  consented: { erased: false, restricted: false, limitSensitive: false, consents: granted },
  withdrawn: {
    erased: false,
    restricted: false,
    limitSensitive: false,
    consents: { marketing: 'WITHDRAWN', sale_share: 'DENIED' },
  },
  objected: {
    erased: false,
    restricted: false,
    limitSensitive: false,
    consents: {
      sales: 'OBJECTED',
      marketing: 'OBJECTED',
      sale_share: 'OBJECTED',
      customer_support: 'OBJECTED',
    },
  },
  restricted: { erased: false, restricted: true, limitSensitive: false, consents: granted },
  limited: { erased: false, restricted: false, limitSensitive: true, consents: granted },
  restricted_limited: { erased: false, restricted: true, limitSensitive: true, consents: granted },
  erased: { erased: true, restricted: false, limitSensitive: false, consents: granted },
};

const SHORT = {
  PROCESSING_RESTRICTED: 'RESTRICTED',
  SENSITIVE_USE_LIMITED: 'LIMITED',
  SPECIAL_CATEGORY: 'SPECIAL',
  PURPOSE_NOT_ALLOWED: 'NOT_ALLOWED',
} as const;

/** The three tables of the matrix, as cell text, computed from the policy. */
export function computeMatrix(): { roles: string[][]; rows: string[][]; fields: string[][] } {
  const states = Object.keys(STATES);
  const roles = ROLES.map((role) => [
    role,
    ...PURPOSES.map((p) => ((ROLE_PURPOSES[role] as readonly Purpose[]).includes(p) ? 'yes' : '—')),
  ]);
  const rows = PURPOSES.map((purpose) => [
    purpose,
    ...states.map((s) => (maySeeRow(purpose, STATES[s]!) ? 'seen' : '—')),
  ]);
  const fields = PURPOSES.flatMap((purpose) =>
    PERSONAL_FIELD_NAMES.map((field) => [
      purpose,
      field,
      ...states.map((s) => {
        const state = STATES[s]!;
        if (!maySeeRow(purpose, state)) return '·';
        const decision = decideField(purpose, field, state);
        return decision.allowed ? 'show' : SHORT[decision.reason];
      }),
    ]),
  );
  return { roles, rows, fields };
}

export const HEADERS = {
  roles: ['role', ...PURPOSES],
  rows: ['purpose', ...Object.keys(STATES)],
  fields: ['purpose', 'field', ...Object.keys(STATES)],
};

export function markdownTable(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** Parses the markdown tables of the fixture, in order, as rows of trimmed cells (header and rule dropped). */
export function parseTables(markdown: string): string[][][] {
  const tables: string[][][] = [];
  let current: string[][] | undefined;
  for (const raw of markdown.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('|')) {
      current = undefined;
      continue;
    }
    const cells = line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
    if (!current) {
      current = [];
      tables.push(current);
      continue; // header
    }
    if (cells.every((c) => /^-+$/.test(c))) continue;
    current.push(cells);
  }
  return tables;
}

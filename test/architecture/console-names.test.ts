import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PURPOSES, ROLES } from '@custos/policy';
import { describe, expect, it } from 'vitest';

/**
 * The console decides what it shows from the policy, through canAccess (apps/admin/src/auth/access.ts): no role
 * and no purpose is named in its code. Its translations (i18n/) are the one place that names them — a text per
 * role and purpose of the policy.
 */
const ADMIN_SRC = fileURLToPath(new URL('../../apps/admin/src/', import.meta.url));
const TRANSLATIONS = 'i18n';

const NAMES = [...new Set<string>([...ROLES, ...PURPOSES])];
const literal = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A policy name as a token of its own: not part of a longer identifier, word or hyphenated name — `marketing`
 * in `'marketing'`, `purposes.marketing` or a comment, never `admin` in `react-admin` nor `sales` in `salesRep`.
 */
const NAME_TOKEN = new RegExp(
  `(?<![\\p{L}\\p{N}_$-])(${NAMES.map(literal).join('|')})(?![\\p{L}\\p{N}_$-])`,
  'gu',
);

/** The policy names `text` holds, in order. */
export function policyNamesIn(text: string): string[] {
  return [...text.matchAll(NAME_TOKEN)].map((match) => match[1] ?? '');
}

/** Every file under apps/admin/src but its translations, relative to it. */
async function consoleFiles(): Promise<string[]> {
  const entries = await readdir(ADMIN_SRC, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ADMIN_SRC, path.join(entry.parentPath, entry.name)))
    .filter((file) => file.split(path.sep)[0] !== TRANSLATIONS)
    .sort();
}

describe('no role or purpose name in the console’s code', () => {
  it('takes the names from the policy: roles and purposes, both there', () => {
    expect(ROLES.length).toBeGreaterThan(0);
    expect(PURPOSES.length).toBeGreaterThan(0);
    expect(NAMES.length).toBe(new Set([...ROLES, ...PURPOSES]).size);
  });

  it('catches a planted name, as a literal, in a key or a comment, and nothing else', () => {
    expect(
      policyNamesIn(
        `if (purpose === 'marketing') translate('custos.purposes.sale_share'); // for privacy_officer`,
      ),
    ).toEqual(['marketing', 'sale_share', 'privacy_officer']);
    expect(policyNamesIn(`const roles = ["admin", \`analyst\`];`)).toEqual(['admin', 'analyst']);
    // Longer identifiers, words and package names that merely contain a name are not names.
    expect(
      policyNamesIn(`import { List } from 'react-admin'; const salesRep = administrationTotal + analytics2;`),
    ).toEqual([]);
    // Every name of the policy is caught on its own.
    for (const name of NAMES) expect(policyNamesIn(`canAccess('${name}')`), name).toEqual([name]);
  });

  it('finds none in any file under apps/admin/src outside i18n/', async () => {
    const files = await consoleFiles();
    // The scan covered the console: its entry, its access rules, its screens — not a handful of files.
    expect(files.length).toBeGreaterThan(40);
    expect(files).toEqual(
      expect.arrayContaining([
        'main.tsx',
        'App.tsx',
        path.join('auth', 'access.ts'),
        path.join('contacts', 'ContactList.tsx'),
      ]),
    );
    expect(files.filter((file) => file.startsWith(`${TRANSLATIONS}${path.sep}`))).toEqual([]);
    const found: string[] = [];
    for (const file of files) {
      const lines = (await readFile(path.join(ADMIN_SRC, file), 'utf8')).split('\n');
      lines.forEach((line, index) => {
        for (const name of policyNamesIn(line)) found.push(`${file}:${index + 1}: ${name}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('leaves the translations their texts for each name (the one place that names them)', async () => {
    const english = await readFile(path.join(ADMIN_SRC, TRANSLATIONS, 'en.ts'), 'utf8');
    expect(new Set(policyNamesIn(english))).toEqual(new Set(NAMES));
  });
});

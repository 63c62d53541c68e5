import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The project's READMEs: each package has one, headings name features (never the issue that brought them), and
 * every link to a heading of the same file lands on one.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));

async function readmes(): Promise<string[]> {
  const found = ['README.md', 'bench/README.md'];
  for (const folder of ['apps', 'packages']) {
    for (const name of await readdir(path.join(root, folder))) {
      const entries = await readdir(path.join(root, folder, name));
      if (entries.includes('README.md')) found.push(`${folder}/${name}/README.md`);
    }
  }
  return found;
}

/** The lines of a Markdown text that are headings, outside fenced code blocks. */
export function headings(text: string): string[] {
  let fenced = false;
  const result: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    else if (!fenced && /^#{1,6} /.test(line)) result.push(line.replace(/^#+ /, '').trim());
  }
  return result;
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
}

/** `[text](#anchor)` links of a text. */
const localLinks = (text: string) => [...text.matchAll(/\]\(#([^)\s]+)\)/g)].map((m) => m[1]!);

const ISSUE_NUMBER = /\bissues? #?\d+/i;

describe('READMEs', () => {
  it('each package has one', async () => {
    const packages = await readdir(path.join(root, 'packages'));
    expect(packages.length).toBeGreaterThanOrEqual(8);
    const files = await readmes();
    expect(packages.filter((name) => !files.includes(`packages/${name}/README.md`))).toEqual([]);
  });

  it('name features in their headings, never an issue number', async () => {
    const files = await readmes();
    let count = 0;
    const offending: string[] = [];
    for (const file of files) {
      for (const heading of headings(await readFile(path.join(root, file), 'utf8'))) {
        count += 1;
        if (ISSUE_NUMBER.test(heading)) offending.push(`${file}: ${heading}`);
      }
    }
    expect(count).toBeGreaterThan(50);
    expect(offending).toEqual([]);
  });

  it('link only to headings their own file has', async () => {
    let count = 0;
    const broken: string[] = [];
    for (const file of await readmes()) {
      const text = await readFile(path.join(root, file), 'utf8');
      const anchors = new Set(headings(text).map(anchor));
      for (const link of localLinks(text)) {
        count += 1;
        if (!anchors.has(link)) broken.push(`${file}: #${link}`);
      }
    }
    expect(count).toBeGreaterThan(5);
    expect(broken).toEqual([]);
  });

  it('the checks themselves: headings outside code, anchors as GitHub makes them, issue numbers found', () => {
    const text =
      '# Top\n\n```\n# not a heading\n```\n## The fair protocol (issue 16)\n### `undici`’s Pool: a/b\n';
    expect(headings(text)).toEqual(['Top', 'The fair protocol (issue 16)', '`undici`’s Pool: a/b']);
    expect(headings(text).map(anchor)).toEqual(['top', 'the-fair-protocol-issue-16', 'undicis-pool-ab']);
    expect(headings(text).filter((h) => ISSUE_NUMBER.test(h))).toEqual(['The fair protocol (issue 16)']);
    expect(localLinks('see [a](#top) and [b](https://x.test/#no) and [c](#the-fair-protocol)')).toEqual([
      'top',
      'the-fair-protocol',
    ]);
  });
});

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@custos/runtime';
import type { ConsentConfirmationParams } from '../src/templates.js';

/** A consent confirmation's inputs; `overrides` replace any of them. */
export function confirmationParams(
  overrides: Partial<ConsentConfirmationParams> = {},
): ConsentConfirmationParams {
  return {
    controller: { name: 'Acme Widgets GmbH', contact: 'privacy@acme.example' },
    noticeVersion: '2026-11',
    link: 'https://custos.example/public/consent/confirm?token=tok_abcdefghijklmnop',
    purpose: 'sharing with partners (sale_share)',
    expiresAt: '2026-12-08T21:40:00.000Z',
    ...overrides,
  };
}

/** A fresh temporary folder, removed by the returned function. */
export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Files of `dir`, sorted; none when it does not exist. */
export async function filesOf(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** A logger whose JSON lines are kept, for tests that check what a log says and what it never says. */
export function memoryLogger(): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('debug', stream, 'mail-test');
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

// What the `packages` project's global setup provides (packages/database/test/support/embedded-setup.ts declares
// the same; repeated here so that this package typechecks without depending on @custos/database).
declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
  }
}

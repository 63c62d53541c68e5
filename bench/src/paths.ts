// Where the bench lives. Built, this file runs from bench/dist; the results folder and bench/package.json stay in
// bench/, whatever folder the scripts run from.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of the built scripts (bench/dist): the load generator and the reference servers run from here. */
export const distDir = path.dirname(fileURLToPath(import.meta.url));
export const benchDir = path.dirname(distDir);
export const repoRoot = path.dirname(benchDir);

/** A built script of the bench (`servers/bare.js`, `load.js`), relative to the repository root. */
export const benchScript = (file: string): string => path.relative(repoRoot, path.join(distDir, file));

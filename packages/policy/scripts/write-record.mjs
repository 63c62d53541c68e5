// `npm run policy:record`: writes docs/processing-record.md from the built policy package.
import { writeFileSync } from 'node:fs';
import { renderProcessingRecord } from '../dist/index.js';

const target = new URL('../../../docs/processing-record.md', import.meta.url);
writeFileSync(target, renderProcessingRecord());
process.stdout.write(`wrote ${target.pathname}\n`);

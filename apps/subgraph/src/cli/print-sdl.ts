import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { printSubgraphSchema } from '@apollo/subgraph';
import { repoRoot } from '@custos/runtime';
import { buildSchema } from '../schema.js';

/**
 * `npm run sdl`: writes the subgraph's SDL (with the @policy and @pii directives generated from the policy)
 * to apps/subgraph/schema.graphql. The file is committed; a test fails while it and the code differ.
 */
const target = path.join(repoRoot(), 'apps', 'subgraph', 'schema.graphql');
writeFileSync(target, `${printSubgraphSchema(buildSchema())}\n`);
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { printSubgraphSchema } from '@apollo/subgraph';
import { repoRoot } from '@custos/runtime';
import { buildTicketsSchema } from '../schema.js';

/** `npm run sdl`: writes apps/tickets/schema.graphql (committed; composed into the supergraph). */
const target = path.join(repoRoot(), 'apps', 'tickets', 'schema.graphql');
writeFileSync(target, `${printSubgraphSchema(buildTicketsSchema())}\n`);
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);

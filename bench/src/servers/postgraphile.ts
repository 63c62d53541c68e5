// PostGraphile 5 over the same `contact` table: the peer a user would pick instead of Custos.
//
// Env: DATABASE_URL (required), PORT (default 4012), HOST (default 127.0.0.1).
// GraphQL at POST /graphql. The benchmark query is
//   allContacts(first: $first, orderBy: [CREATED_AT_DESC, ID_DESC]) { edges { cursor node { ... } } pageInfo }
//
// Settings are the ones a user would run in production: the Amber preset, no GraphiQL, no watch mode, no
// mutations, and Grafast in production mode (the harness sets GRAPHILE_ENV=production; in development mode Grafast
// adds checks and planning gets markedly slower, which would make the comparison unfair to PostGraphile).
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { serverEnv, stopOnSignal } from './lifecycle.js';

const { value: databaseUrl, port, host } = serverEnv('postgraphile', 'DATABASE_URL', 4012);

/**
 * Exposes only the `contact` table: every other table (company, interaction, the migrations table, whatever the
 * subgraph adds later) gets the behaviour `-*`, so it contributes neither root fields nor relations. This keeps
 * the schema to what the benchmark compares and makes it independent of future migrations.
 */
const OnlyContactPlugin: GraphileConfig.Plugin = {
  name: 'BenchOnlyContactPlugin',
  version: '1.0.0',
  schema: {
    entityBehavior: {
      pgResource: {
        override: {
          provides: ['benchOnlyContact'],
          callback: (behavior, resource) => (resource.name === 'contact' ? behavior : [behavior, '-*']),
        },
      },
      // Unique lookups (`companyByRowId` …) are a separate entity in v5.
      pgResourceUnique: {
        override: {
          provides: ['benchOnlyContact'],
          callback: (behavior, [resource]) => (resource.name === 'contact' ? behavior : [behavior, '-*']),
        },
      },
      // Relations to hidden tables (`Contact.companyByCompanyId`) would bring their types back.
      pgCodecRelation: {
        override: {
          provides: ['benchOnlyContact'],
          callback: (behavior, relation) =>
            relation.remoteResource.name === 'contact' ? behavior : [behavior, '-*'],
        },
      },
    },
  },
};

const preset: GraphileConfig.Preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [OnlyContactPlugin],
  // Read-only comparison: mutations would only grow the schema.
  disablePlugins: ['PgMutationCreatePlugin', 'PgMutationUpdateDeletePlugin', 'PgMutationPayloadEdgePlugin'],
  pgServices: [
    makePgService({
      connectionString: databaseUrl,
      schemas: ['public'],
      // Same pool size as the other servers (pg's default is 10, matching 10 load connections).
      poolConfig: { max: 10 },
    }),
  ],
  grafserv: { port, host, graphiql: false, watch: false, websockets: false },
  // No GraphiQL "explain" output in responses.
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on('error', (error) => {
  console.error('postgraphile: server error', error);
  process.exit(1);
});
// Build the schema before listening, so that "port open" means "ready to answer".
await pgl.getSchema();
await serv.addTo(server);
server.keepAliveTimeout = 60_000;
server.listen(port, host, () => {
  console.log(`postgraphile: listening on http://${host}:${port}/graphql`);
});

stopOnSignal(server, () => pgl.release());

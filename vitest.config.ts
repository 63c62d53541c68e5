import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// graphql 16 has no exports map: Vite would pick its ESM build for our sources while Node loads the CommonJS
// one for Pothos, Apollo and graphql-jit — two instances ("from another module or realm"). One entry for all.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql');
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));
// The packages from source, so that tests and every app under test share one instance of each.
const PACKAGES = ['policy', 'runtime', 'database', 'audit', 'enforcement', 'server', 'mail', 'jobs'];
const alias = [
  ...PACKAGES.map((name) => ({
    find: new RegExp(`^@custos/${name}$`),
    replacement: source(`./packages/${name}/src/index.ts`),
  })),
  { find: /^graphql$/, replacement: graphqlEntry },
];

/**
 * One run, every suite. The database suites run against an embedded PostgreSQL started by the product's own
 * bootstrap code, and again against an external server when TEST_DATABASE_URL is set (CI sets it to the
 * machine's PostgreSQL), so that both ways of running Custos are proven.
 */
const databaseProject = (name: string, setup: string, include: string[]) => ({
  resolve: { alias },
  test: {
    name,
    include,
    globalSetup: [setup],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'policy', include: ['packages/policy/test/**/*.test.ts'] },
      },
      {
        resolve: { alias },
        test: { name: 'gateway', include: ['apps/gateway/test/**/*.test.ts'] },
      },
      // The console's components in jsdom (apps/admin): React through its Vite plugin, the policy from source.
      {
        plugins: [react()],
        resolve: { alias },
        test: {
          name: 'admin',
          environment: 'jsdom',
          include: ['apps/admin/test/**/*.test.{ts,tsx}'],
          setupFiles: ['./apps/admin/test/setup.ts'],
        },
      },
      // The packages' own tests (those that need PostgreSQL get the embedded cluster) and the architecture rules.
      databaseProject('packages', './packages/database/test/support/embedded-setup.ts', [
        'packages/{runtime,database,audit,enforcement,server,mail,jobs}/test/**/*.test.ts',
        'test/architecture/**/*.test.ts',
      ]),
      databaseProject('subgraph', './packages/database/test/support/embedded-setup.ts', [
        'apps/subgraph/test/*.test.ts',
        'test/tickets/*.test.ts',
        // Whole processes as `npm start` runs them: the embedded default only.
        'apps/subgraph/test/process/*.test.ts',
      ]),
      // Federation through the gateway, over the real subgraphs on the embedded cluster.
      databaseProject('federation', './packages/database/test/support/embedded-setup.ts', [
        'test/federation/**/*.test.ts',
      ]),
      // The console's dataProvider in Node (its real fetch) against the subgraph on the embedded cluster.
      databaseProject('admin-data', './packages/database/test/support/embedded-setup.ts', [
        'test/console-data/**/*.test.ts',
      ]),
      // The console end to end in Chromium (its production build, the real gateway and subgraph).
      databaseProject('console', './packages/database/test/support/embedded-setup.ts', [
        'test/console/**/*.test.ts',
      ]),
      ...(process.env.TEST_DATABASE_URL
        ? [
            databaseProject('subgraph-external', './packages/database/test/support/external-setup.ts', [
              'apps/subgraph/test/*.test.ts',
              'test/tickets/*.test.ts',
            ]),
          ]
        : []),
    ],
  },
});

/**
 * The architecture as rules (README, "Architecture"): apps depend on packages, never on each other; a package never
 * depends on an app. Checked by `npm run lint` (and so by CI) and by test/architecture.test.ts.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'app-imports-another-app',
      severity: 'error',
      comment: 'An app imports packages only: what two apps share belongs in packages/.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'package-imports-an-app',
      severity: 'error',
      comment:
        'A package never knows an app: the app passes in what is its own (entities, migrations, loaders).',
      from: { path: '^packages/' },
      to: { path: '^apps/' },
    },
    {
      name: 'console-imports-server-code',
      severity: 'error',
      comment:
        'The console (apps/admin) runs in the browser: of the packages it may use only the browser-safe policy.',
      from: { path: '^apps/admin/src/' },
      to: { path: '^packages/', pathNot: '^packages/policy/' },
    },
    {
      name: 'browser-code-imports-node',
      severity: 'error',
      comment:
        'The console and @custos/policy (which it bundles) run in the browser: no Node.js built-in modules.',
      from: { path: '^(apps/admin/src|packages/policy/src)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'undeclared-dependency',
      severity: 'error',
      comment:
        'Every npm package a workspace imports is in its own package.json (not borrowed from a neighbour).',
      from: { path: '^(apps|packages)/[^/]+/src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing (a moved module, a missing dependency).',
      from: { path: '^(apps|packages)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      // `source`: each package's src/index.ts, so the rules hold on a clean clone before anything is built.
      conditionNames: ['source', 'import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.json'],
    },
    combinedDependencies: false,
    preserveSymlinks: false,
  },
};

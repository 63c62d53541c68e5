import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The architecture rule (README, "Architecture"): apps depend on packages, never on each other, and a package never
 * depends on an app — in the manifests and in every import. `npm run lint` runs the same dependency-cruiser rules.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const depcruise = path.join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');
const run = promisify(execFile);

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

async function manifests(folder: string): Promise<Manifest[]> {
  const names = await readdir(path.join(root, folder));
  return Promise.all(
    names.map(async (name) =>
      JSON.parse(await readFile(path.join(root, folder, name, 'package.json'), 'utf8')),
    ),
  );
}

const dependsOn = (manifest: Manifest) =>
  Object.keys({ ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies });

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

async function cruise(cwd: string): Promise<{ violations: Violation[]; modules: number }> {
  const { stdout } = await run(
    process.execPath,
    [depcruise, 'apps', 'packages', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
    { cwd, maxBuffer: 64 * 1024 * 1024 },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  const report = JSON.parse(stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  return { violations: report.summary.violations, modules: report.summary.totalCruised };
}

describe('apps depend on packages, never on each other', () => {
  it('no app manifest names another app, and no package manifest names an app', async () => {
    const apps = await manifests('apps');
    const packages = await manifests('packages');
    const appNames = new Set(apps.map((app) => app.name));
    // Both ways: the folders hold what the README names.
    expect([...appNames].sort()).toEqual([
      '@custos/admin',
      '@custos/gateway',
      '@custos/subgraph',
      '@custos/tickets',
    ]);
    expect(packages.map((p) => p.name).sort()).toEqual(
      ['audit', 'database', 'enforcement', 'jobs', 'mail', 'policy', 'runtime', 'server'].map(
        (name) => `@custos/${name}`,
      ),
    );
    for (const manifest of [...apps, ...packages]) {
      expect(
        dependsOn(manifest).filter((name) => appNames.has(name)),
        manifest.name,
      ).toEqual([]);
    }
    // Every app does use packages: the rule is about something.
    for (const app of apps)
      expect(dependsOn(app).filter((name) => name.startsWith('@custos/')).length).toBeGreaterThan(0);
  });

  it('the gateway needs none of the subgraph server: no ORM, no Apollo Server, no Pothos, no faker', async () => {
    const [gateway] = (await manifests('apps')).filter((app) => app.name === '@custos/gateway');
    expect(Object.keys(gateway?.dependencies ?? {}).sort()).toEqual(
      expect.arrayContaining(['@custos/audit', '@custos/runtime']),
    );
    const forbidden = [
      '@custos/database',
      '@custos/enforcement',
      '@custos/server',
      '@apollo/server',
      '@faker-js/faker',
    ];
    expect(Object.keys(gateway?.dependencies ?? {}).filter((name) => forbidden.includes(name))).toEqual([]);
    // …nor through the packages it uses.
    const packages = await manifests('packages');
    const used = packages.filter((p) =>
      ['@custos/audit', '@custos/runtime', '@custos/policy'].includes(p.name),
    );
    expect(used).toHaveLength(3);
    const reached = new Set(used.flatMap((p) => Object.keys(p.dependencies ?? {})));
    expect([...reached].filter((name) => name.startsWith('@mikro-orm/') || forbidden.includes(name))).toEqual(
      [],
    );
  });

  it('no import under apps/ reaches another app, and none under packages/ reaches an app', async () => {
    const { violations, modules } = await cruise(root);
    expect(violations).toEqual([]);
    // It walked the tree (the apps' and packages' sources), not an empty folder.
    expect(modules).toBeGreaterThan(150);
  });

  const fixtures: string[] = [];
  afterAll(async () => {
    await Promise.all(fixtures.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('the same rules refuse an app importing another app and a package importing an app', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'custos-deps-'));
    fixtures.push(dir);
    const file = async (name: string, text: string) => {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), text);
    };
    await copyFile(path.join(root, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
    await copyFile(path.join(root, 'tsconfig.base.json'), path.join(dir, 'tsconfig.base.json'));
    await file('package.json', '{ "name": "fixture", "private": true, "type": "module" }');
    await file('apps/one/src/own.ts', 'export const own = 1;\n');
    await file(
      'apps/one/src/main.ts',
      "import { own } from './own.js';\nimport { two } from '../../two/src/two.js';\nexport const sum = own + two;\n",
    );
    await file('apps/two/src/two.ts', 'export const two = 2;\n');
    await file(
      'packages/shared/src/index.ts',
      "import { own } from '../../../apps/one/src/own.js';\nexport const shared = own;\n",
    );
    const { violations } = await cruise(dir);
    expect(violations.map((v) => [v.rule.name, v.from, v.to]).sort()).toEqual([
      ['app-imports-another-app', 'apps/one/src/main.ts', 'apps/two/src/two.ts'],
      ['package-imports-an-app', 'packages/shared/src/index.ts', 'apps/one/src/own.ts'],
    ]);
  });
});

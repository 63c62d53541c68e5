import type { TestProject } from 'vitest/node';

/** The external-server case (DATABASE_URL): each test file creates its own database on TEST_DATABASE_URL's server. */
export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  project.provide('adminUrl', url);
  project.provide('databaseKind', 'external');
}

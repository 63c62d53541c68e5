import { render } from '@testing-library/react';
import type { ComponentProps } from 'react';
import { Admin, type DataProvider, Resource } from 'react-admin';
import { createAuthProvider } from '../src/auth/authProvider';
import { createQueryClient } from '../src/data/queryClient';
import { i18nProvider } from '../src/i18n';
import { Layout } from '../src/layout/Layout';

/** The console as App.tsx assembles it, over an in-memory dataProvider and the given resources. */
export function renderAdmin(provider: unknown, resources: readonly ComponentProps<typeof Resource>[]) {
  return render(
    <Admin
      authProvider={createAuthProvider()}
      dataProvider={provider as DataProvider}
      queryClient={createQueryClient()}
      i18nProvider={i18nProvider}
      layout={Layout}
      requireAuth
      disableTelemetry
    >
      {resources.map((resource) => (
        <Resource key={resource.name} {...resource} />
      ))}
    </Admin>,
  );
}

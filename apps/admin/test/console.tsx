import type { Role } from '@custos/policy';
import { render } from '@testing-library/react';
import type { ComponentProps, ReactNode } from 'react';
import { Admin, type AuthProvider, type DataProvider } from 'react-admin';
import { createAuthProvider } from '../src/auth/authProvider';
import { choosePurpose, startSession } from '../src/auth/session';
import { i18nProvider } from '../src/i18n';
import { Layout } from '../src/layout/Layout';
import { fakeToken } from './support';

/**
 * Signs `role` in with `purpose` declared, opens `hash`, and renders the console's <Admin> (its auth, texts and
 * layout) over an in-memory dataProvider, with `children` as its resources and routes.
 */
export function renderSignedIn(options: {
  role: Role;
  purpose: string;
  hash: string;
  dataProvider: object;
  dashboard?: ComponentProps<typeof Admin>['dashboard'];
  /** Another authProvider than the console's own (e.g. one whose canAccess a test narrows). */
  authProvider?: AuthProvider;
  children: ReactNode;
}) {
  startSession(fakeToken({ sub: 'olga', roles: [options.role] }));
  choosePurpose(options.purpose);
  window.location.hash = options.hash;
  return render(
    <Admin
      authProvider={options.authProvider ?? createAuthProvider()}
      dataProvider={options.dataProvider as DataProvider}
      i18nProvider={i18nProvider}
      layout={Layout}
      {...(options.dashboard ? { dashboard: options.dashboard } : {})}
      requireAuth
      disableTelemetry
    >
      {options.children}
    </Admin>,
  );
}

import { Admin, CustomRoutes, Resource } from 'react-admin';
import { Route } from 'react-router-dom';
import { auditAlerts } from './audit/alerts';
import { auditEvents } from './audit/events';
import { auditRules } from './audit/rules';
import { signInFor } from './auth/signIn';
import { type ConsoleConfig, DEVELOPMENT_CONFIG } from './config';
import { consentTools } from './consentTools';
import { contacts } from './contacts';
import { Dashboard } from './dashboard/Dashboard';
import { createDataProvider } from './data/dataProvider';
import { createQueryClient } from './data/queryClient';
import { contactDuplicates } from './duplicates';
import { i18nProvider } from './i18n';
import { Layout } from './layout/Layout';
import { theme } from './layout/theme';
import { privacyNotices } from './notices';
import { ProcessingPage } from './processing/ProcessingPage';

const dataProvider = createDataProvider();
const queryClient = createQueryClient();

/** The console; `config` is config.json's (main.tsx), the development sign-in unless told. */
export const App = ({ config = DEVELOPMENT_CONFIG }: { readonly config?: ConsoleConfig }) => (
  <Admin
    title="custos.title"
    authProvider={signInFor(config.auth).authProvider}
    dataProvider={dataProvider}
    queryClient={queryClient}
    i18nProvider={i18nProvider}
    loginPage={signInFor(config.auth).loginPage}
    layout={Layout}
    dashboard={Dashboard}
    theme={theme}
    requireAuth
    disableTelemetry
  >
    <Resource {...contacts} />
    <Resource {...privacyNotices} />
    <Resource {...consentTools} />
    <Resource {...auditEvents} />
    <Resource {...auditAlerts} />
    <Resource {...auditRules} />
    <Resource {...contactDuplicates} />
    <CustomRoutes>
      <Route path="/processing" element={<ProcessingPage />} />
    </CustomRoutes>
  </Admin>
);

import { Admin, CustomRoutes, Resource } from 'react-admin';
import { Route } from 'react-router-dom';
import { auditAlerts } from './audit/alerts';
import { auditEvents } from './audit/events';
import { auditRules } from './audit/rules';
import { createAuthProvider } from './auth/authProvider';
import { LoginPage } from './auth/LoginPage';
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

const authProvider = createAuthProvider();
const dataProvider = createDataProvider();
const queryClient = createQueryClient();

export const App = () => (
  <Admin
    title="custos.title"
    authProvider={authProvider}
    dataProvider={dataProvider}
    queryClient={queryClient}
    i18nProvider={i18nProvider}
    loginPage={LoginPage}
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

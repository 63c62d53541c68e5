import { Admin, Resource } from 'react-admin';
import { auditAlerts } from './audit/alerts';
import { auditEvents } from './audit/events';
import { auditRules } from './audit/rules';
import { createAuthProvider } from './auth/authProvider';
import { LoginPage } from './auth/LoginPage';
import { consentTools } from './consentTools';
import { contacts } from './contacts';
import { createDataProvider } from './data/dataProvider';
import { i18nProvider } from './i18n';
import { Layout } from './layout/Layout';
import { theme } from './layout/theme';
import { privacyNotices } from './notices';

const authProvider = createAuthProvider();
const dataProvider = createDataProvider();

export const App = () => (
  <Admin
    title="custos.title"
    authProvider={authProvider}
    dataProvider={dataProvider}
    i18nProvider={i18nProvider}
    loginPage={LoginPage}
    layout={Layout}
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
  </Admin>
);

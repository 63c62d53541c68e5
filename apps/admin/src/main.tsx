import '@fontsource/roboto/300.css';
import '@fontsource/roboto/400.css';
import '@fontsource/roboto/500.css';
import '@fontsource/roboto/700.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { CALLBACK_PATH, completeSignIn, completeSilentRenew, resumeSession, SILENT_PATH } from './auth/oidc';
import { ConfigErrorPage } from './ConfigErrorPage';
import { ConfigLoadError, loadConsoleConfig } from './config';

const element = document.getElementById('root');
if (!element) throw new Error('index.html has no #root element');
const root = createRoot(element);

/**
 * The configuration first (config.json), then, on the identity provider's way back, the end of the sign-in (on
 * any other page, the renewal of a session kept over a reload), and only then the console; a configuration that
 * cannot be loaded shows why.
 */
async function boot(): Promise<void> {
  const config = await loadConsoleConfig();
  const { auth } = config;
  if (auth.mode === 'oidc' && window.location.pathname === SILENT_PATH) {
    // In a hidden frame: a failure is the parent's silent renew error (the session then runs to its expiry).
    await completeSilentRenew(auth).catch(() => {});
    return;
  }
  if (auth.mode === 'oidc') {
    // The provider's way back ends the sign-in; any other page resumes a session kept over a reload, renewed
    // before it expires (oidc.ts).
    await (window.location.pathname === CALLBACK_PATH ? completeSignIn(auth) : resumeSession(auth));
  }
  root.render(
    <StrictMode>
      <App config={config} />
    </StrictMode>,
  );
}

boot().catch((error: unknown) => {
  const failure =
    error instanceof ConfigLoadError ? error : new ConfigLoadError('unreachable', '/config.json');
  root.render(<ConfigErrorPage error={failure} />);
});

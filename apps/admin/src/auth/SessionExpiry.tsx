import { useEffect } from 'react';
import { useLogout, useNotify } from 'react-admin';
import { activeSession } from './session';

/** The longest delay setTimeout honours (about 24.8 days); a later expiry is checked again then. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Signs out when the token expires, even on a screen that makes no request, and says why: the next sign-in asks
 * for a new token (the gateway refuses an expired one anyway).
 */
export const SessionExpiry = () => {
  const logout = useLogout();
  const notify = useNotify();
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      const session = activeSession();
      if (!session) return;
      const delay = session.expiresAt - Date.now();
      timer = setTimeout(
        () => {
          if (activeSession()) {
            watch();
            return;
          }
          notify('custos.auth.expired', { type: 'warning' });
          void logout({}, undefined, true);
        },
        Math.min(Math.max(delay, 0), MAX_DELAY),
      );
    };
    watch();
    return () => clearTimeout(timer);
  }, [logout, notify]);
  return null;
};

import type { ComponentType } from 'react';
import type { AuthProvider } from 'react-admin';
import type { AuthConfig } from '../config';
import { createAuthProvider } from './authProvider';
import { LoginPage } from './LoginPage';
import { OidcLoginPage } from './OidcLoginPage';

export interface SignIn {
  readonly authProvider: AuthProvider;
  readonly loginPage: ComponentType;
}

const made = new WeakMap<AuthConfig, SignIn>();

/**
 * The auth provider and sign-in page that config.json's `auth` asks for: the development page and tokens, or the
 * identity provider's button. One pair per configuration, so that React sees the same ones on every render.
 */
export function signInFor(auth: AuthConfig): SignIn {
  let signIn = made.get(auth);
  if (!signIn) {
    signIn = {
      authProvider: createAuthProvider({ auth }),
      loginPage: auth.mode === 'oidc' ? () => <OidcLoginPage config={auth} /> : LoginPage,
    };
    made.set(auth, signIn);
  }
  return signIn;
}

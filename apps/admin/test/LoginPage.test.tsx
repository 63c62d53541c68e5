import { ROLE_PURPOSES, ROLES } from '@custos/policy';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { AdminContext } from 'react-admin';
import { describe, expect, it } from 'vitest';
import { createAuthProvider } from '../src/auth/authProvider';
import { LoginPage } from '../src/auth/LoginPage';
import { currentPurpose } from '../src/auth/session';
import { i18nProvider } from '../src/i18n';
import { en } from '../src/i18n/en';
import { fakeToken, json, recordingFetch } from './support';

describe('the development sign-in page', () => {
  it('offers every role of the policy and signs in with the chosen role and subject', async () => {
    const user = userEvent.setup();
    const token = fakeToken({ sub: 'alice', roles: ['privacy_officer'] });
    const { fetch, calls } = recordingFetch([() => json({ token, expiresAt: Date.now() + 3600_000 })]);
    render(
      <AdminContext authProvider={createAuthProvider({ fetch })} i18nProvider={i18nProvider}>
        <LoginPage />
      </AdminContext>,
    );
    const submit = await screen.findByRole('button', { name: en.custos.auth.sign_in });
    expect((submit as HTMLButtonElement).disabled).toBe(true);

    await user.click(screen.getByRole('combobox', { name: en.custos.auth.role }));
    const options = within(await screen.findByRole('listbox')).getAllByRole('option');
    expect(options.map((option) => option.textContent)).toEqual(ROLES.map((role) => en.custos.roles[role]));
    await user.click(screen.getByRole('option', { name: en.custos.roles.privacy_officer }));

    await user.type(screen.getByRole('textbox', { name: en.custos.auth.subject }), '  alice ');
    expect((submit as HTMLButtonElement).disabled).toBe(false);
    await user.click(submit);

    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]?.url).toBe('/dev/token');
    expect(calls[0]?.body).toEqual({ sub: 'alice', roles: ['privacy_officer'] });
    await waitFor(() => expect(sessionStorage.getItem('custos.session')).toBe(token));
    expect(currentPurpose()).toBe(ROLE_PURPOSES.privacy_officer[0]);
  });

  it('says why when the endpoint refuses, and stays signed out', async () => {
    const user = userEvent.setup();
    const { fetch, calls } = recordingFetch([() => json({ errors: [{ message: 'not available' }] }, 404)]);
    render(
      <AdminContext authProvider={createAuthProvider({ fetch })} i18nProvider={i18nProvider}>
        <LoginPage />
      </AdminContext>,
    );
    await user.type(await screen.findByRole('textbox', { name: en.custos.auth.subject }), 'bob');
    await user.click(screen.getByRole('button', { name: en.custos.auth.sign_in }));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]?.body).toEqual({ sub: 'bob', roles: [ROLES[0]] });
    expect(sessionStorage.getItem('custos.session')).toBeNull();
  });
});

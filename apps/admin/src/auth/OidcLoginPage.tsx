import { Alert, Box, Button } from '@mui/material';
import { useState } from 'react';
import { useTranslate } from 'react-admin';
import type { OidcAuthConfig } from '../config';
import { providerName, type SignInError, takeSignInError } from './oidc';
import { SignInCard, useSignIn } from './SignInCard';

/**
 * Production sign-in: one button to the identity provider (no role to choose: the provider says which roles the
 * staff member holds). After a sign-in the provider sent back without a usable session, says why.
 */
export const OidcLoginPage = ({ config }: { readonly config: OidcAuthConfig }) => {
  const translate = useTranslate();
  const { pending, signIn } = useSignIn();
  const [error] = useState<SignInError | undefined>(takeSignInError);
  return (
    <SignInCard title={translate('custos.auth.oidc_title')}>
      <Box sx={{ display: 'grid', gap: 2, mt: 2 }}>
        {error ? <Alert severity="error">{translate(error.key, error.args)}</Alert> : null}
        <Button variant="contained" onClick={() => void signIn({})} disabled={pending}>
          {translate('custos.auth.oidc_sign_in', { provider: providerName(config) })}
        </Button>
      </Box>
    </SignInCard>
  );
};

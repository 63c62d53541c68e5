import { Box, Card, CardContent, Typography } from '@mui/material';
import { type ReactNode, useState } from 'react';
import { useLogin, useNotify } from 'react-admin';

/** The frame of both sign-in pages: a card in the middle of the page, under its heading. */
export const SignInCard = ({ title, children }: { readonly title: string; readonly children: ReactNode }) => (
  <Box
    component="main"
    sx={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', p: 2 }}
  >
    <Card sx={{ width: 420, maxWidth: '100%' }}>
      <CardContent>
        <Typography component="h1" variant="h5" gutterBottom>
          {title}
        </Typography>
        {children}
      </CardContent>
    </Card>
  </Box>
);

/** Signs in with `params` (the auth provider's `login`): pending meanwhile, and a failure said as a notification. */
export function useSignIn() {
  const login = useLogin();
  const notify = useNotify();
  const [pending, setPending] = useState(false);
  const signIn = async (params: object) => {
    setPending(true);
    try {
      await login(params);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      notify('custos.auth.failed', { type: 'error', messageArgs: { reason } });
      setPending(false);
    }
  };
  return { pending, signIn };
}

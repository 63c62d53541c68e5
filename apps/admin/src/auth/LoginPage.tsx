import { ROLES, type Role } from '@custos/policy';
import { Box, Button, Card, CardContent, MenuItem, TextField, Typography } from '@mui/material';
import { type FormEvent, useState } from 'react';
import { useLogin, useNotify, useTranslate } from 'react-admin';
import type { DevSignIn } from './authProvider';

/**
 * Development sign-in: the staff member picks one of the policy's roles and says who they are; the gateway's
 * development endpoint signs a token for them. Production signs in through the identity provider instead.
 */
export const LoginPage = () => {
  const login = useLogin();
  const notify = useNotify();
  const translate = useTranslate();
  const [role, setRole] = useState<Role>(ROLES[0]);
  const [sub, setSub] = useState('');
  const [pending, setPending] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setPending(true);
    try {
      const params: DevSignIn = { sub: sub.trim(), role };
      await login(params);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      notify('custos.auth.failed', { type: 'error', messageArgs: { reason } });
      setPending(false);
    }
  };

  return (
    <Box
      component="main"
      sx={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center', p: 2 }}
    >
      <Card sx={{ width: 420, maxWidth: '100%' }}>
        <CardContent>
          <Typography component="h1" variant="h5" gutterBottom>
            {translate('custos.auth.dev_title')}
          </Typography>
          <Typography variant="body2" color="text.secondary" gutterBottom>
            {translate('custos.auth.dev_explanation')}
          </Typography>
          <Box component="form" onSubmit={submit} sx={{ display: 'grid', gap: 2, mt: 2 }}>
            <TextField
              select
              id="custos-role"
              label={translate('custos.auth.role')}
              value={role}
              onChange={(event) => setRole(event.target.value as Role)}
            >
              {ROLES.map((name) => (
                <MenuItem key={name} value={name}>
                  {translate(`custos.roles.${name}`, { _: name })}
                </MenuItem>
              ))}
            </TextField>
            <TextField
              id="custos-subject"
              label={translate('custos.auth.subject')}
              helperText={translate('custos.auth.subject_help')}
              value={sub}
              onChange={(event) => setSub(event.target.value)}
              required
              autoComplete="username"
              slotProps={{ htmlInput: { maxLength: 200 } }}
            />
            <Button type="submit" variant="contained" disabled={pending || sub.trim() === ''}>
              {translate('custos.auth.sign_in')}
            </Button>
          </Box>
        </CardContent>
      </Card>
    </Box>
  );
};

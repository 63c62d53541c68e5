import { ROLES, type Role } from '@custos/policy';
import { Box, Button, MenuItem, TextField, Typography } from '@mui/material';
import { type FormEvent, useState } from 'react';
import { useTranslate } from 'react-admin';
import type { DevSignIn } from './authProvider';
import { SignInCard, useSignIn } from './SignInCard';

/**
 * Development sign-in: the staff member picks one of the policy's roles and says who they are; the gateway's
 * development endpoint signs a token for them. Production signs in through the identity provider instead.
 */
export const LoginPage = () => {
  const translate = useTranslate();
  const { pending, signIn } = useSignIn();
  const [role, setRole] = useState<Role>(ROLES[0]);
  const [sub, setSub] = useState('');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const params: DevSignIn = { sub: sub.trim(), role };
    void signIn(params);
  };

  return (
    <SignInCard title={translate('custos.auth.dev_title')}>
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
    </SignInCard>
  );
};

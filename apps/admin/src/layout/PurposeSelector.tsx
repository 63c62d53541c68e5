import { MenuItem, TextField } from '@mui/material';
import { useState } from 'react';
import { usePermissions, useRefresh, useTranslate } from 'react-admin';
import type { Permissions } from '../auth/authProvider';
import { choosePurpose, currentPurpose } from '../auth/session';

/**
 * The declared purpose, in the app bar: the purposes the signed-in roles hold, remembered for this browser
 * session. Every request carries it as `X-Purpose`; choosing another reloads what is on screen, and what may be
 * shown or done follows the new purpose.
 */
export const PurposeSelector = () => {
  const translate = useTranslate();
  const refresh = useRefresh();
  const { permissions } = usePermissions<Permissions>();
  const [purpose, setPurpose] = useState(currentPurpose());
  const purposes = permissions?.purposes ?? [];
  if (purposes.length === 0 || purpose === undefined) return null;
  return (
    <TextField
      select
      size="small"
      id="custos-purpose"
      label={translate('custos.purpose.label')}
      title={translate('custos.purpose.help')}
      value={purpose}
      onChange={(event) => {
        setPurpose(choosePurpose(event.target.value));
        refresh();
      }}
      sx={{
        flex: '0 0 auto',
        width: 220,
        mx: 1,
        '& .MuiInputBase-root, & .MuiInputLabel-root, & .MuiInputLabel-root.Mui-focused, & .MuiSvgIcon-root':
          {
            color: 'inherit',
          },
        '& .MuiOutlinedInput-notchedOutline': { borderColor: 'currentColor' },
      }}
    >
      {purposes.map((name) => (
        <MenuItem key={name} value={name}>
          {translate(`custos.purposes.${name}`, { _: name })}
        </MenuItem>
      ))}
    </TextField>
  );
};

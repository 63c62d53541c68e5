import { MenuItem, TextField } from '@mui/material';
import { useTranslate } from 'react-admin';

/** Which ledger purpose the consent trend shows. */
export const PurposePicker = ({
  purposes,
  value,
  onChange,
}: {
  purposes: readonly string[];
  value: string | undefined;
  onChange: (purpose: string) => void;
}) => {
  const translate = useTranslate();
  if (purposes.length === 0 || value === undefined) return null;
  return (
    <TextField
      select
      size="small"
      id="custos-trend-purpose"
      label={translate('custos.dashboard.trend_purpose')}
      value={value}
      onChange={(event) => onChange(event.target.value)}
      sx={{ width: 240, mb: 1 }}
    >
      {purposes.map((name) => (
        <MenuItem key={name} value={name}>
          {translate(`custos.purposes.${name}`, { _: name })}
        </MenuItem>
      ))}
    </TextField>
  );
};

import { Chip } from '@mui/material';
import { useFieldValue, useTranslate } from 'react-admin';
import { statusLabel } from './labels';

const COLOURS = {
  GRANTED: 'success',
  DENIED: 'default',
  WITHDRAWN: 'default',
  OBJECTED: 'error',
} as const;

/** A consent status as a chip: its name in words (the colour only repeats it). */
export const StatusChip = ({ source = 'status' }: { readonly source?: string; readonly label?: string }) => {
  const translate = useTranslate();
  const status: unknown = useFieldValue({ source });
  if (typeof status !== 'string') return null;
  const color = Object.hasOwn(COLOURS, status) ? COLOURS[status as keyof typeof COLOURS] : 'default';
  return (
    <Chip
      size="small"
      variant="outlined"
      color={color}
      data-status={status}
      label={translate(statusLabel(status), { _: status })}
    />
  );
};

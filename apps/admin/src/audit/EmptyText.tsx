import { Typography } from '@mui/material';
import { useTranslate } from 'react-admin';

/** A list's empty state: one sentence, announced as a status. */
export const EmptyText = ({ text }: { readonly text: string }) => {
  const translate = useTranslate();
  return (
    <Typography sx={{ p: 2 }} role="status">
      {translate(text)}
    </Typography>
  );
};

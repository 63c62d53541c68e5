import { Alert, Typography } from '@mui/material';
import { useListContext, useTranslate } from 'react-admin';

/**
 * What a list's table shows without rows (DataTable's `empty`): the server's refusal, with its message and code,
 * when the list could not be loaded — never "none", which would be a wrong answer — else `text`, one sentence
 * announced as a status.
 */
export const ListEmpty = ({
  text,
  failed = 'custos.list_load_failed',
}: {
  readonly text: string;
  /** The refusal's sentence; `%{reason}` is the server's message and code. */
  readonly failed?: string;
}) => {
  const { error } = useListContext();
  const translate = useTranslate();
  if (error) {
    return (
      <Alert severity="error" sx={{ m: 2 }}>
        {translate(failed, { reason: error.message })}
      </Alert>
    );
  }
  return (
    <Typography sx={{ p: 2 }} role="status">
      {translate(text)}
    </Typography>
  );
};

import { Alert } from '@mui/material';
import { useListContext, useTranslate } from 'react-admin';
import { EmptyText } from '../audit/EmptyText';

/**
 * What the table shows without rows: the server's refusal (its message and code) when the queue could not be
 * loaded — never "no review", which would be a wrong answer — else that no pair is in the chosen state.
 */
export const QueueEmpty = () => {
  const { error } = useListContext();
  const translate = useTranslate();
  if (error) {
    return (
      <Alert severity="error" sx={{ m: 2 }}>
        {translate('custos.duplicates.load_failed', { reason: error.message })}
      </Alert>
    );
  }
  return <EmptyText text="custos.duplicates.none" />;
};

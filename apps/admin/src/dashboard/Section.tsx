import { Alert, Card, CardContent, LinearProgress, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { useTranslate } from 'react-admin';

/** One dashboard card: its heading, a loading bar, the server's error in place, or its content. */
export const Section = ({
  id,
  title,
  isPending,
  error,
  children,
}: {
  id: string;
  title: string;
  isPending: boolean;
  error: Error | null;
  children: () => ReactNode;
}) => {
  const translate = useTranslate();
  return (
    <Card component="section" aria-labelledby={`${id}-title`} sx={{ mb: 2 }}>
      <CardContent>
        <Typography variant="h6" component="h2" id={`${id}-title`} gutterBottom>
          {translate(title)}
        </Typography>
        {error ? (
          <Alert severity="error">
            {translate('custos.dashboard.load_failed', { reason: error.message })}
          </Alert>
        ) : isPending ? (
          <LinearProgress aria-label={translate('custos.dashboard.loading')} />
        ) : (
          children()
        )}
      </CardContent>
    </Card>
  );
};

import { Alert, LinearProgress, Stack, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { RecordContextProvider, useListContext, useTranslate } from 'react-admin';
import type { RedactedPage } from '../data/cursors';
import { REDACTIONS_KEY } from '../data/graphql';
import { RedactedField } from './RedactedField';

export interface ListStatesProps {
  /** The sentence (translation key) of an empty list. */
  readonly empty: string;
  /** The sentence of a list that could not be loaded (the notification carries the server's message and code). */
  readonly failed: string;
  /**
   * A relation's list (a contact's tickets…): the sentence shown when the relation came back redacted, beside the
   * redaction chip with the server's reason.
   */
  readonly redacted?: string;
  readonly children: ReactNode;
}

const Loading = () => {
  const translate = useTranslate();
  return <LinearProgress aria-label={translate('ra.page.loading')} sx={{ my: 2 }} />;
};

/** The relation the purpose may not follow: what it is, and the chip with the reason (RedactedField's). */
const RedactedRelation = ({ text, reason }: { readonly text: string; readonly reason: string }) => {
  const translate = useTranslate();
  const record = { id: 'relation', relation: null, [REDACTIONS_KEY]: { relation: reason } };
  return (
    <Stack direction="row" spacing={1} sx={{ py: 1, alignItems: 'center' }} role="status">
      <Typography variant="body2">{translate(text)}</Typography>
      <RecordContextProvider value={record}>
        <RedactedField source="relation" />
      </RecordContextProvider>
    </Stack>
  );
};

/**
 * Loading, error, redacted and empty states of a table, from its list context; the table itself otherwise. Not
 * ReferenceManyField's own `empty` and `error` props: react-admin 5.15 never shows `empty` once an `error` element
 * is given (it tests the prop, not the request's error). A redacted relation (the page's `meta`, cursors.ts) is
 * never shown as an empty one.
 */
export const ListStates = ({ empty, failed, redacted, children }: ListStatesProps) => {
  const translate = useTranslate();
  const { isPending, error, total, data, meta } = useListContext();
  if (isPending) return <Loading />;
  if (error) {
    return (
      <Alert severity="error" sx={{ my: 1 }}>
        {translate(failed)}
      </Alert>
    );
  }
  const redaction = (meta as Partial<RedactedPage> | undefined)?.redaction;
  if (redaction) return <RedactedRelation text={redacted ?? empty} reason={redaction} />;
  if (!total && (data?.length ?? 0) === 0) {
    return (
      <Typography variant="body2" sx={{ py: 1 }} role="status">
        {translate(empty)}
      </Typography>
    );
  }
  return <>{children}</>;
};

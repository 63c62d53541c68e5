import { Alert, Button, Stack, Typography } from '@mui/material';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import {
  Confirm,
  type HttpError,
  useCanAccess,
  useDataProvider,
  useNotify,
  useRecordContext,
  useRefresh,
  useTranslate,
} from 'react-admin';
import { DUPLICATE_RESOLUTIONS, type DuplicateActions, type DuplicateResolution } from '../data/duplicates';

/**
 * The two ways to close an open review, each after a confirmation that says what it means (the schema's
 * DuplicateResolution) and that it cannot be undone. Pessimistic: the list reloads once the server has answered;
 * a refusal stays in the dialog, and in a notification, with the server's message and code.
 */
export const ResolveButtons = () => {
  const record = useRecordContext();
  const translate = useTranslate();
  const notify = useNotify();
  const refresh = useRefresh();
  const dataProvider = useDataProvider<ReturnType<typeof useDataProvider> & DuplicateActions>();
  const { canAccess } = useCanAccess({ action: 'resolve', resource: 'contactDuplicates' });
  const [chosen, setChosen] = useState<DuplicateResolution | null>(null);
  const id = String(record?.id ?? '');
  const resolve = useMutation<unknown, HttpError, DuplicateResolution>({
    mutationFn: (resolution) => dataProvider.resolveContactDuplicate({ id, resolution }),
    onSuccess: (_answer, resolution) => {
      notify(`custos.duplicates.resolutions.${resolution}.done`, { type: 'success' });
      setChosen(null);
      refresh();
    },
    onError: (refusal) => notify(refusal.message, { type: 'error', messageArgs: { _: refusal.message } }),
  });
  // Offered on open pairs only, where the declared purpose may resolve.
  if (!record || record.resolution || !canAccess) return null;

  const close = () => {
    if (resolve.isPending) return;
    resolve.reset();
    setChosen(null);
  };
  const refusal = resolve.error ? translate(resolve.error.message, { _: resolve.error.message }) : null;

  return (
    // One above the other: the queue's eight columns fit a 1280 px screen.
    <Stack spacing={1} sx={{ alignItems: 'stretch', minWidth: 'max-content' }}>
      {DUPLICATE_RESOLUTIONS.map((resolution) => (
        <Button
          key={resolution}
          size="small"
          variant="outlined"
          onClick={() => setChosen(resolution)}
          aria-label={translate(`custos.duplicates.resolutions.${resolution}.label`, { id: id.slice(0, 8) })}
        >
          {translate(`custos.duplicates.resolutions.${resolution}.action`)}
        </Button>
      ))}
      <Confirm
        isOpen={chosen !== null}
        loading={resolve.isPending}
        title={`custos.duplicates.resolutions.${chosen ?? 'DISTINCT_PEOPLE'}.title`}
        content={
          chosen && (
            <Stack spacing={2}>
              <Typography>{translate(`custos.duplicates.resolutions.${chosen}.explanation`)}</Typography>
              <Typography>{translate('custos.duplicates.irreversible')}</Typography>
              {refusal && <Alert severity="error">{refusal}</Alert>}
            </Stack>
          )
        }
        confirm={`custos.duplicates.resolutions.${chosen ?? 'DISTINCT_PEOPLE'}.confirm`}
        onConfirm={() => chosen && resolve.mutate(chosen)}
        onClose={close}
      />
    </Stack>
  );
};

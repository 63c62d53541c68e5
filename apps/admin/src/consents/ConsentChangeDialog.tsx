import type { ConsentMethod } from '@custos/policy';
import {
  Alert,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  MenuItem,
  Stack,
  TextField,
} from '@mui/material';
import { useId, useState } from 'react';
import { type HttpError, useDataProvider, useNotify, useRefresh, useTranslate } from 'react-admin';
import type { ConsentActions, ConsentChange } from '../data/consents';
import { methodChoices, purposeLabel } from './labels';

export type ConsentChangeKind = 'withdraw' | 'object';

export interface ConsentChangeDialogProps {
  readonly kind: ConsentChangeKind;
  readonly contactId: string;
  /** The purposes offered: one (a withdrawal of that purpose) or a choice (an objection). */
  readonly purposes: readonly string[];
  readonly open: boolean;
  readonly onClose: () => void;
}

const TEXTS = {
  withdraw: {
    title: 'custos.consent.withdraw.title',
    explanation: 'custos.consent.withdraw.explanation',
    confirm: 'custos.consent.withdraw.action',
    done: 'custos.consent.withdraw.done',
  },
  object: {
    title: 'custos.consent.object.title',
    explanation: 'custos.consent.object.explanation',
    confirm: 'custos.consent.object.confirm',
    done: 'custos.consent.object.done',
  },
} as const;

/**
 * Confirms a withdrawal or an objection, which cannot be undone, with how it came and where its evidence is kept.
 * Pessimistic: nothing on screen changes until the server has answered; then the consent tab reloads (current
 * states and ledger). A refusal stays in the dialog and is notified with the server's message and code.
 */
export const ConsentChangeDialog = ({
  kind,
  contactId,
  purposes,
  open,
  onClose,
}: ConsentChangeDialogProps) => {
  const translate = useTranslate();
  const notify = useNotify();
  const refresh = useRefresh();
  const dataProvider = useDataProvider<ReturnType<typeof useDataProvider> & ConsentActions>();
  const id = useId();
  const [purpose, setPurpose] = useState(purposes[0] ?? '');
  const [method, setMethod] = useState<ConsentMethod>('ADMIN');
  const [source, setSource] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const texts = TEXTS[kind];
  const purposeName = translate(purposeLabel(purpose), { _: purpose });

  const close = () => {
    if (pending) return;
    setError(null);
    onClose();
  };

  const confirm = async () => {
    setPending(true);
    setError(null);
    const change: ConsentChange = { contactId, purpose, method, source };
    try {
      await (kind === 'withdraw'
        ? dataProvider.withdrawConsent(change)
        : dataProvider.objectToProcessing(change));
      notify(texts.done, { type: 'success', messageArgs: { purpose: purposeName } });
      setSource('');
      setPending(false);
      onClose();
      refresh();
    } catch (caught) {
      const message = (caught as HttpError).message ?? String(caught);
      setError(translate(message, { _: message }));
      notify(message, { type: 'error', messageArgs: { _: message } });
      setPending(false);
    }
  };

  return (
    <Dialog open={open} onClose={close} aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`}>
      <DialogTitle id={`${id}-title`}>{translate(texts.title, { purpose: purposeName })}</DialogTitle>
      <DialogContent>
        <Stack spacing={2}>
          <DialogContentText id={`${id}-text`}>
            {translate(texts.explanation)} <strong>{translate('custos.consent.irreversible')}</strong>
          </DialogContentText>
          {purposes.length > 1 && (
            <TextField
              select
              label={translate('custos.consent.object.purpose')}
              value={purpose}
              onChange={(event) => setPurpose(event.target.value)}
            >
              {purposes.map((choice) => (
                <MenuItem key={choice} value={choice}>
                  {translate(purposeLabel(choice), { _: choice })}
                </MenuItem>
              ))}
            </TextField>
          )}
          <TextField
            select
            label={translate('custos.consent.method')}
            value={method}
            onChange={(event) => setMethod(event.target.value as ConsentMethod)}
          >
            {methodChoices.map((choice) => (
              <MenuItem key={choice.id} value={choice.id}>
                {translate(choice.name)}
              </MenuItem>
            ))}
          </TextField>
          <TextField
            label={translate('custos.consent.source')}
            helperText={translate('custos.consent.source_help')}
            value={source}
            onChange={(event) => setSource(event.target.value)}
            slotProps={{ htmlInput: { maxLength: 200 } }}
          />
          {error && (
            <Alert severity="error" role="alert">
              {error}
            </Alert>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={close} disabled={pending}>
          {translate('ra.action.cancel')}
        </Button>
        <Button onClick={confirm} disabled={pending || purpose === ''} variant="contained" color="error">
          {translate(texts.confirm)}
        </Button>
      </DialogActions>
    </Dialog>
  );
};

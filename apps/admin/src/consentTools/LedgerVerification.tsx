import { Alert, Button, Card, CardContent, Stack, TextField, Typography } from '@mui/material';
import { useId, useState } from 'react';
import { type HttpError, useDataProvider, useNotify, useTranslate } from 'react-admin';
import type { ConsentLedgerCheck, ConsentToolActions } from '../data/consentTools';

/**
 * Recomputes the consent ledger's hash chain, of one contact or of the whole ledger, and checks the current states
 * against it: the answer is shown as it came (valid, events checked, the first broken event, state mismatches).
 */
export const LedgerVerification = () => {
  const translate = useTranslate();
  const notify = useNotify();
  const dataProvider = useDataProvider<ReturnType<typeof useDataProvider> & ConsentToolActions>();
  const id = useId();
  const [contactId, setContactId] = useState('');
  const [pending, setPending] = useState(false);
  const [check, setCheck] = useState<ConsentLedgerCheck | null>(null);
  const [error, setError] = useState<string | null>(null);

  const verify = async () => {
    setPending(true);
    setError(null);
    setCheck(null);
    try {
      const { data } = await dataProvider.verifyConsentLedger({ contactId });
      setCheck(data);
    } catch (caught) {
      const message = (caught as HttpError).message ?? String(caught);
      setError(translate(message, { _: message }));
      notify(message, { type: 'error', messageArgs: { _: message } });
    } finally {
      setPending(false);
    }
  };

  return (
    <Card component="section" aria-labelledby={`${id}-title`}>
      <CardContent>
        <Stack spacing={2}>
          <Typography variant="h6" component="h2" id={`${id}-title`}>
            {translate('custos.consent_tools.verify.title')}
          </Typography>
          <Typography variant="body2">{translate('custos.consent_tools.verify.explanation')}</Typography>
          <TextField
            label={translate('custos.consent_tools.verify.contact')}
            helperText={translate('custos.consent_tools.verify.contact_help')}
            value={contactId}
            onChange={(event) => setContactId(event.target.value)}
            slotProps={{ htmlInput: { maxLength: 36 } }}
          />
          <div>
            <Button variant="contained" onClick={verify} disabled={pending}>
              {translate('custos.consent_tools.verify.action')}
            </Button>
          </div>
          {pending && <Typography role="status">{translate('ra.page.loading')}</Typography>}
          {error && (
            <Alert severity="error" role="alert">
              {error}
            </Alert>
          )}
          {check && (
            <Stack spacing={1} role="status">
              <Alert severity={check.valid ? 'success' : 'error'}>
                {translate(
                  check.valid ? 'custos.consent_tools.verify.valid' : 'custos.consent_tools.verify.invalid',
                )}
              </Alert>
              <dl>
                <dt>{translate('custos.consent_tools.verify.events')}</dt>
                <dd>{check.events}</dd>
                <dt>{translate('custos.consent_tools.verify.broken')}</dt>
                <dd>{check.brokenEventId ?? translate('custos.consent_tools.verify.none')}</dd>
                <dt>{translate('custos.consent_tools.verify.mismatches')}</dt>
                <dd>{check.stateMismatches}</dd>
              </dl>
            </Stack>
          )}
        </Stack>
      </CardContent>
    </Card>
  );
};

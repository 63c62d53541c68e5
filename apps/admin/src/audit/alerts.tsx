import NotificationsActive from '@mui/icons-material/NotificationsActive';
import {
  Alert,
  Button,
  Card,
  CardContent,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  Stack,
  Typography,
} from '@mui/material';
import { useId, useState } from 'react';
import {
  CanAccess,
  DataTable,
  type HttpError,
  SelectField,
  SelectInput,
  TextField,
  useDataProvider,
  useNotify,
  useRecordContext,
  useRefresh,
  useTranslate,
} from 'react-admin';
import { AUDIT_CHECK_NUMBERS, type AuditActions, type AuditLogCheck } from '../data/audit';
import { DateTimeField } from '../fields/DateTimeField';
import { ListEmpty } from '../layout/ListEmpty';
import { QueueList } from '../layout/QueueList';

const statusChoices = [
  { id: 'OPEN', name: 'custos.audit.status.OPEN' },
  { id: 'ACKNOWLEDGED', name: 'custos.audit.status.ACKNOWLEDGED' },
];

const filters = [<SelectInput key="status" source="status" choices={statusChoices} alwaysOn />];

const useAuditActions = () => useDataProvider<ReturnType<typeof useDataProvider> & AuditActions>();

const messageOf = (caught: unknown) => (caught as HttpError).message ?? String(caught);

/**
 * Acknowledges one open alert after a confirmation (it cannot be undone). Pessimistic: the list reloads once the
 * server has answered; a refusal stays in the dialog with the server's message and code.
 */
const AcknowledgeButton = () => {
  const record = useRecordContext();
  const translate = useTranslate();
  const notify = useNotify();
  const refresh = useRefresh();
  const dataProvider = useAuditActions();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const alertId = String(record?.id ?? '');
  if (record?.status !== 'OPEN') return null;
  const short = alertId.slice(0, 8);

  const close = () => {
    if (pending) return;
    setError(null);
    setOpen(false);
  };
  const confirm = async () => {
    setPending(true);
    setError(null);
    try {
      await dataProvider.acknowledgeAuditAlert({ id: alertId });
      notify('custos.audit.acknowledge.done', { type: 'success' });
      setPending(false);
      setOpen(false);
      refresh();
    } catch (caught) {
      const message = messageOf(caught);
      setError(translate(message, { _: message }));
      notify(message, { type: 'error', messageArgs: { _: message } });
      setPending(false);
    }
  };

  return (
    <>
      <Button
        size="small"
        onClick={() => setOpen(true)}
        aria-label={translate('custos.audit.acknowledge.label', { id: short })}
      >
        {translate('custos.audit.acknowledge.action')}
      </Button>
      <Dialog open={open} onClose={close} aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`}>
        <DialogTitle id={`${id}-title`}>{translate('custos.audit.acknowledge.title')}</DialogTitle>
        <DialogContent>
          <Stack spacing={2}>
            <DialogContentText id={`${id}-text`}>
              {translate('custos.audit.acknowledge.explanation')}
            </DialogContentText>
            {error && <Alert severity="error">{error}</Alert>}
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={close} disabled={pending} color="inherit">
            {translate('ra.action.cancel')}
          </Button>
          <Button onClick={confirm} disabled={pending} variant="contained">
            {translate('custos.audit.acknowledge.action')}
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
};

/** Verifies the audit chain on demand and shows the result with the checkpoint status. */
export const ChainPanel = () => {
  const translate = useTranslate();
  const notify = useNotify();
  const dataProvider = useAuditActions();
  const [pending, setPending] = useState(false);
  const [check, setCheck] = useState<AuditLogCheck | null>(null);
  const [error, setError] = useState<string | null>(null);

  const verify = async () => {
    setPending(true);
    setError(null);
    try {
      setCheck((await dataProvider.verifyAuditLog()).data);
    } catch (caught) {
      const message = messageOf(caught);
      setCheck(null);
      setError(translate(message, { _: message }));
      notify(message, { type: 'error', messageArgs: { _: message } });
    }
    setPending(false);
  };

  return (
    <Card component="section" aria-labelledby="audit-chain-title" sx={{ mb: 2 }}>
      <CardContent>
        <Stack spacing={1.5}>
          <Typography variant="h6" component="h2" id="audit-chain-title">
            {translate('custos.audit.chain.title')}
          </Typography>
          <Typography variant="body2">{translate('custos.audit.chain.explanation')}</Typography>
          <div>
            <Button variant="contained" onClick={verify} disabled={pending}>
              {translate(pending ? 'custos.audit.chain.verifying' : 'custos.audit.chain.verify')}
            </Button>
          </div>
          <div aria-live="polite">
            {error && <Alert severity="error">{error}</Alert>}
            {check && (
              <Stack spacing={1}>
                <Alert severity={check.valid ? 'success' : 'error'}>
                  {translate(check.valid ? 'custos.audit.chain.valid' : 'custos.audit.chain.invalid')}
                </Alert>
                <dl style={{ display: 'grid', gridTemplateColumns: 'auto 1fr', gap: '4px 16px', margin: 0 }}>
                  {AUDIT_CHECK_NUMBERS.map((key) => (
                    <div key={key} style={{ display: 'contents' }}>
                      <dt>{translate(`custos.audit.chain.${key}`)}</dt>
                      <dd style={{ margin: 0 }} data-check={key}>
                        {check[key] ?? '—'}
                      </dd>
                    </div>
                  ))}
                  {check.problem && (
                    <>
                      <dt>{translate('custos.audit.chain.problem')}</dt>
                      <dd style={{ margin: 0 }}>{check.problem}</dd>
                    </>
                  )}
                </dl>
              </Stack>
            )}
          </div>
        </Stack>
      </CardContent>
    </Card>
  );
};

/** Alerts, newest first, by state; the chain's verification above them (where the purpose may run it). */
export const AlertList = () => (
  <>
    <CanAccess action="verify" resource="auditAlerts">
      <ChainPanel />
    </CanAccess>
    <QueueList filters={filters}>
      <DataTable
        rowClick={false}
        bulkActionButtons={false}
        empty={<ListEmpty text="custos.audit.no_alerts" />}
      >
        <DataTable.Col source="firedAt" disableSort>
          <DateTimeField source="firedAt" />
        </DataTable.Col>
        <DataTable.Col source="ruleId" disableSort />
        <DataTable.Col source="kind" disableSort />
        <DataTable.Col source="actor" disableSort />
        <DataTable.Col source="purpose" disableSort />
        <DataTable.Col source="details" disableSort>
          <TextField source="details" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }} />
        </DataTable.Col>
        <DataTable.Col source="status" disableSort>
          <SelectField source="status" choices={statusChoices} />
        </DataTable.Col>
        <DataTable.Col source="acknowledgedAt" disableSort>
          <DateTimeField source="acknowledgedAt" emptyText="—" />
        </DataTable.Col>
        <DataTable.Col label="custos.audit.acknowledge.action" disableSort>
          <CanAccess action="acknowledge" resource="auditAlerts">
            <AcknowledgeButton />
          </CanAccess>
        </DataTable.Col>
      </DataTable>
    </QueueList>
  </>
);

export const auditAlerts = {
  name: 'auditAlerts',
  icon: NotificationsActive,
  list: AlertList,
  recordRepresentation: 'id',
};

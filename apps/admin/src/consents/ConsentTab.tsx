import Block from '@mui/icons-material/Block';
import PlaylistAdd from '@mui/icons-material/PlaylistAdd';
import RemoveCircleOutline from '@mui/icons-material/RemoveCircleOutline';
import { Box, Button, Stack, Typography } from '@mui/material';
import { useState } from 'react';
import {
  DataTable,
  FunctionField,
  Pagination,
  type RaRecord,
  ReferenceManyField,
  TextField,
  useCanAccess,
  useGetManyReference,
  useRecordContext,
  useTranslate,
} from 'react-admin';
import { DateTimeField } from '../fields/DateTimeField';
import { ListStates } from '../fields/ListStates';
import { ConsentChangeDialog, type ConsentChangeKind } from './ConsentChangeDialog';
import { allows, methodLabel, purposeLabel, purposesAllowing } from './labels';
import { ReceiptButton } from './ReceiptDialog';
import { RecordConsentDialog } from './RecordConsentDialog';
import { StatusChip } from './StatusChip';

const PurposeField = () => {
  const translate = useTranslate();
  return (
    <FunctionField
      source="purpose"
      render={(record: RaRecord) => translate(purposeLabel(record.purpose), { _: String(record.purpose) })}
    />
  );
};

const MethodField = () => {
  const translate = useTranslate();
  return (
    <FunctionField
      source="method"
      render={(record: RaRecord) => translate(methodLabel(record.method), { _: String(record.method) })}
    />
  );
};

const VerificationField = () => {
  const translate = useTranslate();
  return (
    <FunctionField
      source="verification"
      render={(record: RaRecord) =>
        record.verification
          ? translate(`custos.consent.verifications.${String(record.verification)}`)
          : translate('custos.consent.verifications.RECORDED_BY_STAFF')
      }
    />
  );
};

/** Withdraw, on a current GRANTED state of a purpose resting on consent, where the purpose may withdraw. */
const WithdrawButton = ({ contactId }: { readonly contactId: string }) => {
  const state = useRecordContext();
  const translate = useTranslate();
  const { canAccess } = useCanAccess({ action: 'withdraw', resource: 'consents' });
  const [open, setOpen] = useState(false);
  if (!state || !canAccess || state.status !== 'GRANTED' || !allows(state.purpose, 'WITHDRAWN')) return null;
  const purpose = translate(purposeLabel(state.purpose), { _: String(state.purpose) });
  return (
    <>
      <Button
        size="small"
        color="error"
        startIcon={<RemoveCircleOutline aria-hidden />}
        aria-label={translate('custos.consent.withdraw.label', { purpose })}
        onClick={() => setOpen(true)}
      >
        {translate('custos.consent.withdraw.action')}
      </Button>
      {open && (
        <ConsentChangeDialog
          kind="withdraw"
          contactId={contactId}
          purposes={[String(state.purpose)]}
          open
          onClose={() => setOpen(false)}
        />
      )}
    </>
  );
};

/**
 * Record consent and Object, each where the declared purpose may (canAccess). An objection is offered for the
 * purposes the policy lets one be recorded for that the contact has not objected to already.
 */
const ConsentToolbar = ({ contactId }: { readonly contactId: string }) => {
  const translate = useTranslate();
  const record = useCanAccess({ action: 'record', resource: 'consents' });
  const object = useCanAccess({ action: 'object', resource: 'consents' });
  const [open, setOpen] = useState<ConsentChangeKind | 'record' | null>(null);
  const states = useGetManyReference(
    'consentStates',
    { target: 'contactId', id: contactId, pagination: { page: 1, perPage: 100 } },
    { enabled: object.canAccess === true },
  );
  const objected = new Set((states.data ?? []).filter((s) => s.status === 'OBJECTED').map((s) => s.purpose));
  const objectable = purposesAllowing('OBJECTED').filter((purpose) => !objected.has(purpose));
  if (!record.canAccess && !object.canAccess) return null;
  return (
    <Stack direction="row" spacing={1} sx={{ mb: 2 }}>
      {record.canAccess && (
        <Button variant="outlined" startIcon={<PlaylistAdd aria-hidden />} onClick={() => setOpen('record')}>
          {translate('custos.consent.record.action')}
        </Button>
      )}
      {object.canAccess && (
        <Button
          variant="outlined"
          color="error"
          startIcon={<Block aria-hidden />}
          disabled={states.isPending || objectable.length === 0}
          title={objectable.length === 0 ? translate('custos.consent.object.none') : undefined}
          onClick={() => setOpen('object')}
        >
          {translate('custos.consent.object.action')}
        </Button>
      )}
      {open === 'record' && <RecordConsentDialog contactId={contactId} open onClose={() => setOpen(null)} />}
      {open === 'object' && (
        <ConsentChangeDialog
          kind="object"
          contactId={contactId}
          purposes={objectable}
          open
          onClose={() => setOpen(null)}
        />
      )}
    </Stack>
  );
};

/**
 * A contact's consents: its current status per purpose, with Withdraw where it is granted, and its ledger (oldest
 * first, in cursor pages) with each event's receipt on demand. Actions are pessimistic and reload both.
 */
export const ConsentTab = () => {
  const contact = useRecordContext();
  const translate = useTranslate();
  if (!contact) return null;
  const contactId = String(contact.id);
  return (
    <Box sx={{ width: '100%' }}>
      <ConsentToolbar contactId={contactId} />
      <Typography variant="h6" component="h2" gutterBottom>
        {translate('custos.consent.current')}
      </Typography>
      <ReferenceManyField reference="consentStates" target="contactId" perPage={100}>
        <ListStates empty="custos.consent.current_empty" failed="custos.consent.load_failed">
          <DataTable rowClick={false} bulkActionButtons={false}>
            <DataTable.Col source="purpose" disableSort>
              <PurposeField />
            </DataTable.Col>
            <DataTable.Col source="status" disableSort>
              <StatusChip />
            </DataTable.Col>
            <DataTable.Col source="updatedAt" disableSort>
              <DateTimeField source="updatedAt" />
            </DataTable.Col>
            <DataTable.Col source="actions" disableSort>
              <WithdrawButton contactId={contactId} />
            </DataTable.Col>
          </DataTable>
        </ListStates>
      </ReferenceManyField>
      <Typography variant="h6" component="h2" gutterBottom sx={{ mt: 3 }}>
        {translate('custos.consent.ledger')}
      </Typography>
      <ReferenceManyField
        reference="consents"
        target="contactId"
        perPage={10}
        pagination={<Pagination rowsPerPageOptions={[10, 25, 50]} />}
      >
        <ListStates empty="custos.consent.ledger_empty" failed="custos.consent.load_failed">
          <LedgerTable />
        </ListStates>
      </ReferenceManyField>
    </Box>
  );
};

const LedgerTable = () => {
  const { canAccess: mayReadReceipts } = useCanAccess({ action: 'show', resource: 'consentReceipts' });
  return (
    <DataTable rowClick={false} bulkActionButtons={false}>
      <DataTable.Col source="seq" disableSort />
      <DataTable.Col source="purpose" disableSort>
        <PurposeField />
      </DataTable.Col>
      <DataTable.Col source="status" disableSort>
        <StatusChip />
      </DataTable.Col>
      <DataTable.Col source="method" disableSort>
        <MethodField />
      </DataTable.Col>
      <DataTable.Col source="noticeVersion" disableSort>
        <TextField source="noticeVersion" emptyText="—" />
      </DataTable.Col>
      <DataTable.Col source="capturedAt" disableSort>
        <DateTimeField source="capturedAt" />
      </DataTable.Col>
      <DataTable.Col source="recordedBy" disableSort />
      <DataTable.Col source="verification" disableSort>
        <VerificationField />
      </DataTable.Col>
      {mayReadReceipts && (
        <DataTable.Col label="custos.consent.receipt.action" disableSort>
          <ReceiptButton />
        </DataTable.Col>
      )}
    </DataTable>
  );
};

import ReceiptLong from '@mui/icons-material/ReceiptLong';
import {
  Alert,
  Button,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
} from '@mui/material';
import { useId, useState } from 'react';
import {
  FunctionField,
  type RaRecord,
  RecordContextProvider,
  ResourceContextProvider,
  SimpleShowLayout,
  TextField,
  useGetOne,
  useRecordContext,
  useTranslate,
} from 'react-admin';
import { DateTimeField } from '../fields/DateTimeField';
import { RedactedField } from '../fields/RedactedField';
import { methodLabel, purposeLabel, statusLabel } from './labels';

/** A code of the receipt (`source`, a path) in words; `source` also names the row's label. */
const Translated = ({
  source,
  translation,
}: {
  readonly source: string;
  readonly translation: (value: unknown) => string;
}) => {
  const translate = useTranslate();
  return (
    <FunctionField
      source={source}
      render={(record: RaRecord) => {
        const value = source.split('.').reduce<unknown>((at, key) => (at as RaRecord | null)?.[key], record);
        return value === null || value === undefined
          ? ''
          : translate(translation(value), { _: String(value) });
      }}
    />
  );
};

const verificationLabel = (method: unknown) => `custos.consent.verifications.${String(method)}`;

/** The receipt's ISO/IEC TS 27560 fields, the subject's pseudonym shown redacted where the purpose may not see it. */
const ReceiptFields = ({ receipt }: { readonly receipt: RaRecord }) => (
  <ResourceContextProvider value="consentReceipts">
    <RecordContextProvider value={receipt}>
      <SimpleShowLayout sx={{ wordBreak: 'break-all' }}>
        <TextField source="schema" />
        <TextField source="recordId" />
        <TextField source="controller.name" />
        <TextField source="controller.contact" />
        <RedactedField source="subjectPseudonym" />
        <Translated source="purpose.id" translation={purposeLabel} />
        <TextField source="purpose.description" />
        <TextField source="purpose.lawfulBasis" />
        <TextField source="notice.version" emptyText="—" />
        <TextField source="notice.sha256" emptyText="—" />
        <DateTimeField source="notice.publishedAt" emptyText="—" />
        <Translated source="method" translation={methodLabel} />
        <Translated source="status" translation={statusLabel} />
        <DateTimeField source="timestamp" />
        <DateTimeField source="recordedAt" />
        <TextField source="eventHash" />
        <TextField source="prevHash" emptyText="—" />
        <Translated source="verification.method" translation={verificationLabel} />
        <DateTimeField source="verification.verifiedAt" emptyText="—" />
        <TextField source="verification.messageId" emptyText="—" />
      </SimpleShowLayout>
    </RecordContextProvider>
  </ResourceContextProvider>
);

const ReceiptContent = ({ eventId }: { readonly eventId: string }) => {
  const translate = useTranslate();
  const { data, isPending, error } = useGetOne('consentReceipts', { id: eventId });
  if (isPending) return <CircularProgress aria-label={translate('ra.page.loading')} />;
  if (error || !data) {
    const message = (error as Error | null)?.message;
    return (
      <Alert severity="error">
        {message ? translate(message, { _: message }) : translate('custos.consent.receipt.none')}
      </Alert>
    );
  }
  return <ReceiptFields receipt={data} />;
};

/** A ledger row's receipt, fetched when asked for (consentReceipt), in a dialog. */
export const ReceiptButton = () => {
  const record = useRecordContext();
  const translate = useTranslate();
  const id = useId();
  const [open, setOpen] = useState(false);
  if (!record) return null;
  return (
    <>
      <Button
        size="small"
        startIcon={<ReceiptLong aria-hidden />}
        onClick={() => setOpen(true)}
        aria-label={translate('custos.consent.receipt.label', { seq: String(record.seq) })}
      >
        {translate('custos.consent.receipt.action')}
      </Button>
      {open && (
        <Dialog open onClose={() => setOpen(false)} aria-labelledby={`${id}-title`} maxWidth="md" fullWidth>
          <DialogTitle id={`${id}-title`}>{translate('custos.consent.receipt.title')}</DialogTitle>
          {/* A long receipt scrolls: its region takes the keyboard focus, so that it scrolls with the keys. */}
          <DialogContent tabIndex={0} role="region" aria-labelledby={`${id}-title`}>
            <ReceiptContent eventId={String(record.id)} />
          </DialogContent>
          <DialogActions>
            <Button onClick={() => setOpen(false)}>{translate('ra.action.close')}</Button>
          </DialogActions>
        </Dialog>
      )}
    </>
  );
};

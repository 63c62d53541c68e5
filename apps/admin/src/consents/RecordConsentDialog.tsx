import {
  Button,
  Dialog,
  DialogContent,
  DialogContentText,
  DialogTitle,
  Stack,
  Typography,
} from '@mui/material';
import { useId } from 'react';
import {
  Confirm,
  CreateBase,
  SaveButton,
  SelectInput,
  SimpleForm,
  TextInput,
  Toolbar,
  useCanAccess,
  useGetList,
  useNotify,
  useRefresh,
  useTranslate,
} from 'react-admin';
import type { ConsentRecordData } from '../data/consents';
import { useConfirmedSave } from '../forms/useConfirmedSave';
import {
  methodChoices,
  methodLabel,
  purposeLabel,
  purposesAllowing,
  statusChoices,
  statusLabel,
} from './labels';

export interface RecordConsentDialogProps {
  readonly contactId: string;
  readonly open: boolean;
  readonly onClose: () => void;
}

/** The purposes a consent answer may be recorded for: those resting on consent (consentStatusProblem). */
const purposeChoices = purposesAllowing('GRANTED').map((id) => ({ id, name: purposeLabel(id) }));

type FormValues = Partial<Omit<ConsentRecordData, 'contactId'>>;

const REQUIRED = 'ra.validation.required';
const FOR_GRANT = 'custos.consent.record.required_for_grant';

/**
 * Purpose, status and method are required; a grant also needs the notice the person saw and where its evidence
 * is kept (the server's rule, Art 7(1)). The server checks again, and its problems land on the same fields.
 */
function validateRecord(values: FormValues): Record<string, unknown> {
  const grant = values.status === 'GRANTED';
  return {
    ...(values.purpose ? {} : { purpose: REQUIRED }),
    ...(values.status ? {} : { status: REQUIRED }),
    ...(values.method ? {} : { method: REQUIRED }),
    ...(!grant || values.noticeVersion ? {} : { noticeVersion: FOR_GRANT }),
    ...(!grant || values.evidence?.source?.trim() ? {} : { evidence: { source: FOR_GRANT } }),
  };
}

const FormToolbar = ({ onCancel }: { readonly onCancel: () => void }) => {
  const translate = useTranslate();
  return (
    <Toolbar>
      <SaveButton label="custos.consent.record.action" alwaysEnable={false} />
      {/* Inherit: primary blue on the toolbar's grey is 4.35:1, under WCAG AA (axe). */}
      <Button onClick={onCancel} color="inherit" sx={{ ml: 2 }}>
        {translate('ra.action.cancel')}
      </Button>
    </Toolbar>
  );
};

/** What the confirmation says will go into the ledger: the answer, how it came, its notice and its evidence. */
const ConfirmationText = ({ values }: { readonly values: FormValues }) => {
  const translate = useTranslate();
  const none = translate('custos.consent.record.not_given');
  return (
    <Stack spacing={2}>
      <Typography>
        {translate('custos.consent.record.confirm', {
          method: translate(methodLabel(values.method), { _: String(values.method) }),
          notice: values.noticeVersion || none,
          source: values.evidence?.source?.trim() || none,
        })}
      </Typography>
      <Typography>
        <strong>{translate('custos.consent.irreversible')}</strong>
      </Typography>
    </Stack>
  );
};

/**
 * The form, then a confirmation: a ledger event can never be undone. The form validates first; its submission
 * waits on the confirmation, then on the server (pessimistic), whose field problems come back beside their inputs.
 * Cancelling the confirmation sends nothing and leaves the form as it was.
 */
const RecordForm = ({
  onCancel,
  noticeChoices,
  noticesPending,
}: {
  readonly onCancel: () => void;
  readonly noticeChoices: readonly { id: string; name: string }[];
  readonly noticesPending: boolean;
}) => {
  const translate = useTranslate();
  const { values, saving, submit, confirm, cancel } = useConfirmedSave<FormValues>();

  return (
    <>
      <SimpleForm
        toolbar={<FormToolbar onCancel={onCancel} />}
        validate={validateRecord}
        defaultValues={{ status: 'GRANTED', method: 'PHONE' }}
        onSubmit={submit}
      >
        <SelectInput source="purpose" choices={purposeChoices} />
        <SelectInput source="status" choices={statusChoices} />
        <SelectInput source="method" choices={methodChoices} />
        <SelectInput
          source="noticeVersion"
          choices={[...noticeChoices]}
          isPending={noticesPending}
          emptyText="ra.action.clear_input_value"
        />
        <TextInput
          source="evidence.source"
          label="custos.consent.source"
          helperText="custos.consent.source_help"
          slotProps={{ htmlInput: { maxLength: 200 } }}
        />
      </SimpleForm>
      <Confirm
        isOpen={values !== null}
        loading={saving}
        title="custos.consent.record.confirm_title"
        translateOptions={{
          status: translate(statusLabel(values?.status), { _: String(values?.status ?? '') }),
          purpose: translate(purposeLabel(values?.purpose), { _: String(values?.purpose ?? '') }),
        }}
        content={values && <ConfirmationText values={values} />}
        confirm="custos.consent.record.confirm_action"
        onConfirm={confirm}
        onClose={cancel}
      />
    </>
  );
};

/**
 * Records a consent answer given elsewhere (recordConsent): purpose, status, method, the notice version the person
 * saw (from the published notices) and the evidence source, after a confirmation (the ledger keeps every event for
 * good). Pessimistic: the dialog closes, and the tab reloads, only once the server has recorded it; its
 * BAD_USER_INPUT problems show on the fields they name, and every refusal as a notification with the server's
 * message and code.
 */
export const RecordConsentDialog = ({ contactId, open, onClose }: RecordConsentDialogProps) => {
  const translate = useTranslate();
  const notify = useNotify();
  const refresh = useRefresh();
  const id = useId();
  const { canAccess: mayListNotices } = useCanAccess({ action: 'list', resource: 'privacyNotices' });
  const notices = useGetList(
    'privacyNotices',
    { pagination: { page: 1, perPage: 50 }, sort: { field: 'publishedAt', order: 'DESC' } },
    { enabled: open && mayListNotices === true },
  );
  const noticeChoices = (notices.data ?? []).map((notice) => ({
    id: String(notice.id),
    name: String(notice.id),
  }));
  return (
    <Dialog open={open} onClose={onClose} aria-labelledby={`${id}-title`} maxWidth="sm" fullWidth>
      <DialogTitle id={`${id}-title`}>{translate('custos.consent.record.title')}</DialogTitle>
      <DialogContent tabIndex={0} role="region" aria-labelledby={`${id}-title`}>
        <DialogContentText>{translate('custos.consent.record.explanation')}</DialogContentText>
        <CreateBase
          resource="consents"
          redirect={false}
          mutationMode="pessimistic"
          transform={(data: FormValues) => ({ ...data, contactId })}
          mutationOptions={{
            onSuccess: () => {
              notify('custos.consent.record.done', { type: 'success' });
              onClose();
              refresh();
            },
          }}
        >
          <RecordForm
            onCancel={onClose}
            noticeChoices={noticeChoices}
            noticesPending={notices.isPending && mayListNotices === true}
          />
        </CreateBase>
      </DialogContent>
    </Dialog>
  );
};

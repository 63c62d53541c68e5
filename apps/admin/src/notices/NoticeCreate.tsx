import { Alert } from '@mui/material';
import {
  Confirm,
  Create,
  maxLength,
  type RaRecord,
  regex,
  required,
  SaveButton,
  SimpleForm,
  TextInput,
  Toolbar,
  useNotify,
  useRedirect,
  useTranslate,
} from 'react-admin';
import { useConfirmedSave } from '../forms/useConfirmedSave';

const versionRules = [required(), regex(/^[A-Za-z0-9._-]{1,32}$/, 'custos.notices.version_rule')];
const textRules = [required(), maxLength(20000)];

type Values = Record<string, unknown>;

const PublishToolbar = () => (
  <Toolbar>
    <SaveButton label="custos.notices.publish" alwaysEnable />
  </Toolbar>
);

/**
 * Publishes only after a confirmation (a published version can never be edited). The form validates first; its
 * submission waits on the confirmation, then on the server (pessimistic), whose field problems come back beside
 * their inputs and whose other refusals (CONFLICT: the version exists) are notified with message and code.
 */
const PublishForm = () => {
  const translate = useTranslate();
  const { values, saving, submit, confirm, cancel } = useConfirmedSave<Values>();

  return (
    <>
      <SimpleForm toolbar={<PublishToolbar />} onSubmit={submit}>
        <Alert severity="info" sx={{ mb: 2 }}>
          {translate('custos.notices.never_edited')}
        </Alert>
        <TextInput
          source="version"
          validate={versionRules}
          helperText="custos.notices.version_help"
          slotProps={{ htmlInput: { maxLength: 32 } }}
        />
        <TextInput source="text" validate={textRules} multiline minRows={8} fullWidth />
      </SimpleForm>
      <Confirm
        isOpen={values !== null}
        loading={saving}
        title="custos.notices.confirm_title"
        content="custos.notices.confirm"
        translateOptions={{ version: String(values?.version ?? '') }}
        confirm="custos.notices.publish"
        onConfirm={confirm}
        onClose={cancel}
      />
    </>
  );
};

/** Once the server has answered: says which version is published, and shows it. */
export const NoticeCreate = () => {
  const notify = useNotify();
  const redirect = useRedirect();
  const onSuccess = (notice: RaRecord) => {
    notify('custos.notices.published', { type: 'success', messageArgs: { version: String(notice.id) } });
    redirect('show', 'privacyNotices', notice.id);
  };
  return (
    <Create mutationMode="pessimistic" mutationOptions={{ onSuccess }}>
      <PublishForm />
    </Create>
  );
};

import { Alert, Stack } from '@mui/material';
import type { ReactNode } from 'react';
import {
  DateInput,
  Edit,
  SaveButton,
  SimpleForm,
  TextInput,
  Toolbar,
  useCanAccessResources,
  useRecordContext,
  useTranslate,
} from 'react-admin';
import { CONTACT_WRITABLE, type WritableContactField } from '../data/contacts';
import { REDACTIONS_KEY, type Redactions } from '../data/graphql';

const INPUTS: Readonly<Record<WritableContactField, ReactNode>> = {
  fullName: <TextInput source="fullName" />,
  email: <TextInput source="email" type="email" />,
  phone: <TextInput source="phone" helperText="custos.contacts.phone_help" />,
  birthDate: <DateInput source="birthDate" />,
  address: (
    <>
      <TextInput source="address.street" />
      <TextInput source="address.city" />
      <TextInput source="address.postalCode" />
      <TextInput source="address.country" slotProps={{ htmlInput: { maxLength: 2 } }} />
    </>
  ),
  ipAddress: <TextInput source="ipAddress" />,
  healthNotes: <TextInput source="healthNotes" multiline minRows={2} />,
};

/**
 * The inputs of the fields the declared purpose may write (the policy, through canAccess) that did not come back
 * redacted: a redacted field is not in the form at all, so its null can never be saved over the real value.
 */
const ContactInputs = () => {
  const record = useRecordContext();
  const translate = useTranslate();
  const { canAccess, isPending } = useCanAccessResources({
    action: 'write',
    resources: CONTACT_WRITABLE.map((field) => `contacts.${field}`),
  });
  if (!record || isPending || !canAccess) return null;
  const redacted = (record[REDACTIONS_KEY] ?? {}) as Redactions;
  const writable = CONTACT_WRITABLE.filter((field) => canAccess[`contacts.${field}`]);
  const shown = writable.filter((field) => !Object.hasOwn(redacted, field));
  if (shown.length === 0) {
    // Nothing to offer: either the purpose writes no field at all, or every one it writes is redacted here.
    const why = writable.length > 0 ? 'custos.contacts.all_redacted' : 'custos.contacts.nothing_writable';
    return <Alert severity="info">{translate(why)}</Alert>;
  }
  return (
    <>
      {shown.length < writable.length && (
        <Alert severity="info" sx={{ mb: 2 }}>
          {translate('custos.contacts.redacted_not_editable')}
        </Alert>
      )}
      <Stack sx={{ width: '100%', maxWidth: 640 }}>
        {shown.map((field) => (
          <Stack key={field}>{INPUTS[field]}</Stack>
        ))}
      </Stack>
    </>
  );
};

// Saving only: contacts are not deleted from the console.
const EditToolbar = () => (
  <Toolbar>
    <SaveButton />
  </Toolbar>
);

/** Pessimistic: the server answers before the screen changes, and its refusals show at once. */
export const ContactEdit = () => (
  <Edit mutationMode="pessimistic">
    <SimpleForm toolbar={<EditToolbar />}>
      <ContactInputs />
    </SimpleForm>
  </Edit>
);

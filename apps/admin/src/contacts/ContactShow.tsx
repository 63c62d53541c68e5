import {
  BooleanField,
  EditButton,
  FunctionField,
  type RaRecord,
  Show,
  SimpleShowLayout,
  TextField,
  TopToolbar,
} from 'react-admin';
import { DateTimeField } from '../fields/DateTimeField';
import { RedactedField } from '../fields/RedactedField';

interface Address {
  readonly street?: string | null;
  readonly city?: string | null;
  readonly postalCode?: string | null;
  readonly country?: string | null;
}

const formatAddress = (record: RaRecord) => {
  const address = record.address as Address | null | undefined;
  if (!address) return '';
  const town = [address.postalCode, address.city].filter(Boolean).join(' ');
  return [address.street, town, address.country].filter(Boolean).join(', ');
};

/**
 * The personal fields, each of which may come back redacted. The date of birth is a calendar date: no time zone
 * applies, it is shown as the API gives it.
 */
const PERSONAL_FIELDS = [
  'fullName',
  'email',
  'emailMasked',
  'phone',
  'phoneLast4',
  'birthDate',
  'birthYear',
  'address',
  'country',
  'ipAddress',
  'healthNotes',
] as const;

// EditButton asks canAccess itself: it shows only where the purpose may update contacts.
const ShowActions = () => (
  <TopToolbar>
    <EditButton />
  </TopToolbar>
);

/** One contact, every field the API has: what the purpose may not see is shown redacted, with the reason. */
export const ContactShow = () => (
  <Show actions={<ShowActions />}>
    <SimpleShowLayout>
      <TextField source="id" />
      {PERSONAL_FIELDS.map((source) =>
        source === 'address' ? (
          <RedactedField key={source} source={source}>
            <FunctionField source={source} render={formatAddress} />
          </RedactedField>
        ) : (
          <RedactedField key={source} source={source} />
        ),
      )}
      <BooleanField source="restricted" />
      <DateTimeField source="createdAt" />
      <DateTimeField source="updatedAt" />
    </SimpleShowLayout>
  </Show>
);

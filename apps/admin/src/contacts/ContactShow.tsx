import {
  BooleanField,
  EditButton,
  FunctionField,
  type RaRecord,
  Show,
  TabbedShowLayout,
  TextField,
  TopToolbar,
  useCanAccessResources,
} from 'react-admin';
import { ConsentTab } from '../consents/ConsentTab';
import { DateTimeField } from '../fields/DateTimeField';
import { RedactedField } from '../fields/RedactedField';
import { InteractionsTab } from '../interactions/InteractionsTab';
import { TicketsTab } from '../tickets/TicketsTab';

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
 * The personal fields: each shown where the declared purpose may read it (canAccess `read`, from the policy), and
 * each may come back redacted on a given contact. The date of birth is a calendar date: no time zone applies, it
 * is shown as the API gives it.
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

/**
 * One contact in tabs. Details: every field of the API the purpose may read, what it may not see of this contact
 * shown redacted, with the reason. Consent: its current consents and ledger, only where the purpose may read both (canAccess).
 * Interactions and Tickets: its relations, where the purpose may read them through the contact (canAccess); the
 * server answers each relation, or says why it is redacted.
 */
export const ContactShow = () => {
  const consent = useCanAccessResources({ action: 'list', resources: ['consentStates', 'consents'] });
  const mayReadConsents = consent.canAccess?.consentStates === true && consent.canAccess.consents === true;
  const relations = useCanAccessResources({ action: 'list', resources: ['interactions', 'tickets'] });
  const fields = useCanAccessResources({
    action: 'read',
    resources: PERSONAL_FIELDS.map((field) => `contacts.${field}`),
  });
  const readable = PERSONAL_FIELDS.filter((field) => fields.canAccess?.[`contacts.${field}`] === true);
  return (
    <Show actions={<ShowActions />}>
      <TabbedShowLayout>
        <TabbedShowLayout.Tab label="custos.consent.details_tab">
          <TextField source="id" />
          {readable.map((source) =>
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
        </TabbedShowLayout.Tab>
        {mayReadConsents && (
          <TabbedShowLayout.Tab label="custos.consent.tab" path="consent">
            <ConsentTab />
          </TabbedShowLayout.Tab>
        )}
        {relations.canAccess?.interactions === true && (
          <TabbedShowLayout.Tab label="custos.interactions.tab" path="interactions">
            <InteractionsTab />
          </TabbedShowLayout.Tab>
        )}
        {relations.canAccess?.tickets === true && (
          <TabbedShowLayout.Tab label="custos.tickets.tab" path="tickets">
            <TicketsTab />
          </TabbedShowLayout.Tab>
        )}
      </TabbedShowLayout>
    </Show>
  );
};

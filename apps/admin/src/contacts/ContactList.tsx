import {
  BooleanField,
  CanAccess,
  DataTable,
  ExportButton,
  FilterButton,
  List,
  Pagination,
  SearchInput,
  ShowButton,
  TextInput,
  TopToolbar,
  useRecordContext,
  useTranslate,
} from 'react-admin';
import { MAX_PAGE } from '../data/cursors';
import { DateTimeField } from '../fields/DateTimeField';
import { RedactedField } from '../fields/RedactedField';

// The API's filters: `search` (part of the name or email) and the address's country.
const filters = [
  <SearchInput key="search" source="search" alwaysOn />,
  <TextInput key="country" source="country" slotProps={{ htmlInput: { maxLength: 2 } }} />,
];

// The personal columns: each may come back redacted.
const PERSONAL_COLUMNS = ['fullName', 'email', 'country'] as const;

// Export has no access check of its own: it runs only where the policy lets the purpose export.
const ListActions = () => (
  <TopToolbar>
    <FilterButton />
    <CanAccess action="export" resource="contacts">
      <ExportButton maxResults={MAX_PAGE} />
    </CanAccess>
  </TopToolbar>
);

/**
 * The row's link: "Show" on screen, and a name of its own for assistive technology ("Show contact 3f2a9c1e"), so
 * that a list of links is not twenty-five "Show"s (WCAG 2.4.4). The id, not a name: a name may be redacted.
 */
const ShowLink = () => {
  const record = useRecordContext();
  const translate = useTranslate();
  const id = String(record?.id ?? '').slice(0, 8);
  return <ShowButton aria-label={translate('custos.contacts.show_one', { id })} />;
};

/**
 * Contacts, newest first (the API's one order: columns do not sort). Each row opens through an explicit link,
 * not a clickable row, so that assistive technology finds it.
 */
export const ContactList = () => (
  <List
    filters={filters}
    actions={<ListActions />}
    perPage={25}
    pagination={<Pagination rowsPerPageOptions={[10, 25, 50, 100]} />}
  >
    <DataTable rowClick={false} bulkActionButtons={false}>
      {PERSONAL_COLUMNS.map((source) => (
        <DataTable.Col key={source} source={source} disableSort>
          <RedactedField source={source} />
        </DataTable.Col>
      ))}
      <DataTable.Col source="restricted" disableSort>
        <BooleanField source="restricted" />
      </DataTable.Col>
      <DataTable.Col source="createdAt" disableSort>
        <DateTimeField source="createdAt" />
      </DataTable.Col>
      <DataTable.Col label="ra.action.show" disableSort>
        <ShowLink />
      </DataTable.Col>
    </DataTable>
  </List>
);

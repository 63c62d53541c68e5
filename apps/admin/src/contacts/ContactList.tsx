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
        <ShowButton />
      </DataTable.Col>
    </DataTable>
  </List>
);

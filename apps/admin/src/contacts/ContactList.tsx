import type { ReactElement } from 'react';
import {
  AutocompleteInput,
  BooleanField,
  CanAccess,
  DataTable,
  DateTimeInput,
  ExportButton,
  FilterButton,
  List,
  Loading,
  Pagination,
  ReferenceInput,
  SearchInput,
  ShowButton,
  TextInput,
  TopToolbar,
  useCanAccessResources,
  useRecordContext,
  useTranslate,
} from 'react-admin';
import type { CONTACT_FILTERS } from '../data/contacts';
import { MAX_PAGE } from '../data/cursors';
import { DateTimeField } from '../fields/DateTimeField';
import { RedactedField } from '../fields/RedactedField';
import { ListEmpty } from '../layout/ListEmpty';

type ContactFilterName = (typeof CONTACT_FILTERS)[number];

/**
 * The API's filters (ContactFilter), each with the contact fields it matches on: it is offered only where the
 * declared purpose may read one of them (canAccess `read`, from the policy) — the server refuses a filter on data
 * the purpose may not read. The company is found by name and sent by its id; the creation range in the user's
 * time zone, sent as UTC instants (data/contacts.ts).
 */
const FILTERS: readonly {
  readonly name: ContactFilterName;
  readonly fields: readonly string[];
  readonly input: ReactElement;
}[] = [
  {
    name: 'search',
    fields: ['fullName', 'email'],
    input: <SearchInput key="search" source="search" alwaysOn />,
  },
  {
    name: 'country',
    fields: ['country'],
    input: <TextInput key="country" source="country" slotProps={{ htmlInput: { maxLength: 2 } }} />,
  },
  {
    name: 'companyId',
    fields: ['company'],
    input: (
      <ReferenceInput key="companyId" source="companyId" reference="companies">
        <AutocompleteInput
          label="resources.contacts.fields.companyId"
          optionText="name"
          filterToQuery={(search: string) => ({ search })}
        />
      </ReferenceInput>
    ),
  },
  {
    name: 'createdAfter',
    fields: ['createdAt'],
    input: <DateTimeInput key="createdAfter" source="createdAfter" />,
  },
  {
    name: 'createdBefore',
    fields: ['createdAt'],
    input: <DateTimeInput key="createdBefore" source="createdBefore" />,
  },
];

// The personal columns: each shown where the purpose may read the field, and each may come back redacted.
const PERSONAL_COLUMNS = ['fullName', 'email', 'country'] as const;

/** Every field whose reading decides a column or a filter. */
const READ_CHECKS = [
  ...new Set(
    [...PERSONAL_COLUMNS, ...FILTERS.flatMap((filter) => filter.fields)].map((f) => `contacts.${f}`),
  ),
];

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
 * not a clickable row, so that assistive technology finds it. Without rows, it says so — or, when the server
 * refused the list, says why (never "none", which would be a wrong answer).
 */
export const ContactList = () => {
  const { canAccess, isPending } = useCanAccessResources({ action: 'read', resources: READ_CHECKS });
  if (isPending || !canAccess) return <Loading />;
  const readable = (field: string) => canAccess[`contacts.${field}`] === true;
  const filters = FILTERS.filter((filter) => filter.fields.some(readable)).map((filter) => filter.input);
  return (
    <List
      filters={filters}
      actions={<ListActions />}
      perPage={25}
      pagination={<Pagination rowsPerPageOptions={[10, 25, 50, 100]} />}
      empty={false}
    >
      <DataTable rowClick={false} bulkActionButtons={false} empty={<ListEmpty text="custos.contacts.none" />}>
        {PERSONAL_COLUMNS.filter(readable).map((source) => (
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
};

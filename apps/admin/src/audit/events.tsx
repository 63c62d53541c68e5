import { PURPOSES } from '@custos/policy';
import ManageSearch from '@mui/icons-material/ManageSearch';
import { Typography } from '@mui/material';
import {
  ArrayField,
  DataTable,
  DateTimeInput,
  FilterButton,
  List,
  Pagination,
  SelectInput,
  Show,
  ShowButton,
  SimpleShowLayout,
  TextArrayField,
  TextField,
  TextInput,
  TopToolbar,
  useRecordContext,
  useTranslate,
} from 'react-admin';
import { purposeLabel } from '../consents/labels';
import { DateTimeField } from '../fields/DateTimeField';
import { ListEmpty } from '../layout/ListEmpty';

// The purposes the policy knows (the API refuses any other), by their translated names.
const purposeChoices = PURPOSES.map((id) => ({ id, name: purposeLabel(id) }));

// The API's filters: contact, actor, purpose and the time range.
const filters = [
  <TextInput key="actor" source="actor" alwaysOn />,
  <TextInput key="contactId" source="contactId" />,
  <SelectInput key="purpose" source="purpose" choices={purposeChoices} />,
  <DateTimeInput key="from" source="from" />,
  <DateTimeInput key="to" source="to" />,
];

/** The row's link, named by the event's id ("Show event 3f2a9c1e"). */
const ShowEventLink = () => {
  const record = useRecordContext();
  const translate = useTranslate();
  return (
    <ShowButton
      aria-label={translate('custos.audit.show_event', { id: String(record?.id ?? '').slice(0, 8) })}
    />
  );
};

// No export: the trail names who saw whom, and export has no access check of its own.
const ListActions = () => (
  <TopToolbar>
    <FilterButton />
  </TopToolbar>
);

/** The audit trail, newest first (the API's one order), with its filters. */
export const AuditEventList = () => (
  <List
    filters={filters}
    actions={<ListActions />}
    perPage={25}
    pagination={<Pagination rowsPerPageOptions={[10, 25, 50, 100]} />}
  >
    <DataTable rowClick={false} bulkActionButtons={false} empty={<ListEmpty text="custos.audit.no_events" />}>
      <DataTable.Col source="occurredAt" disableSort>
        <DateTimeField source="occurredAt" />
      </DataTable.Col>
      <DataTable.Col source="actor" disableSort />
      <DataTable.Col source="purpose" disableSort />
      <DataTable.Col source="service" disableSort />
      <DataTable.Col source="operationName" disableSort />
      <DataTable.Col source="outcome" disableSort />
      <DataTable.Col source="subjectCount" disableSort />
      <DataTable.Col label="ra.action.show" disableSort>
        <ShowEventLink />
      </DataTable.Col>
    </DataTable>
  </List>
);

const NoAccesses = () => {
  const translate = useTranslate();
  return <Typography variant="body2">{translate('custos.audit.no_accesses')}</Typography>;
};

/** One event: who, for what, and what it revealed of whom (its accesses). */
export const AuditEventShow = () => (
  <Show>
    <SimpleShowLayout>
      <TextField source="id" />
      <DateTimeField source="occurredAt" />
      <TextField source="actor" />
      <TextArrayField source="actorRoles" />
      <TextField source="purpose" emptyText="—" />
      <TextField source="service" />
      <TextField source="operationType" />
      <TextField source="operationName" emptyText="—" />
      <TextArrayField source="rootFields" />
      <TextField source="outcome" />
      <TextField source="refusalReason" emptyText="—" />
      <TextField source="policyVersion" />
      <TextField source="requestId" />
      <ArrayField source="accesses" label="custos.audit.accesses">
        <DataTable bulkActionButtons={false} rowClick={false} empty={<NoAccesses />}>
          <DataTable.Col source="channel" label="resources.auditEvents.fields.channel" />
          <DataTable.Col source="subjectCount" label="resources.auditEvents.fields.subjectCount" />
          <DataTable.Col source="revealedFields" label="resources.auditEvents.fields.revealedFields">
            <TextArrayField source="revealedFields" />
          </DataTable.Col>
          <DataTable.Col source="redactedFields" label="resources.auditEvents.fields.redactedFields">
            <TextArrayField source="redactedFields" />
          </DataTable.Col>
          <DataTable.Col source="contactIds" label="resources.auditEvents.fields.contactIds">
            <TextArrayField source="contactIds" />
          </DataTable.Col>
        </DataTable>
      </ArrayField>
    </SimpleShowLayout>
  </Show>
);

export const auditEvents = {
  name: 'auditEvents',
  icon: ManageSearch,
  list: AuditEventList,
  show: AuditEventShow,
  recordRepresentation: 'id',
};

import Rule from '@mui/icons-material/Rule';
import {
  BooleanField,
  BooleanInput,
  DataTable,
  Edit,
  EditButton,
  List,
  required,
  SaveButton,
  SelectInput,
  SimpleForm,
  TextField,
  TextInput,
  Toolbar,
  useRecordContext,
  useTranslate,
} from 'react-admin';
import { DateTimeField } from '../fields/DateTimeField';
import { ListEmpty } from '../layout/ListEmpty';

const kindChoices = ['DISTINCT_CONTACTS', 'OFF_HOURS', 'FORBIDDEN_REPEATED'].map((kind) => ({
  id: kind,
  name: kind,
}));

const EditRuleLink = () => {
  const record = useRecordContext();
  const translate = useTranslate();
  return <EditButton aria-label={translate('custos.audit.edit_rule', { id: String(record?.id ?? '') })} />;
};

/** The monitoring rules over the audit trail. */
export const RuleList = () => (
  <List pagination={false} perPage={500} actions={false}>
    <DataTable rowClick={false} bulkActionButtons={false} empty={<ListEmpty text="custos.audit.no_rules" />}>
      <DataTable.Col source="id" disableSort />
      <DataTable.Col source="kind" disableSort />
      <DataTable.Col source="description" disableSort />
      <DataTable.Col source="params" disableSort>
        <TextField source="params" sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }} />
      </DataTable.Col>
      <DataTable.Col source="enabled" disableSort>
        <BooleanField source="enabled" />
      </DataTable.Col>
      <DataTable.Col source="updatedAt" disableSort>
        <DateTimeField source="updatedAt" />
      </DataTable.Col>
      <DataTable.Col source="updatedBy" disableSort />
      <DataTable.Col label="ra.action.edit" disableSort>
        <EditRuleLink />
      </DataTable.Col>
    </DataTable>
  </List>
);

/** The params must be a JSON object before they go to the server (which checks the rest of their shape). */
const jsonObject = (value: unknown) => {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? undefined
      : 'custos.audit.params_object';
  } catch {
    return 'custos.audit.params_object';
  }
};

const RuleToolbar = () => (
  <Toolbar>
    <SaveButton />
  </Toolbar>
);

/**
 * One rule, saved through setAuditRule, pessimistic: the page changes once the server has accepted it; its
 * BAD_USER_INPUT problems show on their fields.
 */
export const RuleEdit = () => (
  <Edit mutationMode="pessimistic" redirect="list">
    <SimpleForm toolbar={<RuleToolbar />}>
      <TextInput source="id" disabled />
      <SelectInput source="kind" choices={kindChoices} validate={required()} />
      <TextInput source="description" validate={required()} multiline fullWidth />
      <TextInput
        source="params"
        validate={[required(), jsonObject]}
        multiline
        fullWidth
        helperText="custos.audit.params_help"
        sx={{ '& textarea': { fontFamily: 'monospace' } }}
      />
      <BooleanInput source="enabled" />
    </SimpleForm>
  </Edit>
);

export const auditRules = {
  name: 'auditRules',
  icon: Rule,
  list: RuleList,
  edit: RuleEdit,
  recordRepresentation: 'id',
};

import { DataTable, required, SelectInput, useListContext, useTranslate } from 'react-admin';
import { DUPLICATE_STATUSES } from '../data/duplicates';
import { DateTimeField } from '../fields/DateTimeField';
import { ListEmpty } from '../layout/ListEmpty';
import { QueueList } from '../layout/QueueList';
import { PairContact } from './PairContact';
import { ResolveButtons } from './ResolveButtons';

const statusChoices = DUPLICATE_STATUSES.map((id) => ({ id, name: `custos.duplicates.statuses.${id}` }));

const filters = [
  <SelectInput
    key="status"
    source="status"
    choices={statusChoices}
    alwaysOn
    // One of the three states, always (no empty choice): the open pairs unless another is chosen.
    validate={required()}
  />,
];

/**
 * The pairs in the state the filter shows: an open pair has no resolution yet (no column for it), a resolved one
 * no action left (no Resolve column); "all" shows every column.
 */
const DuplicateTable = () => {
  const translate = useTranslate();
  const { filterValues } = useListContext();
  const status = filterValues.status ?? 'OPEN';
  return (
    <DataTable
      rowClick={false}
      bulkActionButtons={false}
      empty={<ListEmpty text="custos.duplicates.none" failed="custos.duplicates.load_failed" />}
    >
      <DataTable.Col source="detectedAt" disableSort field={DateTimeField} />
      <DataTable.Col source="contact" disableSort field={PairContact} />
      <DataTable.Col source="existingContact" disableSort field={PairContact} />
      <DataTable.Col
        source="detectedForPurpose"
        disableSort
        render={(pair) =>
          translate(`custos.purposes.${pair.detectedForPurpose}`, { _: pair.detectedForPurpose })
        }
      />
      {status !== 'OPEN' && (
        <DataTable.Col
          source="resolution"
          disableSort
          render={(pair) =>
            pair.resolution ? translate(`custos.duplicates.resolutions.${pair.resolution}.name`) : '—'
          }
        />
      )}
      {status !== 'OPEN' && (
        <DataTable.Col source="resolvedAt" disableSort>
          <DateTimeField source="resolvedAt" emptyText="—" />
        </DataTable.Col>
      )}
      {status !== 'RESOLVED' && (
        <DataTable.Col label="custos.duplicates.resolve" disableSort field={ResolveButtons} />
      )}
    </DataTable>
  );
};

/**
 * The duplicate-email review queue, oldest first (the API's one order: columns do not sort), open pairs unless the
 * filter says otherwise. Each contact of a pair is an explicit link; each open pair has its two resolutions.
 */
export const DuplicateList = () => (
  <QueueList filters={filters}>
    <DuplicateTable />
  </QueueList>
);

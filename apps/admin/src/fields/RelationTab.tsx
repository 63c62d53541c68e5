import { DataTable, Pagination, ReferenceManyField } from 'react-admin';
import { DateTimeField } from './DateTimeField';
import { ListStates } from './ListStates';
import { RedactedField } from './RedactedField';
import { TranslatedField } from './TranslatedField';

/** One column of a relation's table: a text, an instant, or an enum value shown by its translated name. */
export type RelationColumn =
  | { readonly source: string; readonly kind?: 'text' }
  | { readonly source: string; readonly kind: 'date'; readonly emptyText?: string }
  | { readonly source: string; readonly kind: 'choice'; readonly texts: string };

export interface RelationTabProps {
  /** The resource answering the relation by `contactId` (data/relations.ts). */
  readonly reference: string;
  /** Where the tab's texts are: `<texts>.empty`, `<texts>.load_failed`, `<texts>.redacted`. */
  readonly texts: string;
  readonly columns: readonly RelationColumn[];
}

/** How a cell shows its value when there is one (RedactedField's TextField for a text). */
function shownValue(column: RelationColumn) {
  switch (column.kind) {
    case 'date':
      return (
        <DateTimeField
          source={column.source}
          {...(column.emptyText ? { emptyText: column.emptyText } : {})}
        />
      );
    case 'choice':
      return <TranslatedField source={column.source} prefix={column.texts} />;
    default:
      return undefined;
  }
}

/**
 * A relation of the contact on screen, in a table of cursor pages, with its loading, error, empty and redacted
 * states: a relation the purpose may not follow says so with the reason, never that there is nothing. Every cell
 * may come back redacted too, and shows its reason.
 */
export const RelationTab = ({ reference, texts, columns }: RelationTabProps) => (
  <ReferenceManyField
    reference={reference}
    target="contactId"
    perPage={10}
    pagination={<Pagination rowsPerPageOptions={[10, 25, 50]} />}
  >
    <ListStates empty={`${texts}.empty`} failed={`${texts}.load_failed`} redacted={`${texts}.redacted`}>
      <DataTable rowClick={false} bulkActionButtons={false}>
        {columns.map((column) => (
          <DataTable.Col key={column.source} source={column.source} disableSort>
            <RedactedField source={column.source}>{shownValue(column)}</RedactedField>
          </DataTable.Col>
        ))}
      </DataTable>
    </ListStates>
  </ReferenceManyField>
);

import {
  CanAccess,
  CreateButton,
  DataTable,
  List,
  Pagination,
  ShowButton,
  TopToolbar,
  useRecordContext,
  useTranslate,
} from 'react-admin';
import { DateTimeField } from '../fields/DateTimeField';
import { ListEmpty } from '../layout/ListEmpty';

const ListActions = () => (
  <TopToolbar>
    <CanAccess action="create" resource="privacyNotices">
      <CreateButton label="custos.notices.publish" />
    </CanAccess>
  </TopToolbar>
);

/** The row's link, named by its version for assistive technology ("Show notice 2026-07"). */
const ShowLink = () => {
  const record = useRecordContext();
  const translate = useTranslate();
  return (
    <ShowButton aria-label={translate('custos.notices.show_one', { version: String(record?.id ?? '') })} />
  );
};

/**
 * Published privacy notice versions, newest first (the API's one order), each opened through an explicit link.
 * Without rows it says none is published — or, when the server refused the list, why (never "none").
 */
export const NoticeList = () => (
  <List
    actions={<ListActions />}
    perPage={25}
    pagination={<Pagination rowsPerPageOptions={[10, 25, 50]} />}
    empty={false}
  >
    <DataTable rowClick={false} bulkActionButtons={false} empty={<ListEmpty text="custos.notices.none" />}>
      <DataTable.Col source="version" disableSort />
      <DataTable.Col source="publishedAt" disableSort>
        <DateTimeField source="publishedAt" />
      </DataTable.Col>
      <DataTable.Col
        source="textSha256"
        disableSort
        sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }}
      />
      <DataTable.Col label="custos.notices.open" disableSort>
        <ShowLink />
      </DataTable.Col>
    </DataTable>
  </List>
);

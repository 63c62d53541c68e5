import type { ReactElement, ReactNode } from 'react';
import { List, Pagination } from 'react-admin';

/**
 * A work queue listed by state, its `status` filter always shown: the open items unless another state is chosen,
 * 25 a page. (Audit alerts, duplicate reviews.)
 */
export const QueueList = ({
  filters,
  children,
}: {
  readonly filters: ReactElement[];
  readonly children: ReactNode;
}) => (
  <List
    filters={filters}
    actions={false}
    filterDefaultValues={{ status: 'OPEN' }}
    perPage={25}
    pagination={<Pagination rowsPerPageOptions={[10, 25, 50, 100]} />}
  >
    {children}
  </List>
);

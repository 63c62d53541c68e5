import { Box, Skeleton, Table, TableBody, TableCell, TableHead, TableRow } from '@mui/material';
import { lazy, Suspense } from 'react';

// The charts (@mui/x-charts and its d3 modules, ~90 kB gzip) load with the first chart shown, in a chunk of their
// own (vite.config.ts): no other page, and no dashboard without an aggregate to chart, waits for them.
const BarChart = lazy(() =>
  import('@mui/x-charts/BarChart').then((module) => ({ default: module.BarChart })),
);

const CHART_HEIGHT = 280;

export interface ChartColumn {
  readonly key: string;
  readonly label: string;
  /** The chart's value of each row (null: no bar — a withheld count is not 0); absent: a table-only column. */
  readonly values?: readonly (number | null)[];
  /** The table's text of each row. */
  readonly texts: readonly string[];
  /** Words rather than numbers: aligned to the start, not the end. */
  readonly words?: boolean;
}

/** A y axis of whole counts that starts at 0 and still has a scale when every count is 0 or withheld. */
function countAxis(columns: readonly ChartColumn[]) {
  const highest = Math.max(0, ...columns.flatMap((column) => column.values ?? []).map((value) => value ?? 0));
  return [{ min: 0, tickMinStep: 1, ...(highest === 0 ? { max: 1 } : {}) }];
}

/**
 * A bar chart over counts and the table it pictures, under it: the table is the chart's text alternative (the
 * chart is hidden from assistive technology, so its keyboard navigation is off: nothing hidden may take focus),
 * and it is where a withheld count says so.
 */
export const ChartTable = ({
  caption,
  rowHeader,
  rows,
  columns,
  stacked = false,
}: {
  caption: string;
  rowHeader: string;
  /** Each row's header: the chart's band labels. */
  rows: readonly string[];
  columns: readonly ChartColumn[];
  stacked?: boolean;
}) => (
  <>
    <Box aria-hidden="true" data-custos-chart sx={{ width: '100%' }}>
      <Suspense fallback={<Skeleton variant="rectangular" height={CHART_HEIGHT} />}>
        <BarChart
          disableKeyboardNavigation
          height={CHART_HEIGHT}
          xAxis={[{ scaleType: 'band', data: [...rows] }]}
          yAxis={countAxis(columns)}
          series={columns
            .filter((column) => column.values !== undefined)
            .map((column) => ({
              label: column.label,
              data: [...(column.values ?? [])],
              ...(stacked ? { stack: 'total' } : {}),
            }))}
        />
      </Suspense>
    </Box>
    <Table size="small" aria-label={caption}>
      <caption>{caption}</caption>
      <TableHead>
        <TableRow>
          <TableCell component="th" scope="col">
            {rowHeader}
          </TableCell>
          {columns.map((column) => (
            <TableCell key={column.key} component="th" scope="col" align={column.words ? 'left' : 'right'}>
              {column.label}
            </TableCell>
          ))}
        </TableRow>
      </TableHead>
      <TableBody>
        {rows.map((row, index) => (
          <TableRow key={row}>
            <TableCell component="th" scope="row">
              {row}
            </TableCell>
            {columns.map((column) => (
              <TableCell key={column.key} align={column.words ? 'left' : 'right'}>
                {column.texts[index]}
              </TableCell>
            ))}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  </>
);

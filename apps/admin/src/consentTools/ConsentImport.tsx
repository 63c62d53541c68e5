import {
  Alert,
  Button,
  Card,
  CardContent,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Typography,
} from '@mui/material';
import { type ChangeEvent, useId, useState } from 'react';
import { Confirm, type HttpError, useDataProvider, useNotify, useTranslate } from 'react-admin';
import type { ConsentToolActions } from '../data/consentTools';

export interface ImportProblem {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/** `line 3.purpose` → line 3, column purpose; `line 3` → the whole row; `csv` → the file itself. */
export function problemPlace(field: string): { line: string; column: string } {
  const match = /^line (\d+)(?:\.(.+))?$/.exec(field);
  if (!match) return { line: '', column: field };
  return { line: match[1] ?? '', column: match[2] ?? '' };
}

type Outcome =
  | { readonly kind: 'imported'; readonly count: number }
  | { readonly kind: 'problems'; readonly problems: readonly ImportProblem[]; readonly message: string }
  | { readonly kind: 'error'; readonly message: string };

/** The rows after the header, for the confirmation (the server counts them again). */
const rowCount = (csv: string) =>
  Math.max(0, csv.split(/\r?\n/).filter((line) => line.trim() !== '').length - 1);

/**
 * Imports consent events from CSV, pasted or read from a file. Pessimistic and confirmed: all rows or none are
 * recorded, and what is recorded stays in the ledger. A refusal shows the server's row-by-row report.
 */
export const ConsentImport = () => {
  const translate = useTranslate();
  const notify = useNotify();
  const dataProvider = useDataProvider<ReturnType<typeof useDataProvider> & ConsentToolActions>();
  const id = useId();
  const [csv, setCsv] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const pick = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    setCsv(await file.text());
    setOutcome(null);
    event.target.value = '';
  };

  const submit = async () => {
    setPending(true);
    try {
      const { data } = await dataProvider.importConsents({ csv });
      setOutcome({ kind: 'imported', count: data.imported });
      notify('custos.consent_tools.import.done', {
        type: 'success',
        messageArgs: { smart_count: data.imported },
      });
      setCsv('');
    } catch (caught) {
      const error = caught as HttpError;
      const body = (error.body ?? {}) as { problems?: readonly ImportProblem[] };
      const message = translate(error.message ?? String(caught), { _: error.message ?? String(caught) });
      const problems = body.problems ?? [];
      setOutcome(problems.length > 0 ? { kind: 'problems', problems, message } : { kind: 'error', message });
      notify(message, { type: 'error', messageArgs: { _: message } });
    } finally {
      setPending(false);
      setConfirming(false);
    }
  };

  return (
    <Card component="section" aria-labelledby={`${id}-title`}>
      <CardContent>
        <Stack spacing={2}>
          <Typography variant="h6" component="h2" id={`${id}-title`}>
            {translate('custos.consent_tools.import.title')}
          </Typography>
          <Typography variant="body2">{translate('custos.consent_tools.import.explanation')}</Typography>
          <Typography variant="body2" component="code">
            contact_id,purpose,status[,method][,notice_version][,captured_at][,source]
          </Typography>
          <div>
            <Button variant="outlined" component="label" disabled={pending}>
              {translate('custos.consent_tools.import.pick')}
              <input hidden type="file" accept=".csv,text/csv" onChange={pick} />
            </Button>
          </div>
          <TextField
            label={translate('custos.consent_tools.import.csv')}
            helperText={translate('custos.consent_tools.import.csv_help')}
            multiline
            minRows={6}
            maxRows={20}
            value={csv}
            onChange={(event) => {
              setCsv(event.target.value);
              setOutcome(null);
            }}
            slotProps={{ htmlInput: { spellCheck: false, style: { fontFamily: 'monospace' } } }}
          />
          <div>
            <Button
              variant="contained"
              disabled={pending || csv.trim() === ''}
              onClick={() => setConfirming(true)}
            >
              {translate('custos.consent_tools.import.action')}
            </Button>
          </div>
          <ImportOutcome outcome={outcome} />
        </Stack>
      </CardContent>
      <Confirm
        isOpen={confirming}
        loading={pending}
        title="custos.consent_tools.import.confirm_title"
        content="custos.consent_tools.import.confirm"
        translateOptions={{ smart_count: rowCount(csv) }}
        confirm="custos.consent_tools.import.action"
        onConfirm={submit}
        onClose={() => setConfirming(false)}
      />
    </Card>
  );
};

const REPORT_COLUMNS = ['line', 'column', 'rule', 'message'] as const;

const ImportOutcome = ({ outcome }: { outcome: Outcome | null }) => {
  const translate = useTranslate();
  if (!outcome) return null;
  if (outcome.kind === 'imported') {
    return (
      <Alert severity="success" role="status">
        {translate('custos.consent_tools.import.done', { smart_count: outcome.count })}
      </Alert>
    );
  }
  if (outcome.kind === 'error') {
    return (
      <Alert severity="error" role="alert">
        {outcome.message}
      </Alert>
    );
  }
  return (
    <Stack spacing={1}>
      <Alert severity="error" role="alert">
        {translate('custos.consent_tools.import.refused', { smart_count: outcome.problems.length })}
      </Alert>
      <Table size="small" aria-label={translate('custos.consent_tools.import.report')}>
        <TableHead>
          <TableRow>
            {REPORT_COLUMNS.map((column) => (
              <TableCell key={column} component="th" scope="col">
                {translate(`custos.consent_tools.import.${column}`)}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {outcome.problems.map((problem) => {
            const place = problemPlace(problem.field);
            return (
              <TableRow key={`${problem.field}:${problem.rule}`}>
                <TableCell>{place.line || '—'}</TableCell>
                <TableCell>{place.column || '—'}</TableCell>
                <TableCell>{problem.rule}</TableCell>
                <TableCell>{problem.message}</TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </Stack>
  );
};

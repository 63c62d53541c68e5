import VisibilityOffOutlined from '@mui/icons-material/VisibilityOffOutlined';
import { Box, Chip, Tooltip } from '@mui/material';
import type { ReactNode } from 'react';
import { TextField, useRecordContext, useTranslate } from 'react-admin';
import { REDACTIONS_KEY, type Redactions } from '../data/graphql';

export interface RedactedFieldProps {
  readonly source: string;
  /** The label in show layouts and table headers (react-admin reads it from here). */
  readonly label?: string;
  /** How the value is shown when there is one; a TextField by default. */
  readonly children?: ReactNode;
}

/** Hidden on screen, read by assistive technology. */
const visuallyHidden = {
  border: 0,
  clip: 'rect(0 0 0 0)',
  height: '1px',
  margin: '-1px',
  overflow: 'hidden',
  padding: 0,
  position: 'absolute',
  whiteSpace: 'nowrap',
  width: '1px',
} as const;

/**
 * A field that came back null because the declared purpose may not see it is shown as a "redacted" chip with the
 * server's reason (in a tooltip, and in text that screen readers read), never as an empty value. A null without a
 * redaction entry is an empty value and is shown as one.
 */
export const RedactedField = ({ source, children }: RedactedFieldProps) => {
  const record = useRecordContext();
  const translate = useTranslate();
  if (!record) return null;
  const reason = (record[REDACTIONS_KEY] as Redactions | undefined)?.[source];
  if (reason === undefined || (record[source] !== null && record[source] !== undefined)) {
    return <>{children ?? <TextField source={source} />}</>;
  }
  const explanation = translate(`custos.reasons.${reason}`, { _: reason });
  return (
    <Tooltip title={explanation} describeChild>
      <Chip
        size="small"
        variant="outlined"
        tabIndex={0}
        icon={<VisibilityOffOutlined fontSize="small" aria-hidden />}
        data-redaction-reason={reason}
        label={
          <>
            {translate('custos.redaction.label')}
            <Box component="span" sx={visuallyHidden}>
              {`: ${explanation}`}
            </Box>
          </>
        }
      />
    </Tooltip>
  );
};

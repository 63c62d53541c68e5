import { Typography } from '@mui/material';
import { useFieldValue, useLocaleState, useTranslate } from 'react-admin';

export interface DateTimeFieldProps {
  readonly source: string;
  readonly label?: string;
  /** Shown when there is no instant (a text or a translation key). */
  readonly emptyText?: string;
}

/** An instant in the user's own time zone, with the same instant in UTC on hover (its title). */
export const DateTimeField = ({ source, emptyText }: DateTimeFieldProps) => {
  const translate = useTranslate();
  const [locale] = useLocaleState();
  // A path: `notice.publishedAt` reads the nested value.
  const value: unknown = useFieldValue({ source });
  if (typeof value !== 'string') {
    return emptyText ? (
      <Typography component="span" variant="body2">
        {translate(emptyText, { _: emptyText })}
      </Typography>
    ) : null;
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return null;
  const local = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
  const utc = translate('custos.date.utc', { date: date.toISOString().slice(0, 19).replace('T', ' ') });
  return (
    <Typography component="time" variant="body2" dateTime={date.toISOString()} title={utc}>
      {local}
    </Typography>
  );
};

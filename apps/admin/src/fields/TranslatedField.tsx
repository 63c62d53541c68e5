import { FunctionField, type RaRecord, useTranslate } from 'react-admin';

export interface TranslatedFieldProps {
  readonly source: string;
  /** Where the value's texts are: `custos.tickets.statuses` shows OPEN as `custos.tickets.statuses.OPEN`. */
  readonly prefix: string;
}

/** An enum value of the API by its translated name (the value itself when no text exists for it). */
export const TranslatedField = ({ source, prefix }: TranslatedFieldProps) => {
  const translate = useTranslate();
  return (
    <FunctionField
      source={source}
      render={(record: RaRecord) => {
        const value: unknown = record[source];
        return value === null || value === undefined
          ? ''
          : translate(`${prefix}.${String(value)}`, { _: String(value) });
      }}
    />
  );
};

/** A list filter's values as a query's variables: what the inputs hold, as the API reads it. */

/** A text filter, trimmed; an empty one is no filter. */
export const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/**
 * A filter's instant as the API's DateTime (ISO 8601, UTC): a date-time input gives the user's local time
 * (`2026-03-04T10:30`), read in the browser's time zone; an unreadable one is left out.
 */
export const instant = (value: unknown): string | undefined => {
  if (!(typeof value === 'string' || value instanceof Date) || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

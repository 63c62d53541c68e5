import type { AggregateCount } from '../data/dashboard';

type Translate = (key: string, options?: Record<string, unknown>) => string;

/**
 * A count as text: the number, or for a withheld one "fewer than N" when the server says it is certainly small,
 * else "withheld" — never 0, which would be a count the server did not give.
 */
export function countText(count: AggregateCount, translate: Translate): string {
  if (count.value !== null) return String(count.value);
  if (count.fewerThan !== null) return translate('custos.dashboard.fewer_than', { n: count.fewerThan });
  return translate('custos.dashboard.withheld');
}

/** A bucket's start (UTC, the server's calendar) as its month, e.g. "Oct 2026". */
export function monthLabel(start: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(
    new Date(start),
  );
}

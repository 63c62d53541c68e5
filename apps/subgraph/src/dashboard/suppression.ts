/**
 * Small-cell suppression for the dashboard's counts of people's choices (GDPR Art 5(1)(c), 25, 89(1): statistics
 * that never single a person out). A count between 1 and `min - 1` is withheld: it comes back as `null` with
 * `suppressed: true` (and `fewerThan: min` where that is certain, so that a client can say "fewer than 5"). Zero is
 * shown: it names no one.
 *
 * Withholding a cell is not enough when the others give it away. Two rules keep a withheld cell from being
 * computed back:
 * - a partition with a known total (consentRates: granted + denied + withdrawn + objected + no answer = live
 *   contacts): while the withheld cells' sum can be read off the total and pins them (one cell, or all of them 1),
 *   the smallest shown cell is withheld too, and as a last resort the total ({@link protectPartition});
 * - a coarse cell over finer ones (consentTrend: a month is the sum of its days): a month that would let its
 *   withheld days be computed back is withheld ({@link protectCoarse}).
 */

export interface AggregateCount {
  /** The count; null when withheld. */
  readonly value: number | null;
  readonly suppressed: boolean;
  /**
   * Set when withheld and certainly small: the count is between 1 and this minus one. Whether it is set depends on
   * the kind of cell (a day's count, withheld only when small), never on the cell: a month or a partition's count
   * may be withheld to protect another, and saying which of its withheld cells are small would undo that.
   */
  readonly fewerThan: number | null;
}

/** A count between 1 and min - 1: it could single a person out. */
export const isSmall = (n: number, min: number): boolean => n >= 1 && n < min;

export const shown = (value: number): AggregateCount => ({ value, suppressed: false, fewerThan: null });
/** Withheld; `small`: this kind of cell is only ever withheld for being small (see AggregateCount.fewerThan). */
export const withheld = (min: number, small: boolean): AggregateCount => ({
  value: null,
  suppressed: true,
  fewerThan: small ? min : null,
});

/** A count on its own: withheld when small. */
export const countCell = (n: number, min: number): AggregateCount =>
  isSmall(n, min) ? withheld(min, true) : shown(n);

/**
 * Would the withheld cells be pinned down by their sum `sum` (read off a shown total)? Each withheld cell is at
 * least 1 (zeros are shown) and, for a reader who assumes the small-cell rule alone, at most min - 1: one cell is
 * its sum; k cells summing to k are all 1; k cells summing to k·(min - 1) are all min - 1; a sum below min is
 * itself a small cell.
 */
export function residualDiscloses(sum: number, cells: number, min: number): boolean {
  if (cells === 0) return false;
  return cells === 1 || sum < min || sum === cells || sum === cells * (min - 1);
}

/**
 * Suppression of a partition whose total is published: `parts` sum to `total`. Returns which parts and whether
 * the total are withheld.
 */
export function protectPartition(
  total: number,
  parts: readonly number[],
  min: number,
): { readonly total: boolean; readonly parts: readonly boolean[] } {
  const hidden = parts.map((n) => isSmall(n, min));
  if (isSmall(total, min)) return { total: true, parts: parts.map((n) => n > 0) };
  for (;;) {
    const withheldParts = parts.filter((_, i) => hidden[i]);
    const sum = withheldParts.reduce((a, b) => a + b, 0);
    if (!residualDiscloses(sum, withheldParts.length, min)) return { total: false, parts: hidden };
    // The smallest part still shown (and not zero) goes too: then the withheld sum is no longer a small cell.
    let next = -1;
    for (const [i, n] of parts.entries()) {
      if (!hidden[i] && n > 0 && (next < 0 || n < parts[next]!)) next = i;
    }
    if (next < 0) return { total: true, parts: hidden };
    hidden[next] = true;
  }
}

/**
 * A coarse cell (`total`) made of finer cells (`fine`, every one of them, published on their own with
 * {@link countCell}): withheld when small, or when subtracting its shown finer cells would pin the withheld ones.
 */
export function protectCoarse(total: number, fine: readonly number[], min: number): AggregateCount {
  if (isSmall(total, min)) return withheld(min, false);
  const small = fine.filter((n) => isSmall(n, min));
  const sum = small.reduce((a, b) => a + b, 0);
  return residualDiscloses(sum, small.length, min) ? withheld(min, false) : shown(total);
}

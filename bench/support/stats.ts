/** The value at quantile `p` (0..1) of `values` (nearest rank, any order); null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export interface Spread {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

/** Count, median, p99 and maximum, rounded to whole units. */
export function spread(values: readonly number[]): Spread {
  const round = (v: number | null): number | null => (v === null ? null : Math.round(v));
  return {
    count: values.length,
    p50: round(percentile(values, 0.5)),
    p99: round(percentile(values, 0.99)),
    max: round(values.length === 0 ? null : Math.max(...values)),
  };
}

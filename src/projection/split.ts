// Whole requests: a month's total split across request types by share, summing exactly to the total.

/** Largest-remainder split of `total` by `shares` (which sum to 1); ties go to the earlier entry. */
export function splitByShare(total: number, shares: readonly number[]): number[] {
  const exact = shares.map((s) => total * s);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, rest: e - Math.floor(e) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]! += 1;
    left -= 1;
  }
  return out;
}

/** Whole requests out of `n` at `rate` (nearest, never more than n). */
export function portion(n: number, rate: number): number {
  return Math.min(n, Math.max(0, Math.round(n * rate)));
}

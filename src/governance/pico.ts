// Money in governance: integer pico-dollars (1e-12 USD) as BigInt, because budgets and sums pass
// 2^53 pico (~$9,007) quickly. Every amount is bounded so that a counter plus one amount stays in
// a signed 64-bit integer, the range Redis HINCRBY computes in.

/** Integer pico-dollars. */
export type Pico = bigint;

/** Largest budget limit and largest single amount: $4,000,000. Two of them still fit in int64. */
export const MAX_PICO: Pico = 4_000_000_000_000_000_000n;

const DIGITS = /^\d{1,19}$/;

/**
 * A non-negative whole number of pico-dollars from a bigint, a safe integer or a digit string.
 * Throws a RangeError naming `field` otherwise.
 */
export function toPico(value: bigint | number | string, field = 'amount'): Pico {
  let pico: bigint;
  if (typeof value === 'bigint') pico = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) pico = BigInt(value);
  else if (typeof value === 'string' && DIGITS.test(value)) pico = BigInt(value);
  else throw new RangeError(`${field}: expected a whole number of pico-dollars, got ${String(value)}`);
  if (pico < 0n || pico > MAX_PICO) throw new RangeError(`${field}: must be between 0 and ${MAX_PICO} pico-dollars, got ${pico}`);
  return pico;
}

/** "12.5" or "0.000001" (USD, up to 12 decimals) → pico-dollars, exactly (no floats). */
export function usdToPico(usd: string): Pico {
  const m = /^(\d+)(?:\.(\d{1,12}))?$/.exec(usd.trim());
  if (m === null) throw new RangeError(`not a USD amount with at most 12 decimals: ${usd}`);
  return toPico(BigInt(m[1]!) * 1_000_000_000_000n + BigInt((m[2] ?? '').padEnd(12, '0')), 'usd');
}

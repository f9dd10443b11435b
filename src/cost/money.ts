// Money is integer pico-dollars (1e-12 USD): every list price in $/MTok with up to six decimals
// is a whole number of pico-dollars per token, so token × price is exact integer arithmetic.

export const PICO_PER_USD = 1_000_000_000_000;

/** $/MTok → pico-dollars per token. */
export function picoPerToken(usdPerMillionTokens: number): number {
  return Math.round(usdPerMillionTokens * 1_000_000);
}

/** Exact decimal string in USD, trailing zeros trimmed (at least 2 decimals would hide precision). */
export function formatUsd(pico: number | bigint): string {
  // Fast path (every per-request figure): exact integer arithmetic in doubles below 2^53.
  if (typeof pico === 'number' && Number.isSafeInteger(pico) && pico >= 0) {
    const whole = Math.floor(pico / PICO_PER_USD);
    const rest = pico - whole * PICO_PER_USD;
    if (rest === 0) return String(whole);
    const frac = String(rest).padStart(12, '0');
    let end = frac.length;
    while (frac.charCodeAt(end - 1) === 48 /* 0 */) end--; // rest > 0: stops at a non-zero digit
    return `${whole}.${frac.slice(0, end)}`;
  }
  const big = typeof pico === 'bigint' ? pico : BigInt(Math.round(pico));
  const negative = big < 0n;
  const abs = negative ? -big : big;
  const whole = abs / 1_000_000_000_000n;
  const frac = (abs % 1_000_000_000_000n).toString().padStart(12, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${frac ? '.' + frac : ''}`;
}

export function picoToUsd(pico: number): number {
  return pico / PICO_PER_USD;
}

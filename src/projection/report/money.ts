// Exact pico-dollar sums shown as USD: numbers for JSON, rounded cents for people.
import { formatUsd } from '../../cost/money.js';

const PICO_PER_CENT = 10_000_000_000n;

/** The nearest double to the exact amount. */
export function usd(pico: bigint): number {
  return Number(formatUsd(pico));
}

/** Whole cents, half away from zero. */
export function toCents(pico: bigint): bigint {
  const neg = pico < 0n;
  const abs = neg ? -pico : pico;
  const cents = (abs + PICO_PER_CENT / 2n) / PICO_PER_CENT;
  return neg ? -cents : cents;
}

/** "12,345.68" (no currency sign); `grouped: false` gives "12345.68" for CSV. */
export function cents(pico: bigint, grouped = true): string {
  const c = toCents(pico);
  const neg = c < 0n;
  const abs = neg ? -c : c;
  let whole = (abs / 100n).toString();
  if (grouped) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}${whole}.${(abs % 100n).toString().padStart(2, '0')}`;
}

export function dollars(pico: bigint): string {
  const s = cents(pico);
  return s.startsWith('-') ? `-$${s.slice(1)}` : `$${s}`;
}

/** a / b as a percentage with one decimal, or '-' when b is 0. */
export function percent(a: bigint, b: bigint): string {
  if (b === 0n) return '-';
  return `${(Number((a * 1_000_000n) / b) / 10_000).toFixed(1)}%`;
}

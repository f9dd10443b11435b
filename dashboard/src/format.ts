// Display formatting. The API's money is an exact decimal string; these round it for reading only
// (the exact value stays in the element's title).
import type { BudgetPeriod } from './types.js';

/** "$1,234.56", "$0.0123", "$0.000042": two decimals from a cent up, else three significant digits. */
export function usd(exact: string | number): string {
  const n = typeof exact === 'number' ? exact : Number(exact);
  if (!Number.isFinite(n)) return String(exact);
  const sign = n < 0 ? '−' : '';
  const abs = Math.abs(n);
  if (abs === 0) return '$0';
  if (abs >= 0.01) return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `${sign}$${abs.toPrecision(3).replace(/0+$/, '').replace(/\.$/, '')}`;
}

export function pct(ratio: number): string {
  if (!Number.isFinite(ratio)) return '–';
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 2 : 1)}%`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`;
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function dateTime(ts: number): string {
  return new Date(ts).toLocaleString('en-GB', { dateStyle: 'short', timeStyle: 'medium' });
}

/** A saving as a share of the baseline. */
export function savingShare(savingUsd: string, baselineUsd: string): string {
  const baseline = Number(baselineUsd);
  return baseline > 0 ? pct(Number(savingUsd) / baseline) : '–';
}

export const TECHNIQUE_LABEL: Record<string, string> = {
  routing: 'Routing',
  cascade: 'Cascade',
  cache_exact: 'Response cache (exact)',
  cache_semantic: 'Response cache (semantic)',
  prompt_caching: 'Prompt caching',
  unattributed: 'Unattributed',
  '(none)': 'Served as asked',
};

/** "7 Dec 2026, 14:05": a day and time to read, in the browser's zone. */
export function date(ts: number): string {
  return new Date(ts).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** "in 5 h", "in 3 days", "2 days ago": how far `ts` is from `now`, roughly. */
export function fromNow(ts: number, now: number = Date.now()): string {
  const d = ts - now;
  const abs = Math.abs(d);
  const minutes = Math.round(abs / 60_000);
  const hours = Math.round(abs / 3_600_000);
  const days = Math.round(abs / 86_400_000);
  const span = minutes < 1 ? 'under a minute' : minutes < 60 ? `${minutes} min` : hours < 48 ? `${hours} h` : `${days} days`;
  return d >= 0 ? `in ${span}` : `${span} ago`;
}

/** A budget's period after its amount: "$5 a month". */
export const PERIOD_LABEL: Record<BudgetPeriod, string> = { day: 'a day', week: 'a week', month: 'a month', total: 'in total' };

// The outcome of one cascade check. `detail` travels in a response header, so it is kept short and
// printable ASCII whatever the model wrote.
import type { CascadeCheck } from '../../config/cascade-check-schema.js';

export interface CheckVerdict {
  pass: boolean;
  /** The check that decided; null only when there was no local check to run. */
  check: CascadeCheck['kind'] | null;
  /** e.g. "score_band:0.55 in [0.3,0.7]". */
  detail: string;
}

export const MAX_DETAIL_CHARS = 160;

export function headerSafe(text: string): string {
  const ascii = text.replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > MAX_DETAIL_CHARS ? `${ascii.slice(0, MAX_DETAIL_CHARS - 3)}...` : ascii;
}

export function pass(check: CascadeCheck['kind'], detail: string): CheckVerdict {
  return { pass: true, check, detail: headerSafe(`${check}:${detail}`) };
}

export function fail(check: CascadeCheck['kind'], detail: string): CheckVerdict {
  return { pass: false, check, detail: headerSafe(`${check}:${detail}`) };
}

/** A number for a detail string: at most four decimals. */
export function num(n: number): string {
  return String(Math.round(n * 10_000) / 10_000);
}

// Query parameters of the dashboard's admin endpoints: parsed, or a ParamError naming the one that
// does not parse (answered with a 400).
import type { TimeRange } from '../storage/dashboard-types.js';

/** A request parameter that does not parse: answered with a 400 naming it. */
export class ParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`${param}: ${message}`);
  }
}

/** `from` / `to`: epoch ms or an ISO 8601 date/time (as /api/spend takes them). */
export function timeParam(url: URL, name: 'from' | 'to'): number | undefined {
  const value = url.searchParams.get(name);
  if (value === null || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new ParamError(name, `expected epoch milliseconds or an ISO 8601 date, got "${value}"`);
  return t;
}

export function range(url: URL): TimeRange {
  const from = timeParam(url, 'from');
  const to = timeParam(url, 'to');
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

export function oneOf<T extends string>(url: URL, name: string, allowed: readonly T[], fallback: T): T {
  const value = url.searchParams.get(name) ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new ParamError(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

export function intParam(url: URL, name: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ParamError(name, `expected an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

export function optional(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name);
  return value === null || value === '' ? undefined : value;
}

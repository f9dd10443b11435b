// commander argument parsers shared by the subcommands: a bad value is refused with its range.
import { InvalidArgumentError } from 'commander';

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** `--from/--to/--before`: epoch milliseconds, a date (UTC midnight) or an ISO time. */
export function epochTime(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new InvalidArgumentError('must be epoch milliseconds, a date (2026-12-01) or an ISO time (2026-12-01T18:00:00Z)');
  return ms;
}

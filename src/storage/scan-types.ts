// Reading the ledger in time order without holding it in memory (exports, audits): one row at a
// time from a database cursor, oldest first, ties in insertion order.
import type { LedgerRow } from './types.js';

export interface LedgerScanQuery {
  /** Inclusive lower bound, epoch ms. */
  from: number;
  /** Exclusive upper bound, epoch ms. */
  to: number;
  /** Only rows of these key ids (a team's keys, say); an empty list matches nothing. */
  keyIds?: readonly string[];
  /** Only rows served by this model. */
  servedModel?: string;
  /** Only rows carrying this tag. */
  tag?: string;
}

export interface LedgerScanner {
  /** The matching rows, oldest first; the database is read as the caller pulls. */
  rows(query: LedgerScanQuery): AsyncIterable<LedgerRow>;
  /** How many rows `rows` would yield (a progress bar's total). */
  count(query: LedgerScanQuery): Promise<number>;
  close(): Promise<void>;
}

/** Throws on bounds that are not epoch milliseconds. */
export function checkScanQuery(q: LedgerScanQuery): void {
  for (const [name, v] of [
    ['from', q.from],
    ['to', q.to],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`costwise: ledger scan bound ${name} must be epoch milliseconds, got ${String(v)}`);
  }
}

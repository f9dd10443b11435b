// What every kind of advice reads: the requests of one scope (a tag, or a key for untagged traffic)
// served by one model in the window, and the arithmetic their savings are stated in.
import type { Usage } from '../core/canonical.js';
import type { LedgerRow } from '../storage/types.js';
import type { PairedCounts } from './paired.js';

export interface ShadowTally {
  n: number;
  agree: number;
  kinds: Record<string, number>;
  graded: PairedCounts;
}

export interface ScopeModel {
  scope: string;
  served: string;
  requested: Set<string>;
  tag: string | null;
  /** The scope's answered requests: no sub-calls, no response-cache hits. */
  rows: LedgerRow[];
  nonStreaming: number;
  /** Candidate → shadow comparisons. */
  shadows: Map<string, ShadowTally>;
}

const MONTH_DAYS = 30n;

export function ruleName(prefix: string, g: ScopeModel): string {
  return `${prefix}-${(g.tag ?? g.scope).replace(/[^A-Za-z0-9_.-]+/g, '-')}`;
}

export function usageOf(r: LedgerRow): Usage {
  return {
    inputTokens: r.inputTokens,
    cacheReadTokens: r.cacheReadTokens,
    cacheWrite5mTokens: r.cacheWrite5mTokens,
    cacheWrite1hTokens: r.cacheWrite1hTokens,
    outputTokens: r.outputTokens,
    reasoningTokens: r.reasoningTokens,
  };
}

export function sumCost(rows: readonly LedgerRow[], price: (u: Usage) => number): bigint {
  let sum = 0n;
  for (const r of rows) sum += BigInt(price(usageOf(r)));
  return sum;
}

export function ledgerCost(rows: readonly LedgerRow[]): bigint {
  let sum = 0n;
  for (const r of rows) sum += BigInt(r.costPico);
  return sum;
}

/** A window's saving at the same volume over 30 days (truncated to the pico-dollar). */
export function monthly(pico: bigint, days: number): bigint {
  return (pico * MONTH_DAYS * 1000n) / BigInt(Math.round(days * 1000));
}

export function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

export function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

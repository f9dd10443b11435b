// The budget ledger: reserve-then-settle over every budget that applies to a request, exact under
// any concurrency. Two implementations behind this one interface: in-process (budget-memory.ts, one
// replica) and Redis (budget-redis.ts, any number of replicas sharing one Redis).
//
// Each (subject, period window) is one counter with `spent` and `reserved`. `reserve` checks
// spent + reserved + amount ≤ limit on every scope and reserves on all of them, or on none.
// `settle` turns a reservation into spend, `release` drops it; a reservation neither settled nor
// released within its ttl is released by the ledger itself, and a settle that comes after that
// (until `lateSettleWindowMs`) still records its spend. A counter must be seeded (from the durable
// ledger) before the first reservation on it: `reserve` answers `unseeded` until then.
import type { PeriodWindow } from './periods.js';
import type { Pico } from './pico.js';

export interface BudgetScope {
  /** Who spends: `key:<id>`, `team:<id>`, `tag:<name>` (scopes.ts builds them). */
  subject: string;
  limitPico: Pico;
  window: PeriodWindow;
}

export interface ReserveRequest {
  /** Every budget that applies; no two may share subject and window. Empty: nothing to check. */
  scopes: readonly BudgetScope[];
  /** What the request may cost at most (estimate with max output tokens). */
  amountPico: Pico | number;
  /** How long the reservation holds if never settled (longer than the longest request). */
  ttlMs: number;
  /**
   * The request id. Its settle then marks the id as charged, so a later charge with the same id
   * (a restarted replica settling what its killed predecessor spooled) is a duplicate.
   */
  chargeId?: string;
}

/** A held reservation. Pass it back to settle or release exactly once. */
export interface Reservation {
  readonly id: string;
  readonly amountPico: Pico;
  /** Counter ids (`subject|window key`). */
  readonly counters: readonly string[];
  /** Epoch ms (the ledger's clock: Redis's own for the Redis ledger) when it lapses. */
  readonly expiresAt: number;
  /** ReserveRequest.chargeId. */
  readonly chargeId?: string;
}

export type ReserveResult =
  | { status: 'reserved'; reservation: Reservation }
  /** `scope` did not fit: `remainingPico` is what it had left (limit − spent − reserved, ≥ 0). */
  | { status: 'exceeded'; scope: BudgetScope; remainingPico: Pico }
  /** These counters have not been seeded yet: seed them (budget-guard.ts does) and reserve again. */
  | { status: 'unseeded'; scopes: BudgetScope[] }
  /** The shared store failed; the caller's fail mode decides (closed: refuse, open: serve). */
  | { status: 'unavailable'; error: Error };

/**
 * settled: spend recorded, reservation dropped. late: the reservation had lapsed (and was released
 * by the ledger); spend recorded anyway. ignored: already settled or released, or lapsed longer
 * than `lateSettleWindowMs` ago, nothing changed. queued: the store failed; retried in the background.
 */
export type SettleStatus = 'settled' | 'late' | 'ignored' | 'queued';
/** released: dropped. expired: had already lapsed. ignored / queued: as for settle. */
export type ReleaseStatus = 'released' | 'expired' | 'ignored' | 'queued';

export interface BudgetStatus {
  subject: string;
  periodKey: string;
  limitPico: Pico;
  spentPico: Pico;
  reservedPico: Pico;
  /** limit − spent − reserved, never below 0. */
  remainingPico: Pico;
  periodStart: number;
  /** null for `total`. */
  periodEnd: number | null;
  seeded: boolean;
}

export interface SeedRequest {
  scope: BudgetScope;
  /** The durable ledger's spend for the scope's subject within its window. */
  spentPico: Pico | number;
}

export interface ChargeRequest {
  /** Makes the charge idempotent (a retried charge with the same id counts once), e.g. the request id. */
  id: string;
  scopes: readonly BudgetScope[];
  amountPico: Pico | number;
}

/**
 * charged: added to every seeded scope (unseeded ones skip it: their seed from the durable ledger
 * will count it). duplicate: this id was charged before. queued: the store failed; retried.
 */
export type ChargeStatus = 'charged' | 'duplicate' | 'queued';

export interface BudgetLedger {
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /** `actualPico` may exceed the reservation: it is recorded in full. */
  settle(reservation: Reservation, actualPico: Pico | number): Promise<SettleStatus>;
  release(reservation: Reservation): Promise<ReleaseStatus>;
  /** Throws when the store fails (a read for reports, not the hot path). */
  status(scope: BudgetScope): Promise<BudgetStatus>;
  /**
   * Sets a counter's spend from the durable ledger, once: 'already' when it was seeded before
   * (by this or another replica), so concurrent and repeated seeding is safe.
   */
  seed(request: SeedRequest): Promise<'seeded' | 'already'>;
  /**
   * Records spend that had no reservation, without a limit check: a request served while the
   * store was unavailable under fail-open, or work billed later (batches). Ids are remembered for
   * `lateSettleWindowMs`.
   */
  charge(request: ChargeRequest): Promise<ChargeStatus>;
  close(): Promise<void>;
}

export interface BudgetLedgerOptions {
  /** How long a lapsed reservation can still be settled (default 1 h). */
  lateSettleWindowMs?: number;
  /** How long a counter is kept after its window ends, for status and late settles (default 7 days). */
  retentionMs?: number;
}

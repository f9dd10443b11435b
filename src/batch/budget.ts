// Budgets for batch work. A batch, or a deferred request, reserves its worst case at batch prices
// when it is submitted (402 when that does not fit), holds the reservation in the batch database
// while it runs, and settles it to what its items really cost when the batch ends (cancelled and
// expired items cost nothing). Items never reserve again on their own.
import { GatewayError } from '../core/errors.js';
import { formatUsd } from '../cost/money.js';
import { budgetScopes, type Reservation } from '../governance/index.js';
import type { Caller } from '../pipeline/context.js';
import type { BatchDeps } from './deps.js';
import type { BatchStore } from './store.js';

/** Past the batch's own expiry, so a reservation never lapses while its batch still runs. */
const MARGIN_MS = 3_600_000;

export interface HoldRequest {
  batchId: string;
  /** A deferred request's item; null for the whole batch. */
  seq: number | null;
  caller: Caller;
  worstPico: bigint;
  now: number;
  expiresAt: number;
}

/**
 * Reserves the worst case on the caller's budgets, or throws the 402 (503 when the budgets cannot
 * be read and `failMode` is closed). Returns the reservation to hold once the batch is stored.
 */
export async function reserveBatchBudget(deps: BatchDeps, q: HoldRequest): Promise<Reservation | undefined> {
  const key = q.caller.key;
  if (key === undefined) return undefined;
  const { governance } = deps;
  const scopes = budgetScopes({
    key,
    teams: q.caller.teams ?? [],
    tags: q.caller.tags,
    tagBudgets: governance.tagBudgets,
    at: q.now,
    timeZone: governance.settings.timeZone,
  });
  if (scopes.length === 0) return undefined;
  const result = await governance.guard.reserve({ scopes, amountPico: q.worstPico, ttlMs: q.expiresAt - q.now + MARGIN_MS });
  switch (result.status) {
    case 'reserved':
      return result.reservation;
    case 'exceeded':
      throw new GatewayError({
        kind: 'budget_exceeded',
        message: `Budget exceeded for ${result.scope.subject} (${result.scope.window.period}): $${formatUsd(result.remainingPico)} left, and this ${q.seq === null ? 'batch' : 'request'} may cost up to $${formatUsd(q.worstPico)} at batch prices.`,
        code: 'budget_exceeded',
        retryable: false,
        headers: { 'x-costwise-budget-remaining-usd': formatUsd(result.remainingPico) },
      });
    case 'unavailable':
      if (governance.settings.failMode === 'open') return undefined;
      throw new GatewayError({
        kind: 'overloaded',
        status: 503,
        message: 'Budgets cannot be checked right now (shared state unavailable); try again shortly.',
      });
    case 'unseeded':
      throw new GatewayError({ kind: 'overloaded', status: 503, message: 'Budgets are being loaded; try again shortly.' });
  }
}

export async function holdBudget(store: BatchStore, batchId: string, reservation: Reservation | undefined): Promise<void> {
  if (reservation === undefined) return;
  await store.addHold({ id: `${batchId}:batch`, batchId, seq: null, reservation: reservationJson(reservation) });
}

/** A reservation as the store holds it: JSON, the amount as a decimal string. */
export function reservationJson(reservation: Reservation): string {
  return JSON.stringify({ ...reservation, amountPico: reservation.amountPico.toString() });
}

/** The batch has ended: every reservation it holds becomes what its items cost. */
export async function settleBatchBudget(deps: BatchDeps, store: BatchStore, batchId: string): Promise<void> {
  for (const hold of await store.holdsOf(batchId)) {
    const parsed = JSON.parse(hold.reservation) as Omit<Reservation, 'amountPico'> & { amountPico: string };
    const reservation: Reservation = { ...parsed, amountPico: BigInt(parsed.amountPico) };
    let actual = 0n;
    if (hold.seq === null) for (const item of await store.items(batchId)) actual += BigInt(item.costPico);
    else actual = BigInt((await store.itemAt(batchId, hold.seq))?.costPico ?? 0);
    if (actual > 0n) await deps.governance.budgets.settle(reservation, actual);
    else await deps.governance.budgets.release(reservation);
    await store.removeHold(hold.id);
  }
}

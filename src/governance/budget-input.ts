// Validation shared by the budget ledgers: a malformed request is a programming error, thrown.
import { toPico, type Pico } from './pico.js';
import type { BudgetLedgerOptions, BudgetScope, ChargeRequest, Reservation, ReserveRequest } from './budget-types.js';

export const DEFAULT_LATE_SETTLE_MS = 3_600_000;
export const DEFAULT_RETENTION_MS = 7 * 86_400_000;
// Batches and deferred requests hold reservations for their whole completion window.
const MAX_TTL_MS = 31 * 86_400_000;

export interface CounterPlan {
  /** `subject|window key`. */
  id: string;
  scope: BudgetScope;
  /** Epoch ms when the counter may be dropped, or null (total). */
  expireAt: number | null;
}

export interface ReservePlan {
  counters: CounterPlan[];
  amount: Pico;
  ttlMs: number;
}

export function counterId(scope: BudgetScope): string {
  return `${scope.subject}|${scope.window.key}`;
}

export function counterPlan(scope: BudgetScope, retentionMs: number): CounterPlan {
  toPico(scope.limitPico, `limit of ${scope.subject}`);
  return { id: counterId(scope), scope, expireAt: scope.window.end === null ? null : scope.window.end + retentionMs };
}

export function planReserve(request: ReserveRequest, retentionMs: number): ReservePlan {
  const { ttlMs } = request;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS)
    throw new RangeError(`ttlMs must be a whole number of ms in (0, ${MAX_TTL_MS}], got ${ttlMs}`);
  const amount = toPico(request.amountPico, 'amountPico');
  const counters = request.scopes.map((scope) => counterPlan(scope, retentionMs));
  const ids = new Set(counters.map((c) => c.id));
  if (ids.size !== counters.length) throw new RangeError('reserve: two scopes share one subject and window');
  return { counters, amount, ttlMs };
}

/** The counters of a charge (validated like a reservation's). */
export function planCharge(request: ChargeRequest, retentionMs: number): { counters: CounterPlan[]; amount: Pico; marker: string } {
  if (typeof request.id !== 'string' || request.id === '') throw new RangeError('charge: id must be a non-empty string');
  const plan = planReserve({ scopes: request.scopes, amountPico: request.amountPico, ttlMs: 1 }, retentionMs);
  return { counters: plan.counters, amount: plan.amount, marker: chargeMarker(request.id) };
}

/** What a charge, or a settle of a reservation with a chargeId, leaves behind to make a charge with that id a duplicate. */
export function chargeMarker(id: string): string {
  return `charge:${id}`;
}

/** The reservation's own fields, with its chargeId when it has one. */
export function reservationOf(fields: Omit<Reservation, 'chargeId'>, chargeId: string | undefined): Reservation {
  return Object.freeze(chargeId === undefined || chargeId === '' ? fields : { ...fields, chargeId });
}

export function ledgerSettings(opts: BudgetLedgerOptions): { lateMs: number; retentionMs: number } {
  return { lateMs: opts.lateSettleWindowMs ?? DEFAULT_LATE_SETTLE_MS, retentionMs: opts.retentionMs ?? DEFAULT_RETENTION_MS };
}

/** max(0, limit − used). */
export function remaining(limit: Pico, used: Pico): Pico {
  return used >= limit ? 0n : limit - used;
}

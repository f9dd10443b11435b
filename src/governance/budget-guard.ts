// Reserve with seeding: when the ledger answers `unseeded` (a new period, a restart, a Redis that
// lost its data), load each counter's spend from the durable ledger, seed it, and reserve again.
// Loads of one counter are shared by concurrent requests on this replica; across replicas the
// first seed wins and the others are no-ops (BudgetLedger.seed).
import { counterId } from './budget-input.js';
import type { BudgetLedger, BudgetScope, ReserveRequest, ReserveResult } from './budget-types.js';
import type { Pico } from './pico.js';

export interface BudgetGuardOptions {
  ledger: BudgetLedger;
  /**
   * The durable ledger's spend for `scope.subject` with ts in [scope.window.start, scope.window.end)
   * (end null: no upper bound). Flush queued ledger rows before summing.
   */
  loadSpent(scope: BudgetScope): Promise<Pico | number>;
}

export interface BudgetGuard {
  reserve(request: ReserveRequest): Promise<ReserveResult>;
}

/** Rounds of seed-and-retry before giving up (a counter evicted again at once). */
const MAX_ROUNDS = 3;

export function createBudgetGuard(opts: BudgetGuardOptions): BudgetGuard {
  const { ledger } = opts;
  const seeding = new Map<string, Promise<void>>();

  function seedOnce(scope: BudgetScope): Promise<void> {
    const id = counterId(scope);
    let pending = seeding.get(id);
    if (pending === undefined) {
      pending = (async () => {
        const spentPico = await opts.loadSpent(scope);
        await ledger.seed({ scope, spentPico });
      })().finally(() => seeding.delete(id));
      seeding.set(id, pending);
    }
    return pending;
  }

  return {
    async reserve(request) {
      for (let round = 1; ; round++) {
        const result = await ledger.reserve(request);
        if (result.status !== 'unseeded' || round === MAX_ROUNDS) return result;
        try {
          await Promise.all(result.scopes.map(seedOnce));
        } catch (err) {
          return { status: 'unavailable', error: err instanceof Error ? err : new Error(String(err)) };
        }
      }
    },
  };
}

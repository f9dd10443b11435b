// In-process budget ledger (one replica): the same semantics as the Redis ledger, on BigInt
// counters in a Map. Every operation runs synchronously between awaits, so each is atomic.
import { randomUUID } from 'node:crypto';
import { chargeMarker, counterPlan, ledgerSettings, planCharge, planReserve, remaining, reservationOf } from './budget-input.js';
import { toPico } from './pico.js';
import { promised } from './promise.js';
import type {
  BudgetLedger,
  BudgetLedgerOptions,
  BudgetScope,
  BudgetStatus,
  ChargeStatus,
  ReleaseStatus,
  Reservation,
  ReserveResult,
  SettleStatus,
} from './budget-types.js';

const HOUR_MS = 3_600_000;

interface Counter {
  spent: bigint;
  /** spent + reserved. */
  used: bigint;
  seeded: boolean;
  expireAt: number | null;
  /** Live reservations: id → amount and lapse time. */
  live: Map<string, { amount: bigint; expiresAt: number }>;
  /** Lapsed (released) reservations still accepted by a late settle, and recent charge ids: id → time. */
  lapsed: Map<string, number>;
  /** Earliest lapse time in `live` (a lower bound), so most calls skip the scan. */
  nextLapse: number;
}

export interface MemoryBudgetLedgerOptions extends BudgetLedgerOptions {
  now?: () => number;
  /** How often counters past their retention are dropped (default 60 s). */
  sweepIntervalMs?: number;
}

export function createMemoryBudgetLedger(opts: MemoryBudgetLedgerOptions = {}): BudgetLedger {
  const now = opts.now ?? Date.now;
  const { lateMs, retentionMs } = ledgerSettings(opts);
  const counters = new Map<string, Counter>();
  let closed = false;

  const sweeper = setInterval(() => {
    const t = now();
    for (const [id, c] of counters) if (c.expireAt !== null && c.expireAt <= t && c.live.size === 0) counters.delete(id);
  }, opts.sweepIntervalMs ?? 60_000);
  sweeper.unref();

  /** The counter, kept until its window's end + retention, and at least an hour after this write. */
  function counter(id: string, windowExpiry: number | null): Counter {
    const expireAt = windowExpiry === null ? null : Math.max(windowExpiry, now() + HOUR_MS);
    let c = counters.get(id);
    if (c === undefined) {
      c = { spent: 0n, used: 0n, seeded: false, expireAt, live: new Map(), lapsed: new Map(), nextLapse: Infinity };
      counters.set(id, c);
    } else if (c.expireAt !== null && expireAt !== null && expireAt > c.expireAt) c.expireAt = expireAt;
    return c;
  }

  /** Releases lapsed reservations, remembering them for late settles. */
  function reap(c: Counter, t: number): void {
    if (t < c.nextLapse) return;
    let next = Infinity;
    for (const [id, r] of c.live) {
      if (r.expiresAt <= t) {
        c.used -= r.amount;
        c.live.delete(id);
        c.lapsed.set(id, r.expiresAt);
      } else if (r.expiresAt < next) next = r.expiresAt;
    }
    c.nextLapse = next;
    forgetOldLapses(c, t);
  }

  function forgetOldLapses(c: Counter, t: number): void {
    for (const [id, lapsedAt] of c.lapsed) if (lapsedAt <= t - lateMs) c.lapsed.delete(id);
  }

  const open = (): void => {
    if (closed) throw new Error('costwise: the budget ledger is closed');
  };

  return {
    reserve(request): Promise<ReserveResult> {
      return promised(() => {
        open();
        const plan = planReserve(request, retentionMs);
        const t = now();
        const list = plan.counters.map((p) => ({ p, c: counter(p.id, p.expireAt) }));
        for (const { c } of list) reap(c, t);
        const unseeded = list.filter(({ c }) => !c.seeded).map(({ p }) => p.scope);
        if (unseeded.length > 0) return { status: 'unseeded', scopes: unseeded };
        for (const { p, c } of list) {
          if (c.used + plan.amount > p.scope.limitPico) return { status: 'exceeded', scope: p.scope, remainingPico: remaining(p.scope.limitPico, c.used) };
        }
        const id = randomUUID();
        const expiresAt = t + plan.ttlMs;
        for (const { c } of list) {
          c.used += plan.amount;
          c.live.set(id, { amount: plan.amount, expiresAt });
          if (expiresAt < c.nextLapse) c.nextLapse = expiresAt;
        }
        return {
          status: 'reserved',
          reservation: reservationOf({ id, amountPico: plan.amount, counters: Object.freeze(list.map(({ p }) => p.id)), expiresAt }, request.chargeId),
        };
      });
    },

    settle(reservation, actualPico): Promise<SettleStatus> {
      return promised(() => {
        open();
        const actual = toPico(actualPico, 'actualPico');
        const marker = reservation.chargeId === undefined ? undefined : chargeMarker(reservation.chargeId);
        const t = now();
        const outcome = finish(reservation, (c) => {
          c.used += actual;
          c.spent += actual;
          if (marker !== undefined && !c.lapsed.has(marker)) c.lapsed.set(marker, t);
        });
        return outcome === 'live' ? 'settled' : outcome === 'lapsed' ? 'late' : 'ignored';
      });
    },

    release(reservation): Promise<ReleaseStatus> {
      return promised(() => {
        open();
        const outcome = finish(reservation, () => {});
        return outcome === 'live' ? 'released' : outcome === 'lapsed' ? 'expired' : 'ignored';
      });
    },

    status(scope: BudgetScope): Promise<BudgetStatus> {
      return promised(() => {
        open();
        const plan = counterPlan(scope, retentionMs);
        const c = counters.get(plan.id);
        if (c !== undefined) reap(c, now());
        const spent = c?.spent ?? 0n;
        const used = c?.used ?? 0n;
        return {
          subject: scope.subject,
          periodKey: scope.window.key,
          limitPico: scope.limitPico,
          spentPico: spent,
          reservedPico: used - spent,
          remainingPico: remaining(scope.limitPico, used),
          periodStart: scope.window.start,
          periodEnd: scope.window.end,
          seeded: c?.seeded ?? false,
        };
      });
    },

    seed({ scope, spentPico }) {
      return promised(() => {
        open();
        const spent = toPico(spentPico, 'spentPico');
        const plan = counterPlan(scope, retentionMs);
        const c = counter(plan.id, plan.expireAt);
        if (c.seeded) return 'already';
        c.used += spent - c.spent;
        c.spent = spent;
        c.seeded = true;
        return 'seeded';
      });
    },

    charge(request): Promise<ChargeStatus> {
      return promised(() => {
        open();
        const plan = planCharge(request, retentionMs);
        const t = now();
        let outcome: ChargeStatus = plan.counters.length === 0 ? 'charged' : 'duplicate';
        for (const p of plan.counters) {
          const c = counter(p.id, p.expireAt);
          forgetOldLapses(c, t);
          if (c.lapsed.has(plan.marker)) continue;
          // An unseeded counter remembers the id too: its seed will count the charge, a retry must not.
          c.lapsed.set(plan.marker, t);
          outcome = 'charged';
          if (!c.seeded) continue;
          c.used += plan.amount;
          c.spent += plan.amount;
        }
        return outcome;
      });
    },

    close() {
      return promised(() => {
        closed = true;
        clearInterval(sweeper);
        counters.clear();
      });
    },
  };

  /**
   * Ends a reservation on each of its counters: a live one (even past its lapse time, if not yet
   * reaped: its amount is still held) gives back its amount; a lapsed one within the late-settle
   * window only stops being settleable. `record` then runs on both. 'live' if any counter held it live.
   */
  function finish(reservation: Reservation, record: (c: Counter) => void): 'live' | 'lapsed' | 'none' {
    let outcome: 'live' | 'lapsed' | 'none' = reservation.counters.length === 0 ? 'live' : 'none';
    for (const id of reservation.counters) {
      const c = counters.get(id);
      if (c === undefined) continue;
      const live = c.live.get(reservation.id);
      if (live !== undefined) {
        c.live.delete(reservation.id);
        c.used -= live.amount;
        outcome = 'live';
      } else {
        forgetOldLapses(c, now());
        if (!c.lapsed.delete(reservation.id)) continue;
        if (outcome === 'none') outcome = 'lapsed';
      }
      record(c);
    }
    return outcome;
  }
}

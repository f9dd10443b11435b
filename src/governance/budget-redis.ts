// Redis budget ledger: every replica shares the counters, and every operation is one Lua script
// (budget-redis-scripts.ts has the key layout), so N replicas enforce one limit, not N. Lapse
// times come from Redis's own clock (TIME), so replica clock skew cannot shorten a reservation.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { chargeMarker, counterPlan, ledgerSettings, planCharge, planReserve, remaining, reservationOf } from './budget-input.js';
import { CHARGE, RELEASE, RESERVE, SEED, SETTLE, STATUS } from './budget-redis-scripts.js';
import { toPico } from './pico.js';
import { redisScript } from './redis-script.js';
import { createRetryQueue } from './retry-queue.js';
import type { BudgetLedger, BudgetLedgerOptions, BudgetStatus, ChargeStatus, ReleaseStatus, ReserveResult, SettleStatus } from './budget-types.js';

export interface RedisBudgetLedgerOptions extends BudgetLedgerOptions {
  /** A connection the caller owns (not closed by `close`), or… */
  client?: Redis;
  /** …a URL to connect to (closed by `close`). Default redis://127.0.0.1:6379. */
  url?: string;
  /** Key prefix shared by the replicas (default "costwise:gov:"; "{costwise}:gov:" on a cluster). */
  prefix?: string;
  /** Longest wait for a reply on a connection this ledger opens (default 1,000 ms). */
  commandTimeoutMs?: number;
  /** How long failed settles, releases and charges are retried (default 60 s), and who hears of a loss. */
  retryHorizonMs?: number;
  onLost?: (what: string, err: unknown) => void;
}

const reserveScript = redisScript(RESERVE);
const settleScript = redisScript(SETTLE);
const releaseScript = redisScript(RELEASE);
const seedScript = redisScript(SEED);
const statusScript = redisScript(STATUS);
const chargeScript = redisScript(CHARGE);

export function createRedisBudgetLedger(opts: RedisBudgetLedgerOptions = {}): BudgetLedger {
  const owned = opts.client === undefined;
  const redis = opts.client ?? new Redis(opts.url ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1, commandTimeout: opts.commandTimeoutMs ?? 1_000 });
  if (owned) redis.on('error', () => {}); // failures surface per call as `unavailable`
  const prefix = opts.prefix ?? 'costwise:gov:';
  const { lateMs, retentionMs } = ledgerSettings(opts);
  const retries = createRetryQueue({ horizonMs: opts.retryHorizonMs ?? 60_000, ...(opts.onLost ? { onLost: opts.onLost } : {}) });
  let closed = false;

  const keysOf = (counters: readonly string[]): string[] => counters.flatMap((id) => [`${prefix}b:${id}`, `${prefix}bz:${id}`, `${prefix}bx:${id}`]);
  const open = (): void => {
    if (closed) throw new Error('costwise: the budget ledger is closed');
  };

  /** Runs a settle, release or charge script (all idempotent); a failure queues it for retry. */
  async function finish(what: string, run: () => Promise<unknown>): Promise<number[] | 'queued'> {
    try {
      return (await run()) as number[];
    } catch {
      retries.push(what, run);
      return 'queued';
    }
  }

  return {
    async reserve(request): Promise<ReserveResult> {
      open();
      const plan = planReserve(request, retentionMs);
      const id = randomUUID();
      if (plan.counters.length === 0)
        return {
          status: 'reserved',
          reservation: reservationOf({ id, amountPico: plan.amount, counters: [], expiresAt: Date.now() + plan.ttlMs }, request.chargeId),
        };
      const amount = plan.amount.toString();
      const args: Array<string | number> = [`${id}:${amount}`, amount, plan.ttlMs, lateMs];
      for (const c of plan.counters) args.push((c.scope.limitPico - plan.amount).toString(), c.expireAt ?? 0);
      let reply: Array<string | number>;
      try {
        reply = (await reserveScript(redis, keysOf(plan.counters.map((c) => c.id)), args)) as Array<string | number>;
      } catch (err) {
        return { status: 'unavailable', error: err instanceof Error ? err : new Error(String(err)) };
      }
      if (reply[0] === 'unseeded') return { status: 'unseeded', scopes: reply.slice(1).map((i) => plan.counters[Number(i) - 1]!.scope) };
      if (reply[0] === 'exceeded') {
        const scope = plan.counters[Number(reply[1]) - 1]!.scope;
        return { status: 'exceeded', scope, remainingPico: remaining(scope.limitPico, BigInt(reply[2]!)) };
      }
      const fields = { id, amountPico: plan.amount, counters: plan.counters.map((c) => c.id), expiresAt: Number(reply[1]) };
      return { status: 'reserved', reservation: reservationOf(fields, request.chargeId) };
    },

    async settle(reservation, actualPico): Promise<SettleStatus> {
      open();
      const actual = toPico(actualPico, 'actualPico');
      const amount = reservation.amountPico;
      if (reservation.counters.length === 0) return 'settled';
      const marker = reservation.chargeId === undefined ? '' : chargeMarker(reservation.chargeId);
      const args = [`${reservation.id}:${amount}`, actual.toString(), (actual - amount).toString(), lateMs, marker];
      const r = await finish(`settle of ${reservation.id}`, () => settleScript(redis, keysOf(reservation.counters), args));
      if (r === 'queued') return r;
      const [live = 0, lapsed = 0] = r;
      return live > 0 ? 'settled' : lapsed > 0 ? 'late' : 'ignored';
    },

    async release(reservation): Promise<ReleaseStatus> {
      open();
      const amount = reservation.amountPico;
      if (reservation.counters.length === 0) return 'released';
      const args = [`${reservation.id}:${amount}`, (-amount).toString(), lateMs];
      const r = await finish(`release of ${reservation.id}`, () => releaseScript(redis, keysOf(reservation.counters), args));
      if (r === 'queued') return r;
      const [released = 0, lapsed = 0] = r;
      return released > 0 ? 'released' : lapsed > 0 ? 'expired' : 'ignored';
    },

    async status(scope): Promise<BudgetStatus> {
      open();
      const plan = counterPlan(scope, retentionMs);
      const [spentText, usedText, seeded] = (await statusScript(redis, keysOf([plan.id]), [lateMs])) as Array<string | null>;
      const spent = BigInt(spentText ?? 0);
      const used = BigInt(usedText ?? 0);
      return {
        subject: scope.subject,
        periodKey: scope.window.key,
        limitPico: scope.limitPico,
        spentPico: spent,
        reservedPico: used - spent,
        remainingPico: remaining(scope.limitPico, used),
        periodStart: scope.window.start,
        periodEnd: scope.window.end,
        seeded: seeded === '1',
      };
    },

    async seed({ scope, spentPico }) {
      open();
      const spent = toPico(spentPico, 'spentPico').toString();
      const plan = counterPlan(scope, retentionMs);
      const r = await seedScript(redis, [`${prefix}b:${plan.id}`], [spent, plan.expireAt ?? 0]);
      return r === 1 ? 'seeded' : 'already';
    },

    async charge(request): Promise<ChargeStatus> {
      open();
      const plan = planCharge(request, retentionMs);
      if (plan.counters.length === 0) return 'charged';
      const args = [plan.marker, plan.amount.toString(), lateMs];
      const r = await finish(`charge ${request.id}`, () => chargeScript(redis, keysOf(plan.counters.map((c) => c.id)), args));
      if (r === 'queued') return r;
      const [charged = 0, unseeded = 0] = r;
      return charged > 0 || unseeded > 0 ? 'charged' : 'duplicate';
    },

    async close() {
      if (closed) return;
      closed = true;
      await retries.close();
      if (owned) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

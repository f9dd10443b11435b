// Ledger retention: rows older than `storage.retentionDays` are deleted in bounded steps (one
// statement of at most PRUNE_BATCH_ROWS rows each, by the ts index), at start and every hour.
//
// Hourly rollups (spend_hourly) are kept: spend and budgets read them, so /api/spend, a `total`
// budget and the dashboard's spend charts stay exact for all time, while the per-request rows
// (the detail: tags, routes, attempts) go. The cutoff is a whole hour, so a spend query whose
// bounds are at or after the cutoff reads only rows that are still there and answers exactly as
// before; a bound inside an hour before the cutoff misses that partial hour's pruned rows.
import type { DurableStore, PruneStep } from './types.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Rows per delete statement: short enough that ledger writes interleave between steps. */
export const PRUNE_BATCH_ROWS = 5_000;

/** Throws on a step a store must not run (a bad bound would delete the wrong rows). */
export function checkPruneStep(step: PruneStep): void {
  if (!Number.isSafeInteger(step.before) || step.before < 0) throw new Error(`costwise: prune bound must be epoch milliseconds, got ${String(step.before)}`);
  if (!Number.isSafeInteger(step.limit) || step.limit <= 0) throw new Error(`costwise: prune limit must be a positive integer, got ${String(step.limit)}`);
}

/** The start of the hour `days` before `now`: rows before it are pruned. */
export function retentionCutoff(now: number, days: number): number {
  return Math.max(0, Math.floor((now - days * DAY_MS) / HOUR_MS) * HOUR_MS);
}

export interface PruneOptions {
  /** Rows with ts < before (epoch ms) are deleted. */
  before: number;
  /** Rows per statement (default PRUNE_BATCH_ROWS). */
  batchRows?: number;
  /** After each statement, with the rows deleted so far. */
  onStep?: (deletedSoFar: number) => void;
}

/** Deletes every row before `before`, one bounded statement at a time; resolves with the count. */
export async function pruneLedger(store: DurableStore, opts: PruneOptions): Promise<number> {
  const limit = opts.batchRows ?? PRUNE_BATCH_ROWS;
  let deleted = 0;
  for (;;) {
    const n = await store.prune({ before: opts.before, limit });
    deleted += n;
    opts.onStep?.(deleted);
    if (n < limit) return deleted;
  }
}

export interface RetentionOptions {
  store: DurableStore;
  days: number;
  /** Between runs (default one hour). */
  everyMs?: number;
  now?: () => number;
  log?: (message: string) => void;
}

export interface RunningRetention {
  /** Resolves once the run in progress (if any) has finished; no run starts after. */
  stop(): Promise<void>;
  /** The current run (tests await it): how many rows it deleted. */
  idle(): Promise<number>;
}

/** Prunes at once and then every `everyMs`, one run at a time; failures are logged and retried next run. */
export function startRetention(o: RetentionOptions): RunningRetention {
  const now = o.now ?? Date.now;
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  let stopped = false;
  let running: Promise<number> = Promise.resolve(0);
  let failing = false;

  const run = (): void => {
    running = running.then(async () => {
      if (stopped) return 0;
      const before = retentionCutoff(now(), o.days);
      try {
        const deleted = await pruneLedger(o.store, { before });
        if (deleted > 0) log(`costwise: retention deleted ${deleted} ledger rows before ${new Date(before).toISOString()} (rollups kept)`);
        failing = false;
        return deleted;
      } catch (err) {
        if (!failing) log(`costwise: ledger retention failed, retried in the next run: ${err instanceof Error ? err.message : String(err)}`);
        failing = true;
        return 0;
      }
    });
  };
  run();
  const timer = setInterval(run, o.everyMs ?? HOUR_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
    idle: () => running,
  };
}

// The provider-neutral batch lifecycle, driven by the emulator's clock:
//
//   validating ──(startDelayMs)──▶ in_progress ──(all items)──▶ finalizing ──(finalizeMs)──▶ ended:completed
//        │                             │ item k is due at inProgressAt + k·1000/itemsPerSecond
//        │ (invalid input)             ├──(expiresAt reached)──▶ ended:expired   (the rest expire)
//        ▼                             └──cancel()──▶ cancelling ──(finalizeMs)──▶ ended:cancelled
//   ended:failed                                                  (the rest are canceled)
//
// Transition timestamps are the scheduled times on that clock, not the moment the runner noticed,
// so an injected clock gives exact, repeatable timestamps. advance() runs items only when they are
// due and only as many as its slice budget allows; the runner calls it again for the rest.
// Results are handed to the owner as they come (onResult), which keeps them in its wire format.
import { performance } from 'node:perf_hooks';
import { prng } from '../hash.js';
import type { BatchConfig } from './config.js';

export type Outcome =
  | { type: 'succeeded'; requestId: string; body: unknown }
  /** `status` as sent on the wire; `body` is the provider's error JSON. */
  | { type: 'errored'; status: number; requestId: string; body: unknown }
  | { type: 'canceled' }
  | { type: 'expired' };

export interface JobResult {
  customId: string;
  outcome: Outcome;
}

export type JobPhase = 'validating' | 'in_progress' | 'finalizing' | 'cancelling' | 'ended';
export type JobEnd = 'completed' | 'failed' | 'cancelled' | 'expired';

export interface JobTiming {
  createdAt: number;
  startDelayMs: number;
  itemsPerSecond: number;
  finalizeMs: number;
  expiresAt: number;
}

export function jobTiming(cfg: BatchConfig, createdAt: number, expireAfterMs: number): JobTiming {
  return { createdAt, startDelayMs: cfg.startDelayMs, itemsPerSecond: cfg.itemsPerSecond, finalizeMs: cfg.finalizeMs, expiresAt: createdAt + expireAfterMs };
}

export interface JobSpec<I extends { customId: string }> {
  items: readonly I[];
  timing: JobTiming;
  /** Seeds the processing order: items finish in a shuffled order, as real batches do. */
  orderSeed: number;
  /** Ends `failed` when validation ends (the OpenAI input file did not validate). */
  failValidation: boolean;
  execute(item: I): Promise<Outcome>;
  /** Each item's result, in completion order; canceled/expired items come when the batch ends. */
  onResult(result: JobResult): void;
  onEnd?(): void;
}

export interface Counts {
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** How much work one runner slice may do before yielding the event loop. */
export class SliceBudget {
  private items: number;
  private readonly deadline: number;
  constructor(maxItems: number, maxMs: number) {
    this.items = maxItems;
    this.deadline = performance.now() + maxMs;
  }
  take(): boolean {
    if (this.items <= 0 || performance.now() > this.deadline) return false;
    this.items--;
    return true;
  }
}

export class BatchJob<I extends { customId: string }> {
  phase: JobPhase = 'validating';
  end: JobEnd | null = null;
  inProgressAt: number | null = null;
  finalizingAt: number | null = null;
  cancelAt: number | null = null;
  endedAt: number | null = null;
  readonly counts: Counts = { succeeded: 0, errored: 0, canceled: 0, expired: 0 };
  private done = 0;
  private readonly order: number[];

  constructor(private readonly spec: JobSpec<I>) {
    this.order = shuffledIndexes(spec.items.length, spec.orderSeed);
  }

  get total(): number {
    return this.spec.items.length;
  }

  get timing(): JobTiming {
    return this.spec.timing;
  }

  get active(): boolean {
    return this.phase !== 'ended';
  }

  /** Moves the job to where the clock says it should be. Returns true when due work is left over. */
  async advance(now: number, budget: SliceBudget): Promise<boolean> {
    const t = this.spec.timing;
    for (;;) {
      switch (this.phase) {
        case 'ended':
          return false;
        case 'validating': {
          const start = t.createdAt + t.startDelayMs;
          if (t.expiresAt <= start && now >= t.expiresAt) return this.finish('expired', t.expiresAt);
          if (now < start) return false;
          if (this.spec.failValidation) return this.finish('failed', start);
          this.phase = 'in_progress';
          this.inProgressAt = start;
          continue;
        }
        case 'in_progress': {
          const due = Math.min(this.total, Math.floor(((Math.min(now, t.expiresAt) - this.inProgressAt!) * t.itemsPerSecond) / 1000));
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the phase changes during `await this.runNext()`
          while (this.done < due && this.phase === 'in_progress') {
            if (!budget.take()) return true;
            await this.runNext();
          }
          // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the phase changes during `await this.runNext()`
          if (this.phase !== 'in_progress') continue; // cancelled while an item ran
          if (this.done === this.total) {
            this.phase = 'finalizing';
            this.finalizingAt = Math.min(now, this.inProgressAt! + Math.ceil((this.total * 1000) / t.itemsPerSecond));
            continue;
          }
          if (now >= t.expiresAt) return this.finish('expired', t.expiresAt);
          return false;
        }
        case 'finalizing': {
          const at = this.finalizingAt! + t.finalizeMs;
          return now < at ? false : this.finish('completed', at);
        }
        case 'cancelling': {
          const at = this.cancelAt! + t.finalizeMs;
          return now < at ? false : this.finish('cancelled', at);
        }
      }
    }
  }

  /** false when the job has already ended. */
  cancel(now: number): boolean {
    if (this.phase === 'ended') return false;
    if (this.phase !== 'cancelling') {
      this.phase = 'cancelling';
      this.cancelAt = now;
    }
    return true;
  }

  private async runNext(): Promise<void> {
    const item = this.spec.items[this.order[this.done]!]!;
    this.done++;
    const outcome = await this.spec.execute(item);
    this.record({ customId: item.customId, outcome });
  }

  private record(result: JobResult): void {
    this.counts[result.outcome.type]++;
    this.spec.onResult(result);
  }

  private finish(end: JobEnd, at: number): false {
    // Items that never ran: expired or canceled. A failed validation ran nothing and reports nothing.
    if (end === 'expired' || end === 'cancelled') {
      const outcome: Outcome = end === 'expired' ? { type: 'expired' } : { type: 'canceled' };
      for (; this.done < this.total; this.done++) this.record({ customId: this.spec.items[this.order[this.done]!]!.customId, outcome });
    }
    this.phase = 'ended';
    this.end = end;
    this.endedAt = at;
    this.spec.onEnd?.();
    return false;
  }
}

function shuffledIndexes(n: number, seed: number): number[] {
  const rand = prng(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

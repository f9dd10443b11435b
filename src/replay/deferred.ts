// Deferred requests in a replay. A request that a policy defers (`batch.deferral.rules`, or
// `x-costwise-defer`) is answered 202 and runs later in a provider batch, at batch prices. The
// gateway's batch loop normally runs on a wall-time timer; in a replay it runs in 'manual' mode
// (and the emulator's batches without their background timer), and this drives it from the
// simulated clock: once every `batch.pollIntervalMs` of trace time while a batch is collecting or
// running, at those exact instants, between the trace's requests. After the last request the
// clock keeps moving, poll by poll, until every batch has ended, so every deferred request is on
// the ledger before the report is read. Same trace, same policy: same polls at the same times.
import type { BatchService } from '../batch/service.js';
import type { SimClock } from './clock.js';

/** The longest a replay waits, after its last request, for deferred work (a 24h window and slack). */
const DRAIN_LIMIT_MS = 25 * 60 * 60_000;

export class DeferredWork {
  /** The next poll instant while batch work is pending; null when there is none. */
  private nextPoll: number | null = null;

  constructor(
    private readonly batches: BatchService | undefined,
    private readonly clock: SimClock,
  ) {}

  /** A request was just deferred: polls start one interval from now, unless they are running. */
  deferred(): void {
    if (this.batches && this.nextPoll === null) this.nextPoll = this.clock.now() + this.batches.config.pollIntervalMs;
  }

  /** Runs every poll due at or before `t`, each at its own instant; call before moving to `t`. */
  async until(t: number): Promise<void> {
    const svc = this.batches;
    while (svc && this.nextPoll !== null && this.nextPoll <= t) {
      this.clock.advanceTo(this.nextPoll);
      await svc.runDue();
      this.nextPoll = (await svc.hasWork()) ? this.nextPoll + svc.config.pollIntervalMs : null;
    }
  }

  /**
   * After the trace: polls on until every batch has ended, or the limit. A deferred request still
   * without a ledger row then is reported under `errors` (summarize.ts).
   */
  async drain(): Promise<void> {
    await this.until(this.clock.now() + DRAIN_LIMIT_MS);
  }
}

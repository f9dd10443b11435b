// Drives every active batch of one emulator. A slice advances each active job to the current
// clock, running at most SLICE_ITEMS items or SLICE_MS of work, so the event loop is never held
// for long. While jobs are active an unref'd timer runs a slice every TICK_MS (at once, via
// setImmediate, when a slice left due work behind). Batch endpoints also run a slice before they
// answer, so a reply always reflects the clock at that moment (an injected clock needs no timer).
// Without `background`, there is no timer and a slice has no budget: every due item runs when an
// endpoint is called, so a replay on a simulated clock sees the same work at the same points.
import { SliceBudget } from './job.js';

const SLICE_ITEMS = 64;
const SLICE_MS = 8;
const TICK_MS = 20;

export interface Advanceable {
  readonly active: boolean;
  advance(now: number, budget: SliceBudget): Promise<boolean>;
}

export class BatchRunner {
  private inflight: Promise<void> | null = null;
  private timer: { kind: 'tick'; handle: NodeJS.Timeout } | { kind: 'now'; handle: NodeJS.Immediate } | null = null;
  private stopped = false;

  constructor(
    private readonly now: () => number,
    private readonly activeJobs: () => Advanceable[],
    private readonly background = true,
  ) {}

  /** Runs one slice (or joins the one in flight). */
  slice(): Promise<void> {
    this.inflight ??= this.runSlice().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** Makes sure the timer runs (after a batch was created). */
  wake(): void {
    if (this.background && !this.timer && !this.stopped) this.schedule(false);
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  private async runSlice(): Promise<void> {
    const budget = this.background ? new SliceBudget(SLICE_ITEMS, SLICE_MS) : new SliceBudget(Infinity, Infinity);
    let backlog = false;
    for (const job of this.activeJobs()) {
      try {
        if (await job.advance(this.now(), budget)) backlog = true;
      } catch {
        // Items capture their own errors; a throw here is an emulator bug, which must not take
        // the process down through an unhandled rejection from the timer.
      }
    }
    if (this.stopped || !this.background) return;
    this.clearTimer();
    if (this.activeJobs().length > 0) this.schedule(backlog);
  }

  private schedule(backlog: boolean): void {
    const run = (): void => {
      this.timer = null;
      void this.slice();
    };
    this.timer = backlog ? { kind: 'now', handle: setImmediate(run).unref() } : { kind: 'tick', handle: setTimeout(run, TICK_MS).unref() };
  }

  private clearTimer(): void {
    if (this.timer?.kind === 'now') clearImmediate(this.timer.handle);
    else if (this.timer?.kind === 'tick') clearTimeout(this.timer.handle);
    this.timer = null;
  }
}

// The simulated clock of a replay: it stands still while a request is served and jumps to the next
// request's trace time, so everything time-dependent in the pipeline (TTLs, reuse intervals, rate
// windows) sees the trace's timing, never the replay's wall time. A retry's back-off advances it.
import { seededRandom } from '../core/random.js';
import type { ResilienceDeps } from '../routing/resilience/index.js';

export class SimClock {
  private t: number;

  constructor(start: number) {
    this.t = start;
  }

  readonly now = (): number => this.t;

  /** Moves to `ts`; never backwards (a retry may have carried the clock past the next arrival). */
  advanceTo(ts: number): void {
    if (ts > this.t) this.t = ts;
  }

  advanceBy(ms: number): void {
    if (ms > 0) this.t += ms;
  }
}

/** Retries, breakers and balancing on the simulated clock, with a seeded PRNG. */
export function simulatedResilience(clock: SimClock, seed: number): ResilienceDeps {
  return {
    now: clock.now,
    random: seededRandom(seed),
    sleep: (ms) => {
      clock.advanceBy(ms);
      return Promise.resolve();
    },
  };
}

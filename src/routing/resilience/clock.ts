// Time and randomness as injectable dependencies, so every policy here is deterministic in tests.

export interface ResilienceDeps {
  /** Milliseconds; monotonic is preferred (`performance.now()`), wall clock works. */
  now: () => number;
  /** Uniform in [0, 1). */
  random: () => number;
  /** Resolves after `ms`; rejects (or resolves early) when `signal` aborts. */
  sleep: (ms: number, signal?: AbortLike) => Promise<void>;
}

/** Anything with `aborted` — the gateway's `CancelSignal` and DOM `AbortSignal` both fit. */
export interface AbortLike {
  readonly aborted: boolean;
  addEventListener?(type: 'abort', listener: () => void): void;
  removeEventListener?(type: 'abort', listener: () => void): void;
}

/** Real timers; a sleep ends early (resolving) when the signal aborts, so a gone caller is not held. */
export const systemDeps: ResilienceDeps = {
  now: () => performance.now(),
  random: Math.random,
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener?.('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener?.('abort', done);
    }),
};

/** Re-exported: the project's one seeded PRNG. */
export { seededRandom } from '../../core/random.js';

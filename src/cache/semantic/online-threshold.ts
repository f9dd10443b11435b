// Per-namespace thresholds learned from verified lookups, toward a target wrong-hit rate.
//
// A verification sample is a lookup whose best verified candidate had similarity s, and whether
// the fresh upstream answer agreed with the cached one. Would-be hits (s >= threshold) are sampled
// at `sampleRate` (each costs an upstream call); near misses (threshold - margin <= s < threshold)
// go upstream anyway, so all of them are checked for free — they are what lets a too-high
// threshold come down. Each sample is weighted by 1 / the chance it had of being checked, so the
// weighted wrong share among samples with s >= t estimates the wrong-hit rate a threshold t would
// have. The threshold becomes the lowest t of the grid within [floor, ceiling] whose estimate is at
// most the target with at least `minSamples` samples behind it, raised to the lowest similarity
// actually sampled above it (no lower than the evidence reaches); with too little evidence it stays.
import { wilson } from './calibration.js';

export interface OnlineThresholdOptions {
  /** Where each namespace starts (the calibrated threshold). */
  readonly initial: number;
  readonly target: number;
  readonly floor: number;
  readonly ceiling: number;
  /** Samples behind an estimate before it moves the threshold. */
  readonly minSamples: number;
  /** Recent samples kept per namespace. */
  readonly window: number;
  /** Namespaces tracked (the least recently updated is dropped beyond it). */
  readonly maxNamespaces: number;
}

export interface VerificationSample {
  readonly similarity: number;
  readonly wrong: boolean;
  /** 1 / probability that this lookup was checked. */
  readonly weight: number;
}

export interface NamespaceThresholdReport {
  readonly namespace: string;
  readonly threshold: number;
  readonly samples: number;
  /** Of the samples at or above the current threshold: the estimated wrong-hit rate and its 95% CI. */
  readonly samplesAtThreshold: number;
  readonly wrongHitRate: number | null;
  readonly wrongHitRateCi: readonly [number, number] | null;
}

const GRID_STEP = 0.005;

class NamespaceState {
  threshold: number;
  readonly samples: VerificationSample[] = [];
  private next = 0;
  constructor(initial: number) {
    this.threshold = initial;
  }
  push(s: VerificationSample, window: number): void {
    if (this.samples.length < window) this.samples.push(s);
    else this.samples[this.next] = s;
    this.next = (this.next + 1) % window;
  }
}

/** Weighted wrong share, effective sample size and count of the samples with similarity >= t. */
function estimate(samples: readonly VerificationSample[], t: number): { rate: number; n: number; nEff: number } {
  let w = 0;
  let w2 = 0;
  let wrong = 0;
  let n = 0;
  for (const s of samples) {
    if (s.similarity < t) continue;
    n++;
    w += s.weight;
    w2 += s.weight * s.weight;
    if (s.wrong) wrong += s.weight;
  }
  return { rate: w > 0 ? wrong / w : 0, n, nEff: w2 > 0 ? (w * w) / w2 : 0 };
}

/** The grid point just below the lowest sampled similarity >= t: no lower than the evidence reaches. */
function lowestSampledFrom(samples: readonly VerificationSample[], t: number): number {
  let lowest = Infinity;
  for (const s of samples) if (s.similarity >= t && s.similarity < lowest) lowest = s.similarity;
  return Math.floor(lowest / GRID_STEP + 1e-9) * GRID_STEP > t ? Math.round(Math.floor(lowest / GRID_STEP + 1e-9) * GRID_STEP * 1000) / 1000 : t;
}

export class OnlineThresholds {
  private readonly states = new Map<string, NamespaceState>();
  constructor(readonly opts: OnlineThresholdOptions) {}

  threshold(namespace: string): number {
    return this.states.get(namespace)?.threshold ?? this.opts.initial;
  }

  record(namespace: string, sample: VerificationSample): number {
    let state = this.states.get(namespace);
    if (state) this.states.delete(namespace);
    else state = new NamespaceState(this.opts.initial);
    this.states.set(namespace, state);
    while (this.states.size > this.opts.maxNamespaces) this.states.delete(this.states.keys().next().value!);
    state.push(sample, this.opts.window);
    state.threshold = this.fit(state);
    return state.threshold;
  }

  private fit(state: NamespaceState): number {
    const { floor, ceiling, target, minSamples } = this.opts;
    const steps = Math.round((ceiling - floor) / GRID_STEP);
    for (let i = 0; i <= steps; i++) {
      const t = Math.round((floor + i * GRID_STEP) * 1000) / 1000;
      const e = estimate(state.samples, t);
      if (e.n >= minSamples && e.rate <= target) return lowestSampledFrom(state.samples, t);
    }
    // No threshold keeps the target with enough evidence: if the current one demonstrably errs
    // too often, go to the ceiling; otherwise wait for more samples.
    const here = estimate(state.samples, state.threshold);
    return here.n >= minSamples && here.rate > target ? ceiling : state.threshold;
  }

  report(): NamespaceThresholdReport[] {
    return [...this.states].map(([namespace, s]) => {
      const e = estimate(s.samples, s.threshold);
      return {
        namespace,
        threshold: s.threshold,
        samples: s.samples.length,
        samplesAtThreshold: e.n,
        wrongHitRate: e.n ? e.rate : null,
        wrongHitRateCi: e.n ? wilson(e.rate * e.nEff, e.nEff) : null,
      };
    });
  }
}

// Censored (Kaplan–Meier) estimates of P(a prefix is seen again within T), learned online.
//
// Each arrival of a prefix that may carry a breakpoint starts a probe; the probe ends at the
// prefix's next arrival (an event at that gap) or keeps ageing. Waiting a full TTL for every
// verdict (the simple way) learns nothing about 5m reuse for the first 5 minutes and nothing about
// 1h reuse for an hour; counting hits at once but misses only later is biased upwards. Survival
// analysis uses every probe from its first seconds: the age axis is cut into bins, a probe that
// outlives a bin counts as "at risk, survived" there, one that ends inside it as "at risk, event",
// and P(gap < T) = 1 − Π over the bins below T of (1 − hazard). Each bin's hazard is shrunk
// towards a prior hazard (the coarser context's, or a constant rate) with a few pseudo-probes, so
// a bin no probe has outlived yet takes the prior instead of reading as "no further reuse": with
// hazard 0 there, a context seen for one minute would claim almost no reuse within 5m.
//
// An event is counted when the probe's age reaches the END of its bin, as a survival in that bin
// is. Counting it at once would make each bin's hazard read the events of probes still inside the
// bin against only the survivors of probes already past it; with forgetting (below), which weighs
// recent counts more, that bias doubled the estimated reuse of first prompts in the Mooncake
// trace (the first prompts it put at 0.2–0.3 came back within 5m 12% of the time).
//
// Forgetting: every probe that enters a curve discounts the curve's older counts by
// (1 − 1/memory), so a curve weighs about its last `memory` probes and follows a workload whose
// reuse rates drift (in the Mooncake trace the share of second arrivals that come back within 5m
// rises from ~0.6 to ~0.85 in 17 minutes). Counting in probes rather than wall-clock time keeps a
// quiet namespace's evidence as long as it needs.
//
// Memory: a Curve is 2 × AGE_BOUNDS_MS.length Float32 counts (each about ≤ memory); at most
// `maxPending` probes wait in each age queue (FIFO, the oldest dropped and forgotten).
import { TTL_MS, type Ttl } from './cost-model.js';

const S = 1000;
const M = 60 * S;
/** Upper ends of the age bins; the bins below 5m and 1h are exactly those ending at or before them. */
export const AGE_BOUNDS_MS: readonly number[] = [15 * S, 30 * S, M, 2 * M, 3 * M, 4 * M, 5 * M, 7.5 * M, 10 * M, 15 * M, 20 * M, 30 * M, 45 * M, 60 * M];
const BINS = AGE_BOUNDS_MS.length;
const binsBelow = (ms: number): number => AGE_BOUNDS_MS.filter((b) => b <= ms).length;
export const BINS_WITHIN: Readonly<Record<Ttl, number>> = { '5m': binsBelow(TTL_MS['5m']), '1h': binsBelow(TTL_MS['1h']) };

/** Probes a curve remembers by default (see the file comment). */
export const DEFAULT_CURVE_MEMORY = 100;

/** 1 − Π (1 − h): the chance of an event in some bin, given each bin's hazard. */
export function eventProbability(hazards: readonly number[]): number {
  let s = 1;
  for (const h of hazards) s *= 1 - h;
  return 1 - s;
}

/** Per-bin hazards of a constant event rate under which P(event within `withinMs`) = p. */
export function constantHazards(p: number, withinMs: number): number[] {
  const rate = -Math.log(1 - Math.min(Math.max(p, 0), 0.999)) / withinMs;
  return AGE_BOUNDS_MS.map((b, k) => 1 - Math.exp(-rate * (b - (k > 0 ? AGE_BOUNDS_MS[k - 1]! : 0))));
}

/** Event / at-risk counts per age bin for one context (2 × 14 Float32 = 112 bytes). */
export class Curve {
  readonly atRisk = new Float32Array(BINS);
  readonly events = new Float32Array(BINS);
  private readonly keep: number;

  constructor(readonly memory = DEFAULT_CURVE_MEMORY) {
    if (!(memory >= 1)) throw new RangeError('memory must be at least 1 probe');
    this.keep = 1 - 1 / memory;
  }

  /** One probe at risk in bin `k`, ending there when `event`; a new probe (k = 0) first discounts the old ones. */
  add(k: number, event: boolean): void {
    if (k === 0 && this.keep < 1) {
      for (let i = 0; i < BINS; i++) {
        this.atRisk[i]! *= this.keep;
        this.events[i]! *= this.keep;
      }
    }
    this.atRisk[k]!++;
    if (event) this.events[k]!++;
  }

  /**
   * Kaplan–Meier survival through bins [from, to) (1 = never seen again in that span). Each
   * hazard carries one pseudo-probe without an event, so a bin with one probe at risk and one
   * event does not read as certain reuse; the product stops at the first bin with fewer than
   * `minAtRisk` probes (no evidence counts as no further reuse).
   */
  survival(from: number, to: number, minAtRisk = 1): number {
    let s = 1;
    for (let k = from; k < to; k++) {
      const r = this.atRisk[k]!;
      if (r < minAtRisk || r === 0) break;
      s *= 1 - this.events[k]! / (r + 1);
    }
    return s;
  }

  /**
   * Hazards of bins [0, to), each shrunk towards `prior[k]` with `weight` pseudo-probes:
   * (events + weight × prior) / (atRisk + weight). A bin no probe has reached yet takes the prior.
   */
  hazards(prior: readonly number[], weight: number, to: number): number[] {
    const h = new Array<number>(to);
    for (let k = 0; k < to; k++) h[k] = (this.events[k]! + weight * prior[k]!) / (this.atRisk[k]! + weight);
    return h;
  }

  /** Probes still at risk when entering bin `k`. */
  atRiskFrom(k: number): number {
    return k < BINS ? this.atRisk[k]! : 0;
  }
}

export interface Probe {
  readonly t: number;
  /** The curves this probe counts in (e.g. a specific context and its pooled parent). */
  readonly curves: readonly Curve[];
  done: boolean;
  /** Bin of the event once the prefix has arrived again; counted when the probe's age reaches the bin's end. */
  eventBin: number;
}

/** A FIFO of probes waiting to outlive one age bound. */
class AgeQueue {
  private items: Probe[] = [];
  private head = 0;
  constructor(private readonly max: number) {}
  push(p: Probe): void {
    this.items.push(p);
    if (this.items.length - this.head > this.max) this.items[this.head++]!.done = true;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
  /** Removes and yields every live probe whose age reached `bound`. */
  *due(now: number, bound: number): Generator<Probe> {
    while (this.head < this.items.length && this.items[this.head]!.t + bound <= now) {
      const p = this.items[this.head++]!;
      if (!p.done) yield p;
    }
  }
  get size(): number {
    return this.items.length - this.head;
  }
}

/** Moves probes through the age bins as the clock advances; one per PrefixStats. */
export class ProbeClock {
  private readonly queues: AgeQueue[];
  constructor(maxPending: number) {
    this.queues = AGE_BOUNDS_MS.map(() => new AgeQueue(maxPending));
  }

  start(t: number, curves: readonly Curve[]): Probe {
    const p: Probe = { t, curves, done: false, eventBin: -1 };
    this.queues[0]!.push(p);
    return p;
  }

  /**
   * The probe's prefix arrived again `gap` ms after it started. Call `advance(now)` first. The
   * event is counted by advance() once the probe's age reaches the end of the gap's bin.
   */
  end(p: Probe, gap: number): void {
    if (p.done || p.eventBin >= 0) return;
    let k = 0;
    while (k < BINS && gap >= AGE_BOUNDS_MS[k]!) k++;
    if (k === BINS) {
      p.done = true;
      return;
    }
    p.eventBin = k;
  }

  /** Every live probe that outlived a bin by `now` counts as at risk, survived, in it. */
  advance(now: number): void {
    for (let k = 0; k < BINS; k++) {
      for (const p of this.queues[k]!.due(now, AGE_BOUNDS_MS[k]!)) {
        const event = p.eventBin === k;
        for (const c of p.curves) c.add(k, event);
        if (!event && k + 1 < BINS) this.queues[k + 1]!.push(p);
        else p.done = true;
      }
    }
  }

  get pending(): number {
    return this.queues.reduce((a, q) => a + q.size, 0);
  }
}

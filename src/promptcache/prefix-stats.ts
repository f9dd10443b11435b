// Observed arrivals per (namespace, prefix hash), turned into expected reuse.
//
// For a prefix seen before, P(next arrival within T) is the share of its recent inter-arrival gaps
// below T, shrunk towards a prior. For a prefix seen for the first time, the prior is learned per
// namespace: the share of NEW prefixes at the same distance from the end of their prompt (0 = the
// last block, …, 8 = eight or more blocks before the end) that were seen again within T, kept
// apart for prompts that are mostly new ('fresh') and prompts whose larger part was seen before
// ('continuing': a conversation that has already come back is likely to come back again). The
// distance matters: in a chat, the next turn repeats the previous prompt, but a last block that
// was cut mid-way (a partial block) or a user message that gets edited is not repeated.
//
// Memory bound: at most `maxPrefixes` prefix records (LRU; each holds ≤ `gapsPerPrefix` numbers,
// ~250 bytes, so ~25 MB at the default 100,000), at most `maxPending` new-prefix probes waiting for
// their 5m / 1h verdict (FIFO, oldest dropped), at most `maxNamespaces` namespace priors (LRU,
// 72 counters each).
import type { PromptBlock } from './blocks.js';
import { expectedReadsFromProbability, TTL_MS, type Ttl } from './cost-model.js';
import { BoundedLru } from './lru.js';
import type { ReuseEstimate, ReuseModel } from './reuse.js';
import { NO_REUSE } from './reuse.js';

export const MAX_OFFSET = 8;

export interface PrefixStatsOptions {
  maxPrefixes?: number;
  gapsPerPrefix?: number;
  maxPending?: number;
  maxNamespaces?: number;
  /** Prior mean of P(reuse within 5m) of a new prefix before a namespace has data. */
  priorMean?: number;
  /** Weight (pseudo-observations) of the prior. */
  priorWeight?: number;
}

export interface PrefixReuse extends ReuseEstimate {
  /** Arrivals seen (including the current one once observed); 0 when unknown. */
  arrivals: number;
  /** Mean of the recent inter-arrival gaps; null with fewer than two arrivals. */
  meanInterArrivalMs: number | null;
  pWithin: Readonly<Record<Ttl, number>>;
}

/** Prompts whose seen-before share of tokens is at least this are 'continuing'. */
export const CONTINUING_SHARE = 0.5;

type PromptClass = 0 | 1; // 0 fresh, 1 continuing

interface Probe {
  namespace: string;
  /** Index into the prior's counters: class × (MAX_OFFSET + 1) + offset. */
  slot: number;
  t: number;
  hit: Record<Ttl, boolean>;
}

interface PrefixRecord {
  arrivals: number;
  last: number;
  gaps: number[];
  gapNext: number;
  probe: Probe | undefined;
}

interface Prior {
  hits: Record<Ttl, number[]>;
  misses: Record<Ttl, number[]>;
}

const counters = (): number[] => new Array<number>(2 * (MAX_OFFSET + 1)).fill(0);
const slotOf = (cls: PromptClass, offset: number): number => cls * (MAX_OFFSET + 1) + offset;

/** A FIFO of probes awaiting their verdict for one TTL. */
class ProbeQueue {
  private items: Probe[] = [];
  private head = 0;
  constructor(private readonly max: number) {}
  push(p: Probe): void {
    this.items.push(p);
    if (this.items.length - this.head > this.max) this.head++;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
  /** Removes and yields every probe at least `ageMs` old. */
  *due(now: number, ageMs: number): Generator<Probe> {
    while (this.head < this.items.length && this.items[this.head]!.t + ageMs <= now) yield this.items[this.head++]!;
  }
  get size(): number {
    return this.items.length - this.head;
  }
}

export class PrefixStats implements ReuseModel {
  private readonly records: BoundedLru<string, PrefixRecord>;
  private readonly priors: BoundedLru<string, Prior>;
  private readonly pending: Record<Ttl, ProbeQueue>;
  private readonly gapsPerPrefix: number;
  private readonly priorMean: number;
  private readonly priorWeight: number;

  constructor(opts: PrefixStatsOptions = {}) {
    this.records = new BoundedLru(opts.maxPrefixes ?? 100_000);
    this.priors = new BoundedLru(opts.maxNamespaces ?? 10_000);
    const maxPending = opts.maxPending ?? 50_000;
    this.pending = { '5m': new ProbeQueue(maxPending), '1h': new ProbeQueue(maxPending) };
    this.gapsPerPrefix = opts.gapsPerPrefix ?? 8;
    this.priorMean = opts.priorMean ?? 0.3;
    this.priorWeight = opts.priorWeight ?? 2;
  }

  /** Prefix records held (≤ maxPrefixes). */
  get size(): number {
    return this.records.size;
  }

  get pendingProbes(): number {
    return this.pending['5m'].size + this.pending['1h'].size;
  }

  observe(namespace: string, blocks: readonly PromptBlock[], now: number): void {
    this.settle(now);
    const n = blocks.length;
    const cls = this.classify(namespace, blocks, now);
    for (let i = 0; i < n; i++) {
      const b = blocks[i]!;
      if (!b.cacheable) continue;
      const key = `${namespace}\u0000${b.hash}`;
      const rec = this.records.get(key);
      if (rec) {
        this.arrive(rec, now);
        continue;
      }
      const offset = n - 1 - i;
      let probe: Probe | undefined;
      if (offset <= MAX_OFFSET) {
        probe = { namespace, slot: slotOf(cls, offset), t: now, hit: { '5m': false, '1h': false } };
        this.pending['5m'].push(probe);
        this.pending['1h'].push(probe);
      }
      this.records.set(key, { arrivals: 1, last: now, gaps: [], gapNext: 0, probe });
    }
  }

  estimate(namespace: string, blocks: readonly PromptBlock[], _now: number): PrefixReuse[] {
    const n = blocks.length;
    const cls = this.classify(namespace, blocks, _now);
    return blocks.map((b, i) => {
      if (!b.cacheable) return { ...NO_REUSE, arrivals: 0, meanInterArrivalMs: null, pWithin: { '5m': 0, '1h': 0 } };
      return this.reuseOf(namespace, b.hash, slotOf(cls, Math.min(n - 1 - i, MAX_OFFSET)));
    });
  }

  /**
   * 'continuing' when most of the prompt's tokens were seen before this arrival (works whether
   * or not this arrival has been observed yet).
   */
  private classify(namespace: string, blocks: readonly PromptBlock[], now: number): PromptClass {
    let seen = 0;
    let total = 0;
    for (const b of blocks) {
      total += b.tokens;
      const rec = b.cacheable ? this.records.peek(`${namespace}\u0000${b.hash}`) : undefined;
      if (rec && (rec.arrivals >= 2 || rec.last < now)) seen += b.tokens;
    }
    return total > 0 && seen >= CONTINUING_SHARE * total ? 1 : 0;
  }

  /** The estimate for one prefix; `slot` = prompt class × (MAX_OFFSET + 1) + distance from the end. */
  reuseOf(namespace: string, hash: string, slot: number): PrefixReuse {
    const rec = this.records.peek(`${namespace}\u0000${hash}`);
    const p5 = this.probability(namespace, rec, '5m', slot);
    const p1 = Math.max(p5, this.probability(namespace, rec, '1h', slot));
    let mean: number | null = null;
    if (rec && rec.gaps.length > 0) mean = rec.gaps.reduce((a, g) => a + g, 0) / rec.gaps.length;
    return {
      arrivals: rec?.arrivals ?? 0,
      meanInterArrivalMs: mean,
      pWithin: { '5m': p5, '1h': p1 },
      expectedReads: { '5m': expectedReadsFromProbability(p5), '1h': expectedReadsFromProbability(p1) },
    };
  }

  /** P(reuse within TTL) learned for new prefixes in counter `slot` (see reuseOf). */
  newPrefixProbability(namespace: string, ttl: Ttl, slot: number): number {
    const prior = this.priors.peek(namespace);
    const hits = prior?.hits[ttl][slot] ?? 0;
    const misses = prior?.misses[ttl][slot] ?? 0;
    // Until 1h verdicts arrive, assume no reuse beyond what 5m already catches (so 1h never wins
    // on the prior alone).
    const mean = ttl === '1h' ? this.newPrefixProbability(namespace, '5m', slot) : this.priorMean;
    return (hits + this.priorWeight * mean) / (hits + misses + this.priorWeight);
  }

  private probability(namespace: string, rec: PrefixRecord | undefined, ttl: Ttl, slot: number): number {
    const prior = this.newPrefixProbability(namespace, ttl, slot);
    if (!rec || rec.gaps.length === 0) return prior;
    let below = 0;
    for (const g of rec.gaps) if (g < TTL_MS[ttl]) below++;
    return (below + prior) / (rec.gaps.length + 1);
  }

  private arrive(rec: PrefixRecord, now: number): void {
    const gap = now - rec.last;
    if (rec.gaps.length < this.gapsPerPrefix) rec.gaps.push(gap);
    else rec.gaps[rec.gapNext] = gap;
    rec.gapNext = (rec.gapNext + 1) % this.gapsPerPrefix;
    rec.last = now;
    rec.arrivals++;
    const probe = rec.probe;
    if (probe && rec.arrivals === 2) {
      rec.probe = undefined;
      for (const ttl of ['5m', '1h'] as const) if (gap < TTL_MS[ttl]) probe.hit[ttl] = true;
    }
  }

  /**
   * Probes reach their verdict once they are a full TTL old, hit or miss alike: counting hits as
   * they happen but misses only later would inflate the estimate while the namespace is young.
   */
  private settle(now: number): void {
    for (const ttl of ['5m', '1h'] as const) {
      for (const probe of this.pending[ttl].due(now, TTL_MS[ttl])) {
        const prior = this.prior(probe.namespace);
        (probe.hit[ttl] ? prior.hits : prior.misses)[ttl][probe.slot]!++;
      }
    }
  }

  private prior(namespace: string): Prior {
    let p = this.priors.get(namespace);
    if (!p) {
      p = { hits: { '5m': counters(), '1h': counters() }, misses: { '5m': counters(), '1h': counters() } };
      this.priors.set(namespace, p);
    }
    return p;
  }
}

// Observed arrivals per (namespace, prefix hash), turned into expected reuse.
//
// A block's expected reads depend on its CONTEXT: how many times its prefix has arrived (stage 0 =
// first arrival, 1 = second, 2 = third or later), whether the prompt is mostly new ('fresh') or
// mostly seen before ('continuing'), its distance from the end of the prompt (0 = the last block
// … MAX_OFFSET or more) and the prompt's size (log2 buckets of 1,024 tokens). For each context the
// namespace learns P(the prefix arrives again within T) online from every arrival, with censored
// (survival) estimates (survival.ts), so the first minutes of data already count and 1h reuse is
// learned from gaps as they age rather than an hour later. Shrinkage works per age bin: each
// hazard of the size-specific curve is shrunk towards its pooled (all sizes) context's, whose
// hazards are shrunk towards a constant rate giving the prior mean within 5m. So a size seen
// only for a minute borrows the pooled context's later bins rather than reading them as "no
// reuse". Each curve remembers about `memoryProbes` probes (older ones fade), so the estimates
// follow a drifting workload.
//
// Why those features: in a chat the next turn repeats the previous prompt, but a last block cut
// mid-way or a user message that gets edited is not repeated (offset); a prefix that has already
// come back is likely to come back again (stage, class); and how often a first prompt is followed
// up differs by workload and prompt size (long documents are re-queried, one-off prompts are not).
//
// Expected reads chain the stages: an entry written at stage s is read by the next arrival with
// probability p_s, after which it is at stage s+1, so E_s = p_s (1 + E_{s+1}) and at the last stage
// E = p / (1 − p). For a write decision the reads after the next arrival are credited only up to
// `deferralCredit` (cost-model.ts): that arrival could write the prefix itself. A prefix with its
// own gap history also uses it: the share of its gaps below T, with the context's probability as
// `gapPriorWeight` pseudo-gaps.
//
// Memory bound: at most `maxPrefixes` prefix records (LRU; each ≤ `gapsPerPrefix` numbers,
// ~250 bytes), at most `maxPending` probes per age bin (FIFO, oldest dropped; ~14 × 50,000 × ~60
// bytes at worst), at most `maxNamespaces` namespace models (LRU; curves of 112 bytes allocated on
// use, ≤ 3·2·9·(8+1) = 486 per namespace ≈ 54 KB, ~6 KB for a namespace of one prompt size).
import type { PromptBlock } from './blocks.js';
import { creditedReads, expectedReadsFromProbability, MAX_REUSE_PROBABILITY, TTL_MS, type Ttl } from './cost-model.js';
import { BoundedLru } from './lru.js';
import type { EstimateOptions, ReuseEstimate, ReuseModel } from './reuse.js';
import { NO_REUSE } from './reuse.js';
import { BINS_WITHIN, constantHazards, Curve, DEFAULT_CURVE_MEMORY, eventProbability, ProbeClock, type Probe } from './survival.js';

export const MAX_OFFSET = 8;
export const STAGES = 3;
export const SIZE_BUCKETS = 8;
/**
 * The 5m → 1h extension of a context counts an age bin only while at least this many probes are
 * at risk in it (the usual minimum sample for a proportion): a 1h write costs four times a 5m
 * one on Anthropic's prices, and thin late bins are where Kaplan–Meier estimates swing most.
 */
export const MIN_AT_RISK_BEYOND_5M = 30;
/** Gaps a prefix needs before its own history decides its 1h reuse (see reuseIn). */
export const OWN_GAPS_FOR_1H = 3;

export interface PrefixStatsOptions {
  maxPrefixes?: number;
  gapsPerPrefix?: number;
  maxPending?: number;
  maxNamespaces?: number;
  /** Prior mean of P(reuse within 5m) of a context before a namespace has data. */
  priorMean?: number;
  /** Pseudo-probes per age bin of the prior hazard against a pooled context's data. */
  priorWeight?: number;
  /** Pseudo-probes per age bin of the pooled context's hazard against a size-specific context's data. */
  sizeWeight?: number;
  /** Probes each context curve remembers (older evidence fades; see survival.ts). */
  memoryProbes?: number;
  /** Weight (pseudo-gaps) of the context's probability against a prefix's own gaps. */
  gapPriorWeight?: number;
}

/** Where a block sits; see the file comment. */
export interface ReuseContext {
  stage: number;
  continuing: boolean;
  offset: number;
  sizeBucket: number;
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

interface PrefixRecord {
  arrivals: number;
  last: number;
  gaps: number[];
  gapNext: number;
  probe: Probe | undefined;
}

type P = Record<Ttl, number>;

const pooledKey = (c: ReuseContext): number => (c.stage * 2 + (c.continuing ? 1 : 0)) * (MAX_OFFSET + 1) + Math.min(c.offset, MAX_OFFSET);
const specificKey = (c: ReuseContext): number => pooledKey(c) * SIZE_BUCKETS + c.sizeBucket;
const stageOf = (arrivals: number): number => Math.min(Math.max(arrivals - 1, 0), STAGES - 1);

/** log2 buckets of 1,024 tokens: < 2k → 0, 2k–4k → 1, …, ≥ 128k → 7. */
export function sizeBucketOf(tokens: number): number {
  return Math.min(SIZE_BUCKETS - 1, Math.max(0, Math.floor(Math.log2(Math.max(tokens, 1) / 1024))));
}

class NamespaceModel {
  readonly pooled = new Map<number, Curve>();
  readonly specific = new Map<number, Curve>();
  constructor(private readonly memory: number) {}
  curves(c: ReuseContext): Curve[] {
    const get = (m: Map<number, Curve>, k: number): Curve => {
      let v = m.get(k);
      if (!v) m.set(k, (v = new Curve(this.memory)));
      return v;
    };
    return [get(this.specific, specificKey(c)), get(this.pooled, pooledKey(c))];
  }
}

export class PrefixStats implements ReuseModel {
  private readonly records: BoundedLru<string, PrefixRecord>;
  private readonly models: BoundedLru<string, NamespaceModel>;
  private readonly clock: ProbeClock;
  private readonly gapsPerPrefix: number;
  private readonly priorMean: number;
  private readonly priorWeight: number;
  private readonly sizeWeight: number;
  private readonly gapPriorWeight: number;
  private readonly memoryProbes: number;
  /** Per-bin hazards of a constant rate with P(reuse within 5m) = priorMean. */
  private readonly priorHazards: number[];

  constructor(opts: PrefixStatsOptions = {}) {
    this.records = new BoundedLru(opts.maxPrefixes ?? 100_000);
    this.models = new BoundedLru(opts.maxNamespaces ?? 2_000);
    this.clock = new ProbeClock(opts.maxPending ?? 50_000);
    this.gapsPerPrefix = opts.gapsPerPrefix ?? 8;
    this.priorMean = opts.priorMean ?? 0.3;
    this.priorWeight = opts.priorWeight ?? 2;
    this.sizeWeight = opts.sizeWeight ?? 8;
    this.gapPriorWeight = opts.gapPriorWeight ?? 1;
    this.memoryProbes = opts.memoryProbes ?? DEFAULT_CURVE_MEMORY;
    this.priorHazards = constantHazards(this.priorMean, TTL_MS['5m']);
  }

  /** Prefix records held (≤ maxPrefixes). */
  get size(): number {
    return this.records.size;
  }

  get pendingProbes(): number {
    return this.clock.pending;
  }

  observe(namespace: string, blocks: readonly PromptBlock[], now: number): void {
    this.clock.advance(now);
    const n = blocks.length;
    const { continuing, sizeBucket } = this.classify(namespace, blocks, now);
    let model: NamespaceModel | undefined;
    for (let i = 0; i < n; i++) {
      const b = blocks[i]!;
      if (!b.cacheable) continue;
      const key = `${namespace}\u0000${b.hash}`;
      let rec = this.records.get(key);
      if (rec) this.arrive(rec, now);
      else this.records.set(key, (rec = { arrivals: 1, last: now, gaps: [], gapNext: 0, probe: undefined }));
      const offset = n - 1 - i;
      if (offset > MAX_OFFSET) continue;
      model ??= this.model(namespace);
      rec.probe = this.clock.start(now, model.curves({ stage: stageOf(rec.arrivals), continuing, offset, sizeBucket }));
    }
  }

  estimate(namespace: string, blocks: readonly PromptBlock[], now: number, opts: EstimateOptions = {}): PrefixReuse[] {
    const n = blocks.length;
    const { continuing, sizeBucket } = this.classify(namespace, blocks, now);
    const contextP = this.memoContextP(this.models.peek(namespace));
    return blocks.map((b, i) => {
      if (!b.cacheable) return { ...NO_REUSE, arrivals: 0, meanInterArrivalMs: null, pWithin: { '5m': 0, '1h': 0 } };
      return this.reuseIn(contextP, b.hash, namespace, { stage: 0, continuing, offset: n - 1 - i, sizeBucket }, opts.deferralCredit);
    });
  }

  /** The estimate for one prefix; `ctx.stage` is replaced by the prefix's own. */
  reuseOf(namespace: string, hash: string, ctx: Omit<ReuseContext, 'stage'> = { continuing: false, offset: 0, sizeBucket: 0 }): PrefixReuse {
    return this.reuseIn(this.memoContextP(this.models.peek(namespace)), hash, namespace, { ...ctx, stage: 0 });
  }

  /** P(arrival again within TTL) learned for a context (no prefix history). */
  contextProbability(namespace: string, ttl: Ttl, ctx: Partial<ReuseContext> = {}): number {
    const c: ReuseContext = { stage: 0, continuing: false, offset: 0, sizeBucket: 0, ...ctx };
    return this.contextP(this.models.peek(namespace), c)[ttl];
  }

  /** contextP for one estimate call, each context computed once (blocks share contexts). */
  private memoContextP(model: NamespaceModel | undefined): (c: ReuseContext) => P {
    const memo = new Map<number, P>();
    return (c) => {
      const k = specificKey(c);
      let v = memo.get(k);
      if (!v) memo.set(k, (v = this.contextP(model, c)));
      return v;
    };
  }

  private reuseIn(contextP: (c: ReuseContext) => P, hash: string, namespace: string, base: ReuseContext, credit?: Readonly<Record<Ttl, number>>): PrefixReuse {
    const rec = this.records.peek(`${namespace}\u0000${hash}`);
    const stage = stageOf(rec?.arrivals ?? 0);
    const ctx = { ...base, stage };
    const prior = contextP(ctx);
    const p: P = { '5m': prior['5m'], '1h': prior['1h'] };
    let mean: number | null = null;
    if (rec && rec.gaps.length > 0) {
      mean = rec.gaps.reduce((a, g) => a + g, 0) / rec.gaps.length;
      const share = (ttl: Ttl): number => {
        let below = 0;
        for (const g of rec.gaps) if (g < TTL_MS[ttl]) below++;
        return (below + this.gapPriorWeight * prior[ttl]) / (rec.gaps.length + this.gapPriorWeight);
      };
      p['5m'] = share('5m');
      // A few finished gaps below 1h say little (the open gap is ignored, and a short history
      // has every gap below 1h), so until OWN_GAPS_FOR_1H gaps the 5m → 1h extension is the context's.
      const later = prior['5m'] < 1 ? (prior['1h'] - prior['5m']) / (1 - prior['5m']) : 0;
      p['1h'] = rec.gaps.length >= OWN_GAPS_FOR_1H ? Math.max(share('1h'), p['5m']) : p['5m'] + (1 - p['5m']) * later;
    }
    // Expected reads after the next arrival: at the last stage the same chain again, before it
    // the later stages' contexts.
    const later = (ttl: Ttl): number => {
      let l = stage === STAGES - 1 ? expectedReadsFromProbability(p[ttl]) : 0;
      for (let s = STAGES - 1; s > stage; s--) {
        const q = Math.min(contextP({ ...ctx, stage: s })[ttl], MAX_REUSE_PROBABILITY);
        l = s === STAGES - 1 ? expectedReadsFromProbability(q) : q * (1 + l);
      }
      return l;
    };
    const expectedReads = creditedReads({ pWithin: p, laterReads: { '5m': later('5m'), '1h': later('1h') } }, credit);
    return { arrivals: rec?.arrivals ?? 0, meanInterArrivalMs: mean, pWithin: p, expectedReads };
  }

  /**
   * 5m: the size-specific censored estimate, each bin's hazard shrunk towards the pooled
   * context's, shrunk towards the prior's (see the file comment). 1h adds the pooled context's
   * chance of an arrival between 5m and 1h given none before 5m, shrunk towards none (so 1h never
   * wins on the prior alone).
   */
  private contextP(model: NamespaceModel | undefined, ctx: ReuseContext): P {
    const pool = model?.pooled.get(pooledKey(ctx));
    const spec = model?.specific.get(specificKey(ctx));
    const to = BINS_WITHIN['5m'];
    const pooledHazards = pool ? pool.hazards(this.priorHazards, this.priorWeight, to) : this.priorHazards.slice(0, to);
    const p5 = eventProbability(spec ? spec.hazards(pooledHazards, this.sizeWeight, to) : pooledHazards);
    let later = 0;
    const n = pool?.atRiskFrom(BINS_WITHIN['5m']) ?? 0;
    if (pool && n > 0) later = (n * (1 - pool.survival(BINS_WITHIN['5m'], BINS_WITHIN['1h'], MIN_AT_RISK_BEYOND_5M))) / (n + this.priorWeight);
    return { '5m': p5, '1h': p5 + (1 - p5) * later };
  }

  /** 'continuing' when most of the prompt's tokens were seen before this arrival (before or after observe). */
  private classify(namespace: string, blocks: readonly PromptBlock[], now: number): { continuing: boolean; sizeBucket: number } {
    let seen = 0;
    let total = 0;
    for (const b of blocks) {
      total += b.tokens;
      const rec = b.cacheable ? this.records.peek(`${namespace}\u0000${b.hash}`) : undefined;
      if (rec && (rec.arrivals >= 2 || rec.last < now)) seen += b.tokens;
    }
    return { continuing: total > 0 && seen >= CONTINUING_SHARE * total, sizeBucket: sizeBucketOf(total) };
  }

  private arrive(rec: PrefixRecord, now: number): void {
    // Another replica's arrival can be merged after a later local one: count it as simultaneous.
    const gap = Math.max(0, now - rec.last);
    if (rec.probe) this.clock.end(rec.probe, gap);
    rec.probe = undefined;
    if (rec.gaps.length < this.gapsPerPrefix) rec.gaps.push(gap);
    else rec.gaps[rec.gapNext] = gap;
    rec.gapNext = (rec.gapNext + 1) % this.gapsPerPrefix;
    rec.last = Math.max(rec.last, now);
    rec.arrivals++;
  }

  private model(namespace: string): NamespaceModel {
    let m = this.models.get(namespace);
    if (!m) this.models.set(namespace, (m = new NamespaceModel(this.memoryProbes)));
    return m;
  }
}

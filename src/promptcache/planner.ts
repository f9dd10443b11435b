// Where to put Anthropic cache breakpoints on a prompt no caller marked.
//
// Model (see cost-model.ts): breakpoints at blocks c1 < c2 < … (after A, the end of the longest
// prefix believed cached) split the prompt into segments (A, c1], (c1, c2], …; the emulator bills
// read A, then each segment at its breakpoint's write price. A later request reads the LONGEST
// cached prefix it contains, so the segment (c_{j−1}, c_j] is repaid only by later requests that
// contain block c_j: its value is  len × (E_T[reads of c_j] × (input − cacheRead) − premium_T).
// Any request containing block i+1 contains block i, so expected reads are made non-increasing
// along the prompt; then only the last block of a run of equal estimates can be a useful end, and
// a small dynamic programme picks ≤ 4 ends and their TTLs (1h ones first, as the API requires).
// The cached prefix is read only if some breakpoint lies within 20 blocks after it: either the
// first write does, or one breakpoint is spent on A itself.
import { LOOKBACK_BLOCKS, MAX_BREAKPOINTS } from '../providers/anthropic-cache-rules.js';
import type { ModelPricing } from '../cost/prices.js';
import { blockEnds, type PromptBlock } from './blocks.js';
import { deferralCredit, readSaving, segmentValuePerToken, unitPrices, type Ttl, type UnitPrices } from './cost-model.js';
import type { ReuseModel } from './reuse.js';

export type PlannerMode = 'auto' | 'aggressive';

/**
 * `aggressive` lowers the bar: a segment is written once its expected reads repay HALF the write
 * premium, i.e. it accepts an expected loss of up to half the premium to catch reuse the
 * statistics have not seen yet.
 */
export const AGGRESSIVE_PREMIUM_FACTOR = 0.5;

export interface Breakpoint {
  blockIndex: number;
  ttl: Ttl;
}

export interface BreakpointPlan {
  breakpoints: Breakpoint[];
  /** Expected saving against no caching, in pico-dollars (the read of A plus the writes' value). */
  expectedSavingPico: number;
  reason: string;
  /** Tokens of the prefix believed to be in the provider's cache (read by this request). */
  cachedTokens: number;
  /** Most arrivals seen of a prefix of this prompt long enough to cache (this one included; 0 when not counted). */
  seen: number;
}

export interface PlanOptions {
  pricing: ModelPricing;
  minCacheableTokens: number;
  mode: PlannerMode;
  now: number;
  /** Expected reuse per block; the caller has already `observe`d this request. */
  stats: Pick<ReuseModel, 'estimate'>;
  namespace: string;
  /** Prefix hashes believed to be in the provider's cache now. */
  existingCachedPrefixes?: ReadonlySet<string>;
  /** The TTLs the endpoint can carry (Bedrock Converse: 5m only); default both. */
  ttls?: readonly Ttl[];
}

const BOTH_TTLS: readonly Ttl[] = ['1h', '5m'];

interface Step {
  block: number;
  ttl: Ttl;
  value: number;
  prev: Step | null;
  count: number;
  /** Whether a 5m breakpoint has been used (no 1h may follow). */
  short: boolean;
}

const empty = (reason: string): BreakpointPlan => ({ breakpoints: [], expectedSavingPico: 0, reason, cachedTokens: 0, seen: 0 });

export function planBreakpoints(blocks: readonly PromptBlock[], opts: PlanOptions): BreakpointPlan {
  const n = blocks.length;
  const ends = blockEnds(blocks);
  const total = n > 0 ? ends[n - 1]! : 0;
  const min = opts.minCacheableTokens;
  if (total < min) return empty(`prompt of ${total} tokens is below the minimum cacheable length ${min}`);
  const prices = unitPrices(opts.pricing, total);
  const factor = opts.mode === 'aggressive' ? AGGRESSIVE_PREMIUM_FACTOR : 1;
  const usable = (i: number): boolean => blocks[i]!.cacheable && ends[i]! >= min;

  let cached = -1;
  if (opts.existingCachedPrefixes && opts.existingCachedPrefixes.size > 0) {
    for (let i = n - 1; i >= 0; i--) {
      if (usable(i) && opts.existingCachedPrefixes.has(blocks[i]!.hash)) {
        cached = i;
        break;
      }
    }
  }
  const start = cached >= 0 ? ends[cached]! : 0;

  const estimates = opts.stats.estimate(opts.namespace, blocks, opts.now, { deferralCredit: deferralCredit(prices) });
  let seen = 0;
  estimates.forEach((e, i) => {
    if (usable(i)) seen = Math.max(seen, e.arrivals ?? 0);
  });
  const reads = monotoneReads(estimates);
  const candidates = candidateEnds({ blocks, ends, usable, reads, cached, start });
  const value = (c: number, ttl: Ttl): number => segmentValuePerToken(prices, ttl, reads[c]![ttl], factor);

  let best: Step | null;
  let reserveRead = false;
  const ttls = opts.ttls ?? BOTH_TTLS;
  if (cached < 0) best = bestSteps({ candidates, ends, start, slots: MAX_BREAKPOINTS, firstWithin: Infinity, value, ttls });
  else {
    const free = bestSteps({ candidates, ends, start, slots: MAX_BREAKPOINTS, firstWithin: cached + LOOKBACK_BLOCKS - 1, value, ttls });
    const reserved = bestSteps({ candidates, ends, start, slots: MAX_BREAKPOINTS - 1, firstWithin: Infinity, value, ttls });
    best = free;
    if (reserved && (!free || reserved.value > free.value)) {
      best = reserved;
      reserveRead = true;
    }
  }

  const writes: Breakpoint[] = [];
  for (let s = best; s; s = s.prev) writes.unshift({ blockIndex: s.block, ttl: s.ttl });
  const readValue = cached >= 0 ? start * readSaving(prices) : 0;
  const breakpoints: Breakpoint[] = [];
  if (cached >= 0 && (reserveRead || writes.length === 0)) {
    // A 5m marker after a 1h one is an API error, so the read marker takes the first write's TTL.
    breakpoints.push({ blockIndex: cached, ttl: writes[0]?.ttl ?? '5m' });
  }
  breakpoints.push(...writes);
  return {
    breakpoints,
    expectedSavingPico: Math.round(readValue + (best?.value ?? 0)),
    reason: describe({ cached, start, writes, reads, prices }),
    cachedTokens: start,
    seen,
  };
}

/** Running maximum from the end: a request containing block i+1 also contains block i. */
function monotoneReads(est: ReadonlyArray<{ expectedReads: Readonly<Record<Ttl, number>> }>): Array<Record<Ttl, number>> {
  const out = new Array<Record<Ttl, number>>(est.length);
  let r5 = 0;
  let r1 = 0;
  for (let i = est.length - 1; i >= 0; i--) {
    r5 = Math.max(r5, est[i]!.expectedReads['5m']);
    r1 = Math.max(r1, est[i]!.expectedReads['1h'], r5);
    out[i] = { '5m': r5, '1h': r1 };
  }
  return out;
}

/** Usable blocks after the cached prefix that end a run of equal estimates (plus the lookback edge). */
function candidateEnds(p: {
  blocks: readonly PromptBlock[];
  ends: readonly number[];
  usable: (i: number) => boolean;
  reads: ReadonlyArray<Record<Ttl, number>>;
  cached: number;
  start: number;
}): number[] {
  const all: number[] = [];
  for (let i = p.cached + 1; i < p.blocks.length; i++) if (p.usable(i) && p.ends[i]! > p.start) all.push(i);
  const edge = p.cached >= 0 ? p.cached + LOOKBACK_BLOCKS - 1 : -1;
  let lastWithinEdge = -1;
  for (const i of all) if (i <= edge) lastWithinEdge = i;
  return all.filter((i, k) => {
    const next = all[k + 1];
    if (next === undefined || i === lastWithinEdge) return true;
    const a = p.reads[i]!;
    const b = p.reads[next]!;
    return a['5m'] !== b['5m'] || a['1h'] !== b['1h'];
  });
}

/**
 * The most valuable chain of ≤ `slots` segment ends (value > 0), the first end at block
 * ≤ `firstWithin`, TTLs non-increasing (1h before 5m). Null when nothing pays.
 */
function bestSteps(p: {
  candidates: readonly number[];
  ends: readonly number[];
  start: number;
  slots: number;
  firstWithin: number;
  value: (block: number, ttl: Ttl) => number;
  ttls: readonly Ttl[];
}): Step | null {
  // states[j] holds the best chains ending at candidate j, one per (count, short) pair.
  const states: Step[][] = p.candidates.map(() => []);
  let best: Step | null = null;
  const offer = (j: number, s: Step): void => {
    const list = states[j]!;
    const same = list.findIndex((x) => x.count === s.count && x.short === s.short);
    if (same < 0) list.push(s);
    else if (list[same]!.value < s.value) list[same] = s;
    else return;
    if (s.value > 0 && (!best || s.value > best.value)) best = s;
  };
  for (let j = 0; j < p.candidates.length; j++) {
    const c = p.candidates[j]!;
    const extend = (prev: Step | null, from: number): void => {
      for (const ttl of p.ttls) {
        if (ttl === '1h' && prev?.short) continue;
        const value = (prev?.value ?? 0) + (p.ends[c]! - from) * p.value(c, ttl);
        offer(j, { block: c, ttl, value, prev, count: (prev?.count ?? 0) + 1, short: ttl === '5m' });
      }
    };
    if (c <= p.firstWithin) extend(null, p.start);
    for (let i = 0; i < j; i++) {
      for (const prev of states[i]!) if (prev.count < p.slots) extend(prev, p.ends[p.candidates[i]!]!);
    }
  }
  return best;
}

function describe(p: { cached: number; start: number; writes: readonly Breakpoint[]; reads: ReadonlyArray<Record<Ttl, number>>; prices: UnitPrices }): string {
  const parts: string[] = [];
  if (p.cached >= 0) parts.push(`read cached prefix ending at block ${p.cached} (${p.start} tokens)`);
  for (const w of p.writes) parts.push(`write ${w.ttl} to block ${w.blockIndex} (expected reads ${p.reads[w.blockIndex]![w.ttl].toFixed(2)})`);
  if (parts.length === 0) parts.push('no prefix is expected to be reused enough to repay a cache write');
  return parts.join('; ');
}

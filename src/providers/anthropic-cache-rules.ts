// How Anthropic's explicit prompt cache behaves (PROVIDER_PROTOCOLS.md §4): its rules (at most 4
// breakpoints, 20-block lookback, minimum cacheable lengths, TTLs) and a faithful model of it. The
// emulator serves with this model, and the gateway's prompt-cache planner tracks with it, so both
// follow the same rules.
// Breakpoints are the cacheable
// blocks of the layout (tools → system → messages) that carry `cache_control`, plus the last
// cacheable block when the request has a top-level `cache_control`. Entries are keyed by model +
// hash of the whole prefix up to a block, written only at breakpoints at or above the model's
// minimum, and found by looking back up to 20 blocks from each breakpoint. Billing:
//   A = highest hit, B = highest 1h breakpoint after A, C = last breakpoint:
//   read A, 1h write B−A, 5m write C−B, input total−C.
// A plan is computed first; its writes and TTL refreshes happen on commit(), which the handler
// calls when the response starts (an entry is usable only once the first response has started).
import type { CacheControl } from '../core/canonical.js';
import type { PromptSegment } from '../tokens/count.js';
import { hashString, RunningHash } from '../core/running-hash.js';

/** A request that breaks the cache's rules; the provider answers it with a 400. */
export class CacheRuleViolation extends Error {
  override readonly name = 'CacheRuleViolation';
}

export const MAX_BREAKPOINTS = 4;
export const LOOKBACK_BLOCKS = 20;
const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;

/** Minimum cacheable prefix by model-id prefix (longest matching prefix wins; default 1024). */
export const DEFAULT_MIN_CACHE_TOKENS: Record<string, number> = {
  'claude-sonnet-4': 1024,
  'claude-opus-4': 1024,
  'claude-3-7-sonnet': 1024,
  'claude-3-5-sonnet': 1024,
  'claude-3-haiku': 2048,
  'claude-3-5-haiku': 2048,
  'claude-sonnet-4-6': 2048,
  'claude-opus-4-5': 4096,
  'claude-opus-4-6': 4096,
  'claude-haiku-4-5': 4096,
};

export function minCacheTokens(model: string, table: Record<string, number>): number {
  let best = -1;
  let value = 1024;
  for (const [prefix, n] of Object.entries(table)) {
    if (model.startsWith(prefix) && prefix.length > best) {
      best = prefix.length;
      value = n;
    }
  }
  return value;
}

export interface CacheUsage {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
}

export interface CachePlan {
  usage: CacheUsage;
  commit(): void;
}

interface Block {
  pos: number;
  key: string;
  cc: CacheControl | undefined;
}

interface Entry {
  expires: number;
  ttlMs: number;
}

const NOOP = (): void => {};

export class AnthropicPromptCache {
  private readonly entries = new Map<string, Entry>();
  constructor(
    private readonly now: () => number,
    private readonly minTable: Record<string, number>,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Throws CacheRuleViolation for more than 4 breakpoints or a 1h breakpoint after a 5m one. */
  plan(model: string, segments: readonly PromptSegment[], topLevel?: CacheControl): CachePlan {
    let total = 0;
    let breakpoints = 0;
    let lastBlockHasCc = false;
    for (const s of segments) {
      total += s.tokens;
      if (s.block) lastBlockHasCc = s.cacheControl !== undefined;
      if (s.block && s.cacheControl) breakpoints++;
    }
    if (topLevel && !lastBlockHasCc && segments.some((s) => s.block)) breakpoints++;
    if (breakpoints > MAX_BREAKPOINTS) {
      throw new CacheRuleViolation(`A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`);
    }
    const none = { inputTokens: total, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0 };
    if (breakpoints === 0) return { usage: none, commit: NOOP };

    const blocks = this.blocks(model, segments, topLevel);
    const bps: Array<Block & { index: number }> = [];
    blocks.forEach((b, index) => {
      if (b.cc !== undefined) bps.push({ pos: b.pos, key: b.key, cc: b.cc, index });
    });
    let seen5m = false;
    for (const bp of bps) {
      if (bp.cc?.ttl === '1h' && seen5m) {
        throw new CacheRuleViolation(
          "a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed in the following order: `tools`, `system`, `messages`.",
        );
      }
      if (bp.cc?.ttl !== '1h') seen5m = true;
    }

    const now = this.now();
    const min = minCacheTokens(model, this.minTable);
    const effective = bps.filter((b) => b.pos >= min);
    let a = 0;
    const hits: string[] = [];
    for (const bp of effective) {
      for (let k = bp.index; k >= 0 && k > bp.index - LOOKBACK_BLOCKS; k--) {
        const blk = blocks[k]!;
        const e = this.entries.get(blk.key);
        if (e && e.expires > now) {
          hits.push(blk.key);
          if (blk.pos > a) a = blk.pos;
          break;
        }
      }
    }
    let b = a;
    let c = a;
    for (const bp of effective) {
      if (bp.pos <= a) continue;
      if (bp.cc?.ttl === '1h') b = Math.max(b, bp.pos);
      c = Math.max(c, bp.pos);
    }
    const usage = { inputTokens: total - c, cacheReadTokens: a, cacheWrite1hTokens: b - a, cacheWrite5mTokens: c - b };
    const commit = (): void => {
      const t = this.now();
      for (const key of hits) {
        const e = this.entries.get(key);
        if (e) e.expires = t + e.ttlMs;
      }
      for (const bp of effective) {
        const ttlMs = TTL_MS[bp.cc?.ttl ?? '5m'];
        const e = this.entries.get(bp.key);
        if (e && e.expires > t) e.expires = t + Math.max(e.ttlMs, ttlMs);
        else if (bp.pos > a) this.entries.set(bp.key, { expires: t + ttlMs, ttlMs });
      }
      if (this.entries.size > 100_000) this.sweep(t);
    };
    return { usage, commit };
  }

  /** Every cacheable block with its end position and prefix key; breakpoints keep their cc. */
  private blocks(model: string, segments: readonly PromptSegment[], topLevel?: CacheControl): Block[] {
    const h = new RunningHash(hashString(model));
    const blocks: Block[] = [];
    let pos = 0;
    for (const s of segments) {
      pos += s.tokens;
      if (s.text !== null) h.strDigest(s.text);
      else h.strDigest(s.tag).int(s.tokens);
      if (s.block) blocks.push({ pos, key: `${model}\u0000${h.key()}`, cc: s.cacheControl });
    }
    const last = blocks[blocks.length - 1];
    if (topLevel && last && !last.cc) last.cc = topLevel;
    return blocks;
  }

  private sweep(now: number): void {
    for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
  }
}

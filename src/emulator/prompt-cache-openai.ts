// OpenAI automatic prompt caching (PROVIDER_PROTOCOLS.md §2). The prompt is the token sequence of
// its layout (src/tokens/layout.ts), whose length is exactly `prompt_tokens`. For prompts of at
// least `minTokens`, the running hash of the token sequence is recorded at every cache step
// boundary (1024, 1152, …); a later request hits the longest boundary whose prefix hash is stored
// and fresh. Entries live 10 minutes after their last use, and at most one hour.
import { encodeText, type PromptSegment } from '../tokens/count.js';
import { hashString, RunningHash, stringDigest } from '../core/running-hash.js';

export interface OpenAICacheConfig {
  minTokens: number;
  step: number;
  now: () => number;
  idleMs?: number;
  maxAgeMs?: number;
}

interface Entry {
  created: number;
  lastUsed: number;
}

const MAX_ENTRIES = 500_000;

export class OpenAIPromptCache {
  private readonly entries = new Map<string, Entry>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;

  constructor(private readonly cfg: OpenAICacheConfig) {
    this.idleMs = cfg.idleMs ?? 10 * 60_000;
    this.maxAgeMs = cfg.maxAgeMs ?? 60 * 60_000;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /** Boundary keys of the prompt: `keys[i]` names the prefix of `min + i·step` tokens. */
  private boundaryKeys(model: string, scope: string, segments: readonly PromptSegment[], total: number): string[] {
    const { minTokens, step } = this.cfg;
    const keys: string[] = [];
    const h = new RunningHash(hashString(`${model}\u0000${scope}`));
    let pos = 0;
    let next = minTokens;
    for (const seg of segments) {
      if (next > total) break;
      if (seg.tokens === 0) continue;
      const tokens = seg.text !== null ? encodeText(seg.text, model) : null;
      const tag = tokens ? 0 : stringDigest(seg.tag) | 0x40000000; // outside real token ids
      const end = pos + seg.tokens;
      // Whole stretches between boundaries are hashed in a tight loop.
      for (let i = 0; pos < end;) {
        const stop = Math.min(end, next);
        for (; pos < stop; pos++, i++) h.int(tokens ? tokens[i]! : tag ^ i);
        if (pos === next) {
          keys.push(`${next}:${h.key()}`);
          next += step;
        }
      }
    }
    return keys;
  }

  /**
   * Cached tokens for this prompt (0 below the minimum), then records the prompt's prefixes so a
   * later request sharing them hits.
   */
  lookupAndStore(model: string, promptCacheKey: string | undefined, segments: readonly PromptSegment[], total: number): number {
    if (total < this.cfg.minTokens) return 0;
    const now = this.cfg.now();
    const keys = this.boundaryKeys(model, promptCacheKey ?? '', segments, total);
    let cached = 0;
    for (let i = keys.length - 1; i >= 0; i--) {
      const e = this.entries.get(keys[i]!);
      if (e && now - e.lastUsed <= this.idleMs && now - e.created <= this.maxAgeMs) {
        cached = this.cfg.minTokens + i * this.cfg.step;
        break;
      }
    }
    for (const k of keys) {
      const e = this.entries.get(k);
      if (e && now - e.created <= this.maxAgeMs && now - e.lastUsed <= this.idleMs) e.lastUsed = now;
      else this.entries.set(k, { created: now, lastUsed: now });
    }
    if (this.entries.size > MAX_ENTRIES) this.sweep(now);
    return cached;
  }

  private sweep(now: number): void {
    for (const [k, e] of this.entries) {
      if (now - e.lastUsed > this.idleMs || now - e.created > this.maxAgeMs) this.entries.delete(k);
    }
    if (this.entries.size > MAX_ENTRIES) this.entries.clear();
  }
}

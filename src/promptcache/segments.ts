// Blocks + breakpoints → the emulator's prompt segments, so the emulator's Anthropic caching rules
// (src/emulator/prompt-cache-anthropic.ts) can run on abstract prompts. A block's hash is already
// cumulative; the emulator chains it again, which keeps prefix identity.
import type { CacheControl } from '../core/canonical.js';
import type { PromptSegment } from '../tokens/count.js';
import type { PromptBlock } from './blocks.js';
import type { Breakpoint } from './planner.js';

export function cacheControlOf(ttl: Breakpoint['ttl']): CacheControl {
  return ttl === '1h' ? { type: 'ephemeral', ttl: '1h' } : { type: 'ephemeral' };
}

export function segmentsOf(blocks: readonly PromptBlock[], breakpoints: readonly Breakpoint[] = []): PromptSegment[] {
  const segments: PromptSegment[] = blocks.map((b) => ({ tokens: b.tokens, text: null, tag: b.hash, block: b.cacheable }));
  for (const bp of breakpoints) {
    const seg = segments[bp.blockIndex];
    if (!seg || !seg.block) throw new RangeError(`breakpoint on block ${bp.blockIndex}, which cannot carry one`);
    seg.cacheControl = cacheControlOf(bp.ttl);
  }
  return segments;
}

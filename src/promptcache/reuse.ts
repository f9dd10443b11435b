// What the planner needs to know about the future of a prompt's prefixes: for each block, the
// expected number of later reads of an entry ending there, per TTL. PrefixStats estimates it from
// the past; the eval's oracle knows it exactly.
import type { PromptBlock } from './blocks.js';
import type { Ttl } from './cost-model.js';

export interface ReuseEstimate {
  expectedReads: Readonly<Record<Ttl, number>>;
  /** Arrivals of this prefix seen so far (this one included), when the model counts them. */
  arrivals?: number;
}

export interface EstimateOptions {
  /**
   * Per TTL, the most reads credited to a write for what happens after the next arrival (see
   * deferralCredit in cost-model.ts). Estimates from the past use it; exact counts ignore it.
   */
  deferralCredit?: Readonly<Record<Ttl, number>>;
}

export interface ReuseModel {
  /** Records that a request with these blocks arrives at `now` (call before `estimate`). */
  observe(namespace: string, blocks: readonly PromptBlock[], now: number): void;
  /** One estimate per block (zero for blocks that cannot carry a breakpoint). */
  estimate(namespace: string, blocks: readonly PromptBlock[], now: number, opts?: EstimateOptions): ReuseEstimate[];
}

export const NO_REUSE: ReuseEstimate = Object.freeze({ expectedReads: Object.freeze({ '5m': 0, '1h': 0 }) });

// `promptOptimization` modes (docs/prompt-optimisation.md): `off`, `lossless`, or the policies.
import { z } from 'zod';

export const promptOptimizationPoliciesSchema = z.strictObject({
  /** Whitespace, compact JSON, duplicate tools, empty fields (default on). */
  lossless: z.boolean().default(true),
  /** `keep`: nothing up to the caller's last `cache_control` marker is rewritten; `optimize` rewrites it too. */
  cachedPrefix: z.enum(['keep', 'optimize']).default('keep'),
  /**
   * Lossy, opt-in: tool results older than the last `olderThanSteps` tool-result turns become a
   * short stub — only when the tokens removed outweigh the cache reads the edit forfeits.
   */
  elideToolResults: z.strictObject({ olderThanSteps: z.number().int().min(1) }).optional(),
  /** Lossy, opt-in: a message above `maxTokens` (not the last) keeps its head and tail, when that pays. */
  capMessageTokens: z.strictObject({ maxTokens: z.number().int().min(64) }).optional(),
  /**
   * Lossy, opt-in: the prompt keeps within `maxTokens` by dropping the oldest messages between the
   * first and the last turns (system and tools always kept), when that pays.
   */
  historyBudget: z.strictObject({ maxTokens: z.number().int().min(256) }).optional(),
});

export const promptOptimizationModeSchema = z.union([z.literal('off'), z.literal('lossless'), promptOptimizationPoliciesSchema]);

export type PromptOptimizationPolicies = z.output<typeof promptOptimizationPoliciesSchema>;
export type PromptOptimizationMode = z.output<typeof promptOptimizationModeSchema>;

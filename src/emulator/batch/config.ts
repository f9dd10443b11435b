// Batch options (EmulatorOptions.batch), checked once at start-up, and the fixed memory bounds.
// Batches run on the emulator's clock (`state.now`): a batch validates for `startDelayMs`, then
// finishes `itemsPerSecond` items per second of that clock, then finalizes for `finalizeMs`.

export interface BatchOptions {
  /** Items finished per second of emulator clock, per batch. Default 50. */
  itemsPerSecond?: number;
  /** Time a new batch stays `validating` before processing starts. Default 200 ms. */
  startDelayMs?: number;
  /** Time spent `finalizing` (OpenAI) and `cancelling`/`canceling` before the batch ends. Default 100 ms. */
  finalizeMs?: number;
  /** Completion window: unfinished items expire this long after creation. Default 24 h. */
  expireAfterMs?: number;
  /**
   * Advance batches on a timer between requests (default true). False: only when a batch
   * endpoint is called, and then every due item at once, so that with a simulated clock the
   * work happens at the same point of every run (trace replay).
   */
  background?: boolean;
}

export type BatchConfig = Required<BatchOptions>;

export const DEFAULT_BATCH: BatchConfig = {
  itemsPerSecond: 50,
  startDelayMs: 200,
  finalizeMs: 100,
  expireAfterMs: 24 * 60 * 60_000,
  background: true,
};

/** Memory bounds (per emulator). Ended batches are evicted oldest first to stay within them. */
export const LIMITS = {
  /** Batches kept per provider, ended ones included. */
  maxBatches: 1_000,
  /** Items (requests) kept per provider across all stored batches. */
  maxItems: 200_000,
  /** Real per-batch request limits (PROVIDER_PROTOCOLS.md §3, §5). */
  openaiItemsPerBatch: 50_000,
  anthropicItemsPerBatch: 100_000,
  /** OpenAI files: count and total bytes kept; the oldest files are evicted beyond them. */
  maxFiles: 10_000,
  maxFileBytes: 512 * 1024 * 1024,
  /** One upload (the real API allows 200 MB for batch input). */
  maxUploadBytes: 64 * 1024 * 1024,
} as const;

const KEYS = new Set(Object.keys(DEFAULT_BATCH));

export function parseBatchOptions(o: BatchOptions | undefined): BatchConfig {
  for (const k of Object.keys(o ?? {})) if (!KEYS.has(k)) throw new RangeError(`emulator: unknown batch option '${k}'`);
  const cfg: BatchConfig = { ...DEFAULT_BATCH };
  for (const k of Object.keys(DEFAULT_BATCH) as Array<keyof BatchConfig>) {
    const value = o?.[k];
    if (value !== undefined) (cfg as Record<keyof BatchConfig, unknown>)[k] = value;
  }
  if (typeof cfg.background !== 'boolean') throw new RangeError('emulator: batch.background must be a boolean');
  if (!(cfg.itemsPerSecond > 0 && Number.isFinite(cfg.itemsPerSecond))) throw new RangeError('emulator: batch.itemsPerSecond must be > 0');
  for (const k of ['startDelayMs', 'finalizeMs', 'expireAfterMs'] as const) {
    if (!(cfg[k] >= 0 && Number.isFinite(cfg[k]))) throw new RangeError(`emulator: batch.${k} must be >= 0`);
  }
  return cfg;
}

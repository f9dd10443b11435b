// Emulator options and the process-wide state built from them once at start-up.
import { parseBatchOptions, type BatchConfig, type BatchOptions } from './batch/config.js';
import { AnthropicPromptCache, DEFAULT_MIN_CACHE_TOKENS } from '../providers/anthropic-cache-rules.js';
import { OpenAIPromptCache } from './prompt-cache-openai.js';
import type { FaultRates } from './faults.js';
import { prng } from './hash.js';
import type { LatencyModel } from './latency.js';
import { RecordedAnswers, type OutcomeOptions } from './outcomes.js';
import { DEFAULT_CLOUD_CREDENTIALS, type CloudCredentials } from './cloud-auth.js';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimitConfig } from './ratelimit.js';

export interface EmulatorOptions {
  /** 0 (default) = an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default zero (no timers at all). */
  latency?: LatencyModel;
  /** Probabilities 0..1, drawn from the seeded PRNG; default 0. */
  faults?: FaultRates;
  seed?: number;
  /** Clock in ms (cache TTLs, rate-limit windows); default Date.now. */
  now?: () => number;
  /** Default true. */
  requireAuth?: boolean;
  /** Default 1024 / 128. */
  openaiCache?: { minTokens: number; step: number };
  /** Minimum cacheable tokens by model-id prefix, merged over the defaults. */
  anthropicMinCacheTokens?: Record<string, number>;
  /** Default 10,000 requests / 10M tokens per minute. */
  rateLimits?: RateLimitConfig;
  /** Batch APIs' accelerated clock (see ./batch/config.ts). */
  batch?: BatchOptions;
  /** Answer recorded prompts with recorded responses (./outcomes.ts). */
  outcomes?: OutcomeOptions;
  /** Credentials the cloud routes accept (Bedrock, Azure OpenAI, Vertex); see ./cloud-auth.ts for the defaults. */
  cloud?: Partial<CloudCredentials>;
}

export interface EmulatorState {
  readonly seed: number;
  readonly now: () => number;
  readonly latency: LatencyModel;
  readonly requireAuth: boolean;
  readonly faultRates: FaultRates;
  readonly faultRand: () => number;
  readonly openaiCache: OpenAIPromptCache;
  readonly anthropicCache: AnthropicPromptCache;
  readonly limiter: RateLimiter;
  readonly batch: BatchConfig;
  readonly outcomes: RecordedAnswers | undefined;
  readonly cloud: CloudCredentials;
  /** Unique ids for requests and responses. */
  nextRequestId(): string;
  nextId(): string;
}

function checkRate(name: string, v: number | undefined): void {
  if (v !== undefined && !(v >= 0 && v <= 1)) throw new RangeError(`emulator: faults.${name} must be within 0..1`);
}

export function createState(o: EmulatorOptions): EmulatorState {
  const seed = o.seed ?? 0;
  const now = o.now ?? Date.now;
  const latency = o.latency ?? { ttftMs: 0, perTokenMs: 0 };
  if (!(latency.ttftMs >= 0 && latency.perTokenMs >= 0)) throw new RangeError('emulator: latency must be >= 0');
  const faults = o.faults ?? {};
  for (const [k, v] of Object.entries(faults) as Array<[string, number | undefined]>) checkRate(k, v);
  const cacheCfg = o.openaiCache ?? { minTokens: 1024, step: 128 };
  if (!(cacheCfg.minTokens > 0 && cacheCfg.step > 0)) throw new RangeError('emulator: openaiCache minTokens/step must be > 0');
  const idRand = prng(seed ^ 0x51ed27);
  let counter = 0;
  const hexBase = Math.floor(idRand() * 0xffffffff)
    .toString(16)
    .padStart(8, '0');
  const idBody = (): string => `${hexBase}${(++counter).toString(16).padStart(12, '0')}`;
  return {
    seed,
    now,
    latency,
    requireAuth: o.requireAuth ?? true,
    faultRates: faults,
    faultRand: prng(seed ^ 0x7f4a7c15),
    openaiCache: new OpenAIPromptCache({ ...cacheCfg, now }),
    anthropicCache: new AnthropicPromptCache(now, { ...DEFAULT_MIN_CACHE_TOKENS, ...o.anthropicMinCacheTokens }),
    limiter: new RateLimiter(o.rateLimits ?? DEFAULT_RATE_LIMITS, now),
    batch: parseBatchOptions(o.batch),
    outcomes: o.outcomes ? new RecordedAnswers(o.outcomes) : undefined,
    cloud: { ...DEFAULT_CLOUD_CREDENTIALS, ...o.cloud },
    nextRequestId: () => `req_${idBody()}`,
    nextId: idBody,
  };
}

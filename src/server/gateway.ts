// Starts a gateway: config → (in-process emulator) → storage → catalog → HTTP server.
import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import type { Config } from '../config/schema.js';
import { buildCatalog, usesEmulator } from '../config/catalog.js';
import { createAdapterRegistry } from '../providers/registry.js';
import { createContextCaches } from '../promptcache/gemini/accounts.js';
import { closeAllPools } from '../providers/http.js';
import { openDurableStore, connectPostgresStore, createMemoryState, startRetention, type DurableStore, type RunningRetention } from '../storage/index.js';
import { openSpooledStore, type RecoveredRows } from '../storage/spooled.js';
import { openPostgresClient } from '../storage/postgres/client.js';
import type { Sql } from 'postgres';
import { chargeSpooledRequests } from './spool-budgets.js';
import { openResponseStore } from './responses-open.js';
import { openLabelStore, type LabelStore } from '../storage/labels/index.js';
import { PromptCapture } from '../pipeline/capture.js';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';
import type { OutcomeOptions } from '../emulator/outcomes.js';
import { createApp } from './app.js';
import { compileRule } from '../routing/policy/rules.js';
import type { AppDeps } from './deps.js';
import { createResilience } from '../pipeline/resilience.js';
import { compileRouters } from '../routing/routers/compile.js';
import { createResponseCache, usesSemanticCache } from '../pipeline/cache.js';
import { createSemanticCache, type SemanticCache } from '../pipeline/semantic-cache.js';
import { loadCalibration, operatingPoint, shippedCalibrationPath } from '../cache/semantic/calibration.js';
import { DEFAULT_SIMILARITY_THRESHOLD } from '../cache/semantic/matcher.js';
import { Reranker } from '../cache/semantic/reranker.js';
import { recordProviderCharge } from '../pipeline/ledger.js';
import { KNOWN_EMBEDDING_DIMS } from '../config/embedding-dims.js';
import type { Catalog } from '../config/catalog.js';
import type { AdapterRegistry } from '../providers/registry.js';
import { openResponseCacheStore } from '../cache/open.js';
import { PrefixChurnDetector } from '../promptcache/churn.js';
import { openPostgresChurnStore } from '../promptcache/churn-postgres.js';
import { localChurnReports, SharedChurnReports, type ChurnReports } from '../promptcache/churn-reports.js';
import { RedisPlannerSync } from '../promptcache/shared-redis.js';
import { createPromptCachePlanning } from '../pipeline/prompt-cache.js';
import { createPromptOptimization } from '../pipeline/prompt-optimize.js';
import { ConfigError } from '../config/load.js';
import type { ResilienceDeps } from '../routing/resilience/index.js';
import type { BatchLoop } from '../batch/service.js';
import { startBatchService } from '../batch/start.js';
import { startGovernance, type RunningGovernance } from './governance.js';
import type { Governance } from '../pipeline/governance.js';
import { compileDeferralRules } from '../pipeline/defer.js';
import { deferrerFor } from '../batch/deferral.js';
import { batchItemPipeline, chatPipeline, embeddingsPipeline, type PipelineDeps } from '../pipeline/index.js';
import { GatewayMetrics, observeLedger, startTracing, Telemetry, TracingConfigError, type BudgetRemaining, type Tracing } from '../telemetry/index.js';
import { keyBudgets } from './metrics.js';
import { shadowEvaluatorFor } from '../pipeline/shadow.js';

export interface GatewayOptions {
  config: Config;
  /** Overrides config.server.port / host. */
  port?: number;
  host?: string;
  /** Clock and randomness for retries, breakers and balancing (tests inject their own). */
  resilienceDeps?: ResilienceDeps;
  /**
   * Epoch-ms clock of everything time-dependent in the pipeline (arrival times, response-cache
   * TTLs, prompt-cache planning, Gemini context caches); default wall time. Trace replay passes a
   * simulated clock.
   */
  clock?: () => number;
  /** How the batch loop runs (src/batch/service.ts); trace replay drives it from its clock. */
  batchLoop?: BatchLoop;
}

export interface RunningGateway {
  url: string;
  port: number;
  deps: AppDeps;
  emulator: RunningEmulator | undefined;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

export class StartupError extends Error {}

/**
 * The ledger the config names, spooled (storage.spool): every row is on local disk before its
 * response finishes, and what a killed process left is shipped first (and, once governance runs,
 * charged to the budgets: spool-budgets.ts). A PostgreSQL ledger must be reachable and migrated
 * before the gateway starts.
 */
async function openLedger(config: Config, postgres: Sql | undefined): Promise<{ store: DurableStore; recovered?: RecoveredRows }> {
  const l = config.storage.ledger;
  let store: DurableStore;
  let spoolDir: string | undefined;
  if (l.kind === 'sqlite') {
    store = openDurableStore({ kind: 'sqlite', path: l.path });
    if (l.path !== ':memory:' && l.path !== '') spoolDir = join(dirname(resolve(l.path)), 'spool');
  } else {
    // The local files (batch database, spool) live in the data directory.
    mkdirSync(config.storage.dataDir, { recursive: true });
    try {
      store = await connectPostgresStore({ url: l.url, schema: l.schema, maxQueuedRows: l.maxQueuedRows, ...(postgres ? { sql: postgres } : {}) });
    } catch (err) {
      throw new StartupError(`cannot open the PostgreSQL ledger (schema ${l.schema}): ${err instanceof Error ? err.message : String(err)}`);
    }
    spoolDir = join(config.storage.dataDir, 'spool');
  }
  if (!config.storage.spool || spoolDir === undefined) return { store };
  try {
    const spooled = await openSpooledStore(store, { dir: spoolDir, holdLeftovers: true });
    return { store: spooled, recovered: spooled.recovered };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw new StartupError(`cannot open the ledger spool in ${spoolDir}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The budgets get the requests the spool's leftovers hold; then the leftover files go. */
async function chargeRecovered(recovered: RecoveredRows | undefined, governance: Governance): Promise<void> {
  if (recovered === undefined) return;
  if (recovered.rows.length > 0) {
    const c = await chargeSpooledRequests(recovered.rows, governance);
    if (c.charged + c.queued > 0)
      process.stderr.write(`costwise: charged ${c.charged + c.queued} spooled request(s) to their budgets (${c.duplicate} had been settled already)\n`);
  }
  recovered.settled();
}

function semanticCacheFor(
  semantic: Config['cache']['semantic'],
  catalog: Catalog,
  adapters: AdapterRegistry,
  start: { threshold: number; reranker: Reranker | undefined },
): SemanticCache {
  const { verify, rerank } = semantic;
  const { reranker } = start;
  const base = {
    threshold: start.threshold,
    maxEntries: semantic.maxEntries,
    verification: verify.enabled ? { ...verify, target: semantic.maxWrongHitRate } : undefined,
    ...(reranker ? { rerank: { reranker, candidates: rerank.candidates, floor: rerank.floor, budgetMs: rerank.budgetMs } } : {}),
  };
  if (semantic.embedder === 'builtin' || semantic.embedder === 'static-use') return createSemanticCache({ ...base, local: semantic.embedder });
  const deployment = catalog.get(semantic.embedder.model)!;
  const dimensions = semantic.embedder.dimensions ?? KNOWN_EMBEDDING_DIMS[deployment.upstreamModel]!;
  return createSemanticCache({ ...base, provider: { deployment, adapters, dimensions } });
}

/**
 * An explicit threshold, else the calibrated one for the target wrong-hit rate (0.8 for an API
 * embedder without a calibration). With re-ranking, the re-ranker's: it has a scale of its own.
 */
function startingThreshold(semantic: Config['cache']['semantic']): number {
  const rerank = semantic.rerank.enabled;
  const settings = rerank ? semantic.rerank : semantic;
  const field = rerank ? 'cache.semantic.rerank' : 'cache.semantic';
  if (settings.threshold !== undefined) return settings.threshold;
  const local = semantic.embedder === 'builtin' || semantic.embedder === 'static-use' ? semantic.embedder : undefined;
  const file = settings.calibration ?? (local ? shippedCalibrationPath(local, { rerank }) : undefined);
  if (file === undefined && rerank) throw new StartupError(`${field}: an API embedder re-ranked needs rerank.calibration or rerank.threshold`);
  if (file === undefined) return DEFAULT_SIMILARITY_THRESHOLD;
  try {
    return operatingPoint(loadCalibration(file), semantic.maxWrongHitRate).threshold;
  } catch (err) {
    throw new StartupError(`${field}.calibration: ${(err as Error).message}`);
  }
}

/** The re-ranker's worker, started (model loaded) before anything else when re-ranking is on. */
async function startReranker(cache: Config['cache']): Promise<Reranker | undefined> {
  if (!usesSemanticCache(cache) || !cache.semantic.rerank.enabled) return undefined;
  try {
    return await Reranker.start();
  } catch (err) {
    throw new StartupError(`cache.semantic.rerank: ${(err as Error).message}`);
  }
}

/** The config's recorded-answer mapping, keyed by the model id the emulator is asked for. */
export function emulatorOutcomes(config: Config): OutcomeOptions | undefined {
  const o = config.emulator.outcomes;
  if (!o?.files) return undefined;
  const models: Record<string, string> = {};
  for (const [name, recorded] of Object.entries(o.models)) {
    const entry = config.models.find((m) => m.name === name);
    models[entry?.upstreamModel ?? name] = recorded;
  }
  return { files: o.files, models };
}

/** What startGateway has opened so far: closed newest first when a later step of starting fails. */
class OpenedOnStart {
  private readonly closers: (() => Promise<unknown> | undefined)[] = [];

  add(close: () => Promise<unknown> | undefined): void {
    this.closers.push(close);
  }

  async closeAll(): Promise<void> {
    for (const close of this.closers.reverse()) await close();
  }
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const config = options.config;
  const host = options.host ?? config.server.host;
  const port = options.port ?? config.server.port;
  if (!isLoopback(host) && !config.server.adminKey) {
    throw new StartupError(
      `refusing to listen on ${host}: a non-loopback address needs an admin key (set COSTWISE_ADMIN_KEY or server.adminKey) to guard /api and /ui`,
    );
  }
  // Checked before anything starts: a bad calibration leaves nothing half-open.
  const semanticThreshold = usesSemanticCache(config.cache) ? startingThreshold(config.cache.semantic) : undefined;
  const opened = new OpenedOnStart();
  const reranker = await startReranker(config.cache);
  opened.add(() => reranker?.close());
  const emulator = usesEmulator(config)
    ? await startEmulator({
        port: 0,
        latency: { ttftMs: config.emulator.ttftMs, perTokenMs: config.emulator.perTokenMs },
        seed: config.emulator.seed,
        ...(options.clock ? { now: options.clock } : {}),
        ...(config.emulator.outcomes?.files ? { outcomes: emulatorOutcomes(config)! } : {}),
      })
    : undefined;
  opened.add(() => emulator?.close());
  const catalog = buildCatalog(config, emulator?.url);
  const clock = options.clock ?? Date.now;
  const compiled = compileRouters(config.routing.routers, catalog);
  if (compiled.problems.length) {
    await opened.closeAll();
    throw new ConfigError(compiled.problems, '');
  }
  let tracing: Tracing | undefined;
  try {
    tracing = startTracing(config.tracing.enabled);
  } catch (err) {
    await opened.closeAll();
    throw err instanceof TracingConfigError ? new StartupError(err.message) : err;
  }
  // One PostgreSQL pool for the ledger, keys, batches, churn reports and stored responses (storage/postgres/client.ts).
  const l = config.storage.ledger;
  opened.add(() => tracing?.shutdown());
  const postgres = l.kind === 'postgres' ? openPostgresClient({ url: l.url, maxConnections: l.maxConnections }) : undefined;
  opened.add(() => postgres?.end({ timeout: 0 }));
  let store: DurableStore;
  let recovered: RecoveredRows | undefined;
  try {
    ({ store, recovered } = await openLedger(config, postgres));
  } catch (err) {
    await opened.closeAll();
    throw err;
  }
  opened.add(() => store.close().catch(() => undefined));
  // Made before anything can append a row, so every row the ledger gets is counted; the budget
  // gauge's source comes once the keys are loaded.
  let budgetsOf: () => Promise<BudgetRemaining[]> = () => Promise.resolve([]);
  let metrics: GatewayMetrics | undefined;
  if (config.metrics.enabled) {
    const counted = (metrics = new GatewayMetrics({ keyLabel: config.metrics.keyLabel, budgets: () => budgetsOf() }));
    store = observeLedger(store, (row) => counted.ledger.observe(row));
  }
  const retention: RunningRetention | undefined =
    config.storage.retentionDays === undefined ? undefined : startRetention({ store, days: config.storage.retentionDays, now: clock });
  opened.add(() => retention?.stop());
  const contextCaches = createContextCaches({
    // The caching decision uses the deployment's own prices; storage is billed on the ledger.
    pricingFor: (t) =>
      catalog
        .list()
        .flatMap((m) => catalog.deployments(m.name))
        .find((d) => d.provider.name === t.provider.name && d.upstreamModel === t.upstreamModel)?.pricing ?? null,
    now: clock,
    onStorageCharge: (c) => recordProviderCharge(store, { resource: c.cache, reason: c.reason, provider: c.provider, model: c.model, pico: c.pico }),
  });
  const adapters = createAdapterRegistry({ gemini: { contextCaches } });
  let governance: RunningGovernance;
  try {
    governance = await startGovernance({ config, loopback: isLoopback(host), ledger: store, ...(postgres ? { postgres } : {}) });
  } catch (err) {
    await opened.closeAll();
    throw new StartupError(`cannot load the virtual keys: ${err instanceof Error ? err.message : String(err)}`);
  }
  opened.add(() => governance.close());
  budgetsOf = keyBudgets(governance);
  const telemetry = metrics !== undefined || tracing !== undefined ? new Telemetry(metrics, tracing) : undefined;
  await chargeRecovered(recovered, governance.governance).catch((err: unknown) => {
    // The files stay: the next start ships the rows (ignored) and charges them again (by id, once).
    process.stderr.write(`costwise: could not charge the spooled requests to their budgets: ${err instanceof Error ? err.message : String(err)}\n`);
  });
  const sharedPlanner = sharedPlannerFor(config, clock);
  const promptChurn = new PrefixChurnDetector({ now: clock });
  const pipelineDeps: PipelineDeps = {
    governance: governance.governance,
    catalog,
    routers: compiled.routers,
    policy: { rules: config.routing.rules.map(compileRule), defaultTier: config.routing.defaultTier },
    adapters,
    resilience: createResilience(config.routing, options.resilienceDeps),
    responseCache: createResponseCache(
      config.cache,
      openResponseCacheStore(config.cache, clock),
      semanticThreshold !== undefined ? semanticCacheFor(config.cache.semantic, catalog, adapters, { threshold: semanticThreshold, reranker }) : undefined,
      clock,
    ),
    promptChurn,
    promptOptimization: createPromptOptimization(config.promptOptimization),
    promptCache: createPromptCachePlanning(config.promptCache, {
      now: clock,
      ...(sharedPlanner ? { publish: (e) => sharedPlanner.publish(e), shared: sharedPlanner } : {}),
    }),
    clock,
    store,
    telemetry,
  };
  let labels: LabelStore;
  try {
    labels = openLabelStore(l.kind === 'sqlite' ? { kind: 'sqlite', path: l.path } : { kind: 'postgres', url: l.url, schema: l.schema }, postgres);
  } catch (err) {
    await opened.closeAll();
    throw new StartupError(`cannot open the feedback and prompt tables: ${err instanceof Error ? err.message : String(err)}`);
  }
  opened.add(() => labels.close());
  if (config.routing.learn.capturePrompts) pipelineDeps.prompts = new PromptCapture(config.routing.learn.sample, labels);
  try {
    pipelineDeps.shadow = shadowEvaluatorFor(config, pipelineDeps);
  } catch (err) {
    await opened.closeAll();
    throw new ConfigError([(err as Error).message], '');
  }
  sharedPlanner?.start((e) => pipelineDeps.promptCache.planner.merge(e));
  const batches = await startBatchService(
    config,
    { ...pipelineDeps, runItem: batchItemPipeline(pipelineDeps) },
    { ...(options.batchLoop ? { loop: options.batchLoop } : {}), ...(postgres ? { postgres } : {}) },
  );
  const responses = await openResponseStore(config, clock, postgres);
  const deps: AppDeps = {
    ...pipelineDeps,
    config,
    governanceAdmin: governance,
    state: createMemoryState(),
    batches,
    churnReports: churnReportsFor(config, promptChurn, clock, postgres),
    responses,
    labels,
    pipelines: {
      chat: chatPipeline({ ...pipelineDeps, deferralRules: compileDeferralRules(config.batch.deferral.rules), deferrer: deferrerFor(batches) }),
      embeddings: embeddingsPipeline(pipelineDeps),
    },
  };
  const server = createApp(deps);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host;
  let closed = false;
  return {
    url: `http://${urlHost}:${actualPort}`,
    port: actualPort,
    deps,
    emulator,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // Shadow calls still in flight leave their rows before the ledger closes.
      await deps.shadow?.drain();
      // Adapters first: deleting provider-side caches on the way out bills refunds to the ledger.
      await deps.batches.close();
      await deps.churnReports.close();
      await deps.responses.close();
      await deps.labels.close();
      await sharedPlanner?.close();
      await deps.adapters.close();
      await governance.close();
      await retention?.stop();
      await deps.store.close();
      await deps.responseCache.store.close();
      await deps.responseCache.semantic?.close();
      await deps.state.close();
      await postgres?.end({ timeout: 5 });
      await closeAllPools();
      // Last: spans of requests that ended while closing are exported too.
      await telemetry?.close();
      await emulator?.close();
    },
  };
}

/** The planner's link to the other replicas: with Redis state, unless `promptCache.sharedStats` is off. */
function sharedPlannerFor(config: Config, now: () => number): RedisPlannerSync | undefined {
  const state = config.storage.state;
  if (state.kind !== 'redis' || !config.promptCache.sharedStats) return undefined;
  return new RedisPlannerSync({ url: state.url, key: `${state.prefix}promptcache:events`, now });
}

/** With a PostgreSQL ledger, every replica's churn report, summed; else this process's own. */
function churnReportsFor(config: Config, detector: PrefixChurnDetector, now: () => number, postgres: Sql | undefined): ChurnReports {
  const l = config.storage.ledger;
  if (l.kind !== 'postgres') return localChurnReports(detector);
  const shared = new SharedChurnReports({
    detector,
    store: openPostgresChurnStore({ url: l.url, schema: l.schema, ...(postgres ? { sql: postgres } : {}) }),
    replica: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    intervalMs: config.promptCache.churnReportMs,
    now,
  });
  shared.start();
  return shared;
}

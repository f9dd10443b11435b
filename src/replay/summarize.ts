// One policy's replay, read back from its ledger: what it cost against the baseline, the saving by
// technique, and the requests behind the figures. Every amount is an exact sum of ledger rows in
// pico-dollars, formatted as a decimal USD string only here.
import { formatUsd } from '../cost/money.js';
import type { LedgerRow, SpendBucket } from '../storage/types.js';
import type { PolicyRun, SentRequest } from './run.js';
import type { PolicyQuality } from './quality.js';

export interface TechniqueLine {
  technique: string;
  requests: number;
  cost_usd: string;
  baseline_usd: string;
  saving_usd: string;
  prompt_cache_saving_usd: string;
}

export interface ModelLine {
  requested_model: string;
  served_model: string;
  technique: string;
  /** Response cache: hit-exact, hit-semantic, miss, or `-` when not consulted. */
  cache: string;
  requests: number;
  cost_usd: string;
  baseline_usd: string;
  saving_usd: string;
}

export interface TopRequest {
  /** Line of the trace file. */
  line: number;
  requested_model: string;
  served_model: string;
  technique: string;
  cache: string;
  route: string;
  /** The request's own row plus its billed sub-calls. */
  cost_usd: string;
  baseline_usd: string;
  saving_usd: string;
  prompt_cache_saving_usd: string;
}

export interface PolicyReport {
  policy: string;
  /** The config file ('' for the embedded default). */
  source: string;
  /** `deferred`: answered 202 and run later in a provider batch (counted in `ok` once on the ledger). */
  requests: { sent: number; ok: number; deferred: number; failed: number };
  baseline_usd: string;
  cost_usd: string;
  saving_usd: string;
  /** saving / baseline, in percent with two decimals (0 when the baseline is 0). */
  saving_pct: number;
  /** Split of saving_usd: each technique's own share, and prompt caching's (as /api/timeseries does). */
  saving_by_technique_usd: Record<string, string>;
  /** `GET /api/spend?group_by=technique` of the replay's ledger. */
  by_technique: TechniqueLine[];
  /** Requests per requested model, served model, technique and cache result. */
  by_model: ModelLine[];
  tokens: { input: number; cache_read: number; cache_write_5m: number; cache_write_1h: number; output: number };
  /** Rows that add cost but no request: rejected cascade steps, judge and embedding calls, context-cache storage. */
  sub_calls: { rows: number; cost_usd: string };
  /** The requests that saved most (only those that saved anything), largest first. */
  top_savings: TopRequest[];
  errors_by_status: Record<string, number>;
  /** The first failures, in trace order. */
  errors: Array<{ line: number; status: number; error: string }>;
  /** Outcome traces only: mean label of the answers served (quality.ts). */
  accuracy?: number;
  /** Outcome traces only: labelled requests, recorded models served, accuracy and cost per tag. */
  quality?: Omit<PolicyQuality, 'accuracy'>;
}

/** A route with its provider batch id taken out: ids differ from run to run, a report must not. */
const withoutIds = (route: string): string => route.replace(/\bbatch:[\w-]+/g, 'batch');

export interface SummaryOptions {
  top: number;
  maxErrors: number;
}

const usd = formatUsd;

/** Larger first. */
function descending(a: bigint, b: bigint): number {
  return a === b ? 0 : a < b ? 1 : -1;
}

/** Code-unit order: the same in every locale. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function pct(part: bigint, whole: bigint): number {
  if (whole === 0n) return 0;
  return Number((part * 1_000_000n) / whole) / 10_000;
}

function techniqueLines(buckets: SpendBucket[]): { lines: TechniqueLine[]; split: Record<string, string> } {
  const split: Record<string, string> = {};
  let promptCache = 0n;
  const lines = [...buckets]
    .sort((a, b) => byText(a.key, b.key))
    .map((b) => {
      const { costPico, baselinePico, promptCachePico } = b.exact;
      promptCache += promptCachePico;
      const own = baselinePico - costPico - promptCachePico;
      if (own !== 0n) split[b.key === '(none)' ? 'unattributed' : b.key] = usd(own);
      return {
        technique: b.key,
        requests: b.requests,
        cost_usd: usd(costPico),
        baseline_usd: usd(baselinePico),
        saving_usd: usd(baselinePico - costPico),
        prompt_cache_saving_usd: usd(promptCachePico),
      };
    });
  split['prompt_caching'] = usd(promptCache);
  return { lines, split };
}

interface Totals {
  cost: bigint;
  baseline: bigint;
  promptCache: bigint;
}

function add(t: Totals, r: LedgerRow): void {
  t.cost += BigInt(r.costPico);
  t.baseline += BigInt(r.baselinePico);
  t.promptCache += BigInt(r.promptCachePico);
}

const zero = (): Totals => ({ cost: 0n, baseline: 0n, promptCache: 0n });

function modelLines(top: LedgerRow[]): ModelLine[] {
  const groups = new Map<string, { key: Omit<ModelLine, 'requests' | 'cost_usd' | 'baseline_usd' | 'saving_usd'>; n: number; t: Totals }>();
  for (const r of top) {
    const key = { requested_model: r.requestedModel, served_model: r.servedModel, technique: r.technique ?? '(none)', cache: r.cache ?? '-' };
    const id = JSON.stringify(key);
    const g = groups.get(id) ?? groups.set(id, { key, n: 0, t: zero() }).get(id)!;
    g.n++;
    add(g.t, r);
  }
  return [...groups.values()]
    .sort((a, b) => descending(a.t.cost, b.t.cost) || b.n - a.n || byText(JSON.stringify(a.key), JSON.stringify(b.key)))
    .map((g) => ({ ...g.key, requests: g.n, cost_usd: usd(g.t.cost), baseline_usd: usd(g.t.baseline), saving_usd: usd(g.t.baseline - g.t.cost) }));
}

export interface PolicySummary {
  report: PolicyReport;
  /** Exact totals, pico-dollars. */
  costPico: bigint;
  baselinePico: bigint;
}

export function summarize(run: PolicyRun, opts: SummaryOptions): PolicySummary {
  const lineOf = new Map<string, number>();
  for (const s of run.sent) if (s.requestId) lineOf.set(s.requestId, s.line);

  const total = zero();
  const sub = zero();
  let subRows = 0;
  const tokens = { input: 0, cache_read: 0, cache_write_5m: 0, cache_write_1h: 0, output: 0 };
  const topLevel: LedgerRow[] = [];
  const subCost = new Map<string, bigint>();
  for (const r of run.rows) {
    add(total, r);
    tokens.input += r.inputTokens;
    tokens.cache_read += r.cacheReadTokens;
    tokens.cache_write_5m += r.cacheWrite5mTokens;
    tokens.cache_write_1h += r.cacheWrite1hTokens;
    tokens.output += r.outputTokens;
    if (r.parentId === null) {
      topLevel.push(r);
      continue;
    }
    subRows++;
    add(sub, r);
    subCost.set(r.parentId, (subCost.get(r.parentId) ?? 0n) + BigInt(r.costPico));
  }

  const ranked = topLevel
    .filter((r) => lineOf.has(r.requestId))
    .map((r) => {
      const cost = BigInt(r.costPico) + (subCost.get(r.requestId) ?? 0n);
      return { r, line: lineOf.get(r.requestId)!, cost, saving: BigInt(r.baselinePico) - cost };
    })
    .filter((x) => x.saving > 0n)
    .sort((a, b) => descending(a.saving, b.saving) || a.line - b.line)
    .slice(0, opts.top);

  const billed = new Set(run.rows.map((r) => r.requestId));
  // A deferred request without a ledger row: its batch item failed, or never finished.
  const unfinished = (s: SentRequest): boolean => s.status === 202 && (s.requestId === null || !billed.has(s.requestId));
  const failed = run.sent
    .filter((s) => (s.status !== 200 && s.status !== 202) || unfinished(s))
    .map((s) =>
      unfinished(s) ? { ...s, error: 'deferred, and its batch item has no result (it failed, or did not finish within 25 hours of trace time)' } : s,
    );
  const deferred = run.sent.filter((s) => s.status === 202).length;
  const errorsByStatus: Record<string, number> = {};
  for (const f of failed) errorsByStatus[String(f.status)] = (errorsByStatus[String(f.status)] ?? 0) + 1;
  const { lines, split } = techniqueLines(run.byTechnique);

  const report: PolicyReport = {
    policy: run.policy.name,
    source: run.policy.source,
    requests: { sent: run.sent.length, ok: run.sent.length - failed.length, deferred, failed: failed.length },
    baseline_usd: usd(total.baseline),
    cost_usd: usd(total.cost),
    saving_usd: usd(total.baseline - total.cost),
    saving_pct: pct(total.baseline - total.cost, total.baseline),
    saving_by_technique_usd: split,
    by_technique: lines,
    by_model: modelLines(topLevel),
    tokens,
    sub_calls: { rows: subRows, cost_usd: usd(sub.cost) },
    top_savings: ranked.map(({ r, line, cost }) => ({
      line,
      requested_model: r.requestedModel,
      served_model: r.servedModel,
      technique: r.technique ?? '(none)',
      cache: r.cache ?? '-',
      route: withoutIds(r.route),
      cost_usd: usd(cost),
      baseline_usd: usd(r.baselinePico),
      saving_usd: usd(BigInt(r.baselinePico) - cost),
      prompt_cache_saving_usd: usd(r.promptCachePico),
    })),
    errors_by_status: errorsByStatus,
    errors: failed.slice(0, opts.maxErrors).map((f) => ({ line: f.line, status: f.status, error: f.error ?? '' })),
  };
  return { report, costPico: total.cost, baselinePico: total.baseline };
}

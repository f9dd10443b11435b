// The dashboard's admin endpoints (/api/...), read-only except that the estimator takes a POST body.
// admin.ts checks the admin key and then offers every request here first; handleDashboardApi
// answers the paths it owns and returns false for the rest. Queries: storage/sqlite-dashboard.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatUsd } from '../cost/money.js';
import type { LedgerRow } from '../storage/types.js';
import { MAX_TOP, type CountByKey, type Percentiles, type SeriesCell, type SeriesDim, type StatusFilter } from '../storage/dashboard-types.js';
import type { AppDeps } from './deps.js';
import { sendJson } from './respond.js';
import { estimate } from './admin-estimate.js';
import { intParam, oneOf, optional, ParamError, range } from './admin-dashboard-params.js';
import type {
  Agrees,
  ApiErrorResponse,
  Assert,
  CachingResponse,
  LatencyCostResponse,
  LedgerRowJson,
  MoneyFigures,
  Percentiles as PercentilesJson,
  RequestDetailResponse,
  RequestsSearchResponse,
  RoutingResponse,
  SavingByTechnique,
  StoredLedgerRow,
  TimeseriesPoint,
  TimeseriesResponse,
} from './admin-api.js';

// What is sent whole (spread or as is) must agree with its declaration in admin-api.ts.
type _LedgerRow = Assert<Agrees<LedgerRow, StoredLedgerRow>>;
type _Percentiles = Assert<Agrees<Percentiles, PercentilesJson<number>>>;

type Handler = (req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL) => Promise<void> | void;

const GET: Record<string, Handler> = {
  '/api/timeseries': timeseries,
  '/api/stats/latency-cost': latencyCost,
  '/api/routing': routingStats,
  '/api/caching': caching,
};

const REQUEST_FILTERS = ['model', 'status', 'technique', 'cache', 'q', 'from', 'to', 'top_level'];

/** Answers the dashboard's endpoints; false when `url` is not one of them (admin.ts goes on). */
export async function handleDashboardApi(req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<boolean> {
  const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  let handler: Handler | undefined;
  if (path === '/api/estimate') handler = req.method === 'POST' ? estimate : methodNotAllowed('POST');
  else if (req.method !== 'GET') return false;
  else if (GET[path]) handler = GET[path];
  else if (path.startsWith('/api/requests/')) handler = requestDetail;
  // The plain listing stays in admin.ts; any filter makes it a search.
  else if (path === '/api/requests' && REQUEST_FILTERS.some((p) => url.searchParams.has(p))) handler = searchRequests;
  if (handler === undefined) return false;
  try {
    await handler(req, res, deps, url);
  } catch (err) {
    if (!(err instanceof ParamError)) throw err;
    sendJson(res, 400, { error: { message: err.message, type: 'invalid_request_error', param: err.param, code: null } } satisfies ApiErrorResponse);
  }
  return true;
}

function methodNotAllowed(allowed: string): Handler {
  return (req, res, _deps, url) => {
    req.resume();
    sendJson(
      res,
      405,
      {
        error: { message: `method ${req.method} not allowed on ${url.pathname} (${allowed})`, type: 'invalid_request_error', param: null, code: null },
      } satisfies ApiErrorResponse,
      { allow: allowed },
    );
  };
}

// ---- money

type Sums = { requests: number; cost: bigint; baseline: bigint; promptCache: bigint };

const zero = (): Sums => ({ requests: 0, cost: 0n, baseline: 0n, promptCache: 0n });

function addCell(into: Sums, c: SeriesCell): void {
  into.requests += c.requests;
  into.cost += c.costPico;
  into.baseline += c.baselinePico;
  into.promptCache += c.promptCachePico;
}

function money(s: Sums): MoneyFigures {
  return {
    requests: s.requests,
    cost_usd: formatUsd(s.cost),
    baseline_usd: formatUsd(s.baseline),
    saving_usd: formatUsd(s.baseline - s.cost),
    prompt_cache_saving_usd: formatUsd(s.promptCache),
  };
}

/**
 * The saving split among techniques with prompt caching on its own: each row's saving is its
 * technique's share (baseline on the model asked for → no-cache cost on the served model) plus
 * prompt caching's share (no-cache cost → cost).
 */
function savingSplit(byTechnique: ReadonlyMap<string, Sums>): SavingByTechnique {
  const split: SavingByTechnique = {};
  let promptCache = 0n;
  for (const [technique, s] of byTechnique) {
    promptCache += s.promptCache;
    const own = s.baseline - s.cost - s.promptCache;
    if (own !== 0n) split[technique === '(none)' ? 'unattributed' : technique] = formatUsd(own);
  }
  split['prompt_caching'] = formatUsd(promptCache);
  return split;
}

// ---- handlers

const HOUR_MS = 3_600_000;
const MAX_FILLED_BUCKETS = 5_000;
/** Keys kept one by one in a series by key when the caller names no `top`: a chart draws no more. */
const DEFAULT_TOP_KEYS = 20;

async function timeseries(_req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<void> {
  const bucket = oneOf(url, 'bucket', ['hour', 'day'] as const, 'day');
  const groupBy = oneOf<SeriesDim>(url, 'group_by', ['technique', 'model', 'key', 'tag'], 'technique');
  const r = range(url);
  const top = intParam(url, 'top', groupBy === 'key' ? DEFAULT_TOP_KEYS : 0, 0, MAX_TOP); // 0: every group
  await deps.store.flush();
  const cells = await deps.store.dashboard({ kind: 'timeseries', bucket, groupBy, ...r, ...(top > 0 ? { top } : {}) });
  const step = bucket === 'day' ? 24 * HOUR_MS : HOUR_MS;
  const points = new Map<number, { total: Sums; by: Map<string, Sums> }>();
  const point = (t: number) => {
    let p = points.get(t);
    if (p === undefined) points.set(t, (p = { total: zero(), by: new Map() }));
    return p;
  };
  // Empty buckets are zeros, not gaps, when the range is bounded and not absurdly long.
  if (r.from !== undefined && r.to !== undefined && (r.to - r.from) / step <= MAX_FILLED_BUCKETS) {
    for (let t = Math.floor(r.from / step) * step; t < r.to; t += step) point(t);
  }
  const total = zero();
  const totalBy = new Map<string, Sums>();
  for (const c of cells) {
    const p = point(c.t);
    addCell(p.total, c);
    let g = p.by.get(c.key);
    if (g === undefined) p.by.set(c.key, (g = zero()));
    addCell(g, c);
    addCell(total, c);
    let tg = totalBy.get(c.key);
    if (tg === undefined) totalBy.set(c.key, (tg = zero()));
    addCell(tg, c);
  }
  const data = [...points]
    .sort((a, b) => a[0] - b[0])
    .map(([t, p]): TimeseriesPoint => ({
      t,
      ...money(p.total),
      ...(groupBy === 'technique' ? { saving_by_technique: savingSplit(p.by) } : {}),
      by: Object.fromEntries([...p.by].map(([k, s]) => [k, money(s)])),
    }));
  sendJson(res, 200, {
    bucket,
    group_by: groupBy,
    top: top > 0 ? top : null,
    from: r.from ?? null,
    to: r.to ?? null,
    total: { ...money(total), ...(groupBy === 'technique' ? { saving_by_technique: savingSplit(totalBy) } : {}) },
    data,
  } satisfies TimeseriesResponse);
}

function rowJson(r: LedgerRow): LedgerRowJson {
  return {
    ...r,
    cost_usd: formatUsd(r.costPico),
    baseline_usd: formatUsd(r.baselinePico),
    saving_usd: formatUsd(r.baselinePico - r.costPico),
    prompt_cache_saving_usd: formatUsd(r.promptCachePico),
  };
}

function statusParam(url: URL): StatusFilter | undefined {
  const raw = optional(url, 'status');
  if (raw === undefined || raw === 'ok' || raw === 'error') return raw;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 100 || n > 599) throw new ParamError('status', `expected ok, error or an HTTP status, got "${raw}"`);
  return n;
}

async function searchRequests(_req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<void> {
  const limit = intParam(url, 'limit', 50, 1, 1000);
  const offset = intParam(url, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const filters = {
    model: optional(url, 'model'),
    status: statusParam(url),
    technique: optional(url, 'technique'),
    cache: optional(url, 'cache'),
    text: optional(url, 'q'),
    topLevel: url.searchParams.get('top_level') === '1' || url.searchParams.get('top_level') === 'true',
  };
  const defined = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
  await deps.store.flush();
  // One row more than asked says whether there is a next page, without counting the matches.
  const rows = await deps.store.dashboard({ kind: 'requests', limit: limit + 1, offset, ...range(url), ...defined });
  sendJson(res, 200, { data: rows.slice(0, limit).map(rowJson), limit, offset, has_more: rows.length > limit } satisfies RequestsSearchResponse);
}

async function requestDetail(_req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<void> {
  const id = decodeURIComponent(url.pathname.slice('/api/requests/'.length).replace(/\/$/, ''));
  await deps.store.flush();
  const found = await deps.store.dashboard({ kind: 'request', requestId: id });
  if (found === null) {
    sendJson(res, 404, { error: { message: `no request ${id} in the ledger`, type: 'not_found_error', param: null, code: null } } satisfies ApiErrorResponse);
    return;
  }
  const subCost = found.subCalls.reduce((n, r) => n + BigInt(r.costPico), 0n);
  const cost = BigInt(found.row.costPico) + subCost;
  sendJson(res, 200, {
    ...rowJson(found.row),
    sub_calls: found.subCalls.map(rowJson),
    // The request with its billed sub-calls: what it really cost, against its baseline.
    total_cost_usd: formatUsd(cost),
    net_saving_usd: formatUsd(BigInt(found.row.baselinePico) - cost),
  } satisfies RequestDetailResponse);
}

async function latencyCost(_req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<void> {
  const r = range(url);
  const sample = intParam(url, 'sample', 20_000, 100, 200_000);
  await deps.store.flush();
  const report = await deps.store.dashboard({ kind: 'percentiles', maxSample: sample, ...r });
  sendJson(res, 200, {
    from: r.from ?? null,
    to: r.to ?? null,
    population: report.population,
    sampled: report.sampled,
    data: report.groups.map((g) => ({
      model: g.model,
      requests: g.requests,
      cost_usd: { p50: formatUsd(g.costPico.p50), p90: formatUsd(g.costPico.p90), p99: formatUsd(g.costPico.p99), max: formatUsd(g.costPico.max) },
      latency_ms: g.latencyMs,
    })),
  } satisfies LatencyCostResponse);
}

function counts(list: CountByKey[]): Array<{ key: string; requests: number; cost_usd: string }> {
  return list.map((c) => ({ key: c.key, requests: c.requests, cost_usd: formatUsd(c.costPico) }));
}

async function routingStats(_req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<void> {
  const r = range(url);
  await deps.store.flush();
  const stats = await deps.store.dashboard({ kind: 'routing', ...r });
  const requests = stats.byModel.reduce((n, m) => n + m.requests, 0);
  const cascade = stats.byTechnique.find((t) => t.key === 'cascade')?.requests ?? 0;
  const tiers = new Map<string, { requests: number; cost: bigint }>();
  for (const m of stats.byModel) {
    const tier = deps.catalog.get(m.key)?.tier ?? '(no tier)';
    const t = tiers.get(tier) ?? { requests: 0, cost: 0n };
    t.requests += m.requests;
    t.cost += m.costPico;
    tiers.set(tier, t);
  }
  sendJson(res, 200, {
    from: r.from ?? null,
    to: r.to ?? null,
    requests,
    by_model: stats.byModel.map((m) => ({ model: m.key, tier: deps.catalog.get(m.key)?.tier ?? null, requests: m.requests, cost_usd: formatUsd(m.costPico) })),
    by_tier: [...tiers].sort((a, b) => b[1].requests - a[1].requests).map(([tier, t]) => ({ tier, requests: t.requests, cost_usd: formatUsd(t.cost) })),
    by_technique: counts(stats.byTechnique).map(({ key, ...rest }) => ({ technique: key, ...rest })),
    fallbacks: stats.fallbacks,
    fallback_rate: requests > 0 ? stats.fallbacks / requests : 0,
    cascade_requests: cascade,
    escalations: stats.escalations,
    escalation_rate: cascade > 0 ? stats.escalations / cascade : 0,
  } satisfies RoutingResponse);
}

async function caching(_req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<void> {
  const r = range(url);
  await deps.store.flush();
  const [hits, byTechnique] = await Promise.all([
    deps.store.dashboard({ kind: 'cacheCounts', ...r }),
    deps.store.dashboard({ kind: 'timeseries', bucket: 'day', groupBy: 'technique', ...r }),
  ]);
  const sums = new Map<string, Sums>();
  const all = zero();
  for (const c of byTechnique) {
    let s = sums.get(c.key);
    if (s === undefined) sums.set(c.key, (s = zero()));
    addCell(s, c);
    addCell(all, c);
  }
  const lookups = hits.hitExact + hits.hitSemantic + hits.miss;
  const saving = (t: string) => {
    const s = sums.get(t);
    return s === undefined ? 0n : s.baseline - s.cost;
  };
  sendJson(res, 200, {
    from: r.from ?? null,
    to: r.to ?? null,
    response_cache: {
      lookups,
      hits_exact: hits.hitExact,
      hits_semantic: hits.hitSemantic,
      misses: hits.miss,
      hit_rate: lookups > 0 ? (hits.hitExact + hits.hitSemantic) / lookups : 0,
      saving_usd: formatUsd(saving('cache_exact') + saving('cache_semantic')),
      exact_saving_usd: formatUsd(saving('cache_exact')),
      semantic_saving_usd: formatUsd(saving('cache_semantic')),
    },
    prompt_cache: { saving_usd: formatUsd(all.promptCache) },
  } satisfies CachingResponse);
}

// Admin API (/api/...) — guarded by the admin key when one is configured. Read-only, except for
// cache invalidation, feedback (admin-feedback.ts) and the key store (admin-keys.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { formatUsd } from '../cost/money.js';
import type { SpendBucket } from '../storage/types.js';
import type { AppDeps } from './deps.js';
import { sendJson } from './respond.js';
import { parseJsonBody } from '../core/json-body.js';
import { readBody } from './body.js';
import { z } from 'zod';
import { formatPath } from '../config/load.js';
import { handleDashboardApi } from './admin-dashboard.js';
import { handleKeysApi } from './admin-keys.js';
import { handleFeedback } from './admin-feedback.js';
import { advise, catalogPrices, feedbackGrades, type AdviceReport } from '../advisor/index.js';
import type { SemanticCache } from '../pipeline/semantic-cache.js';
import type {
  AdviceResponse,
  Agrees,
  ApiErrorResponse,
  Assert,
  CacheInvalidateRequest,
  CacheInvalidateResponse,
  CacheStoreResponse,
  SemanticCacheStatus,
  LedgerListRow,
  PromptCacheResponse,
  RequestsListResponse,
  SpendGroup as ApiSpendGroup,
  SpendResponse,
  SpendRow,
} from './admin-api.js';

const invalidateSchema = z
  .strictObject({
    key: z.string().min(1).optional(),
    tenant: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    /** Entries created more than this many seconds ago. */
    olderThanSeconds: z.number().nonnegative().optional(),
  })
  .refine((f) => Object.keys(f).length > 0, 'give at least one of key, tenant, model, olderThanSeconds ({"olderThanSeconds": 0} clears everything)');

// The body the schema takes is the one admin-api.ts declares.
type _InvalidateBody = Assert<Agrees<z.output<typeof invalidateSchema>, CacheInvalidateRequest>>;

async function invalidateCache(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  let body: unknown;
  try {
    body = parseJsonBody(await readBody(req, 64 * 1024));
  } catch (err) {
    adminError(res, 400, (err as Error).message);
    return;
  }
  const parsed = invalidateSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    adminError(res, 400, `${formatPath(issue.path)}: ${issue.message}`, issue.path.length ? formatPath(issue.path) : null);
    return;
  }
  const { olderThanSeconds, ...rest } = parsed.data;
  const removed = await deps.responseCache.store.invalidate({ ...rest, ...(olderThanSeconds !== undefined ? { olderThanMs: olderThanSeconds * 1000 } : {}) });
  sendJson(res, 200, { removed } satisfies CacheInvalidateResponse);
}

const GROUPS: readonly ApiSpendGroup[] = ['model', 'day', 'tag', 'key', 'team', 'technique'];

/** Spend by team: each key's spend added to the team it belongs to now (keys without a team: `(none)`). */
async function spendByTeam(deps: AppDeps, range: { from?: number; to?: number }): Promise<SpendBucket[]> {
  const teamOf = new Map((await deps.governanceAdmin.store.listKeys()).map((k) => [k.id, k.teamId ?? '(none)']));
  const byTeam = new Map<string, SpendBucket>();
  for (const b of await deps.store.spend({ groupBy: 'key', ...range })) {
    const team = teamOf.get(b.key) ?? '(none)';
    const into = byTeam.get(team);
    if (into === undefined) {
      byTeam.set(team, { ...b, key: team, exact: { ...b.exact } });
      continue;
    }
    into.requests += b.requests;
    into.inputTokens += b.inputTokens;
    into.cacheReadTokens += b.cacheReadTokens;
    into.cacheWrite5mTokens += b.cacheWrite5mTokens;
    into.cacheWrite1hTokens += b.cacheWrite1hTokens;
    into.outputTokens += b.outputTokens;
    into.exact.costPico += b.exact.costPico;
    into.exact.baselinePico += b.exact.baselinePico;
    into.exact.promptCachePico += b.exact.promptCachePico;
    into.costPico = Number(into.exact.costPico);
    into.baselinePico = Number(into.exact.baselinePico);
    into.promptCachePico = Number(into.exact.promptCachePico);
  }
  return [...byTeam.values()].sort((a, b) => (b.exact.costPico > a.exact.costPico ? 1 : b.exact.costPico < a.exact.costPico ? -1 : 0));
}

/** `{[group]: key}`, typed (a computed key would type as an unchecked index signature). */
function groupKey(group: ApiSpendGroup, key: string): Partial<Record<ApiSpendGroup, string>> {
  const keyed: Partial<Record<ApiSpendGroup, string>> = {};
  keyed[group] = key;
  return keyed;
}

export function isAdmin(req: IncomingMessage, adminKey: string | undefined): boolean {
  if (!adminKey) return true;
  const auth = req.headers['authorization'];
  const given = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : req.headers['x-costwise-admin-key'];
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(adminKey);
  return a.length === b.length && timingSafeEqual(a, b);
}

function adminError(res: ServerResponse, status: number, message: string, param: string | null = null): void {
  sendJson(res, status, {
    error: { message, type: status === 401 ? 'authentication_error' : 'invalid_request_error', param, code: null },
  } satisfies ApiErrorResponse);
}

/** `from` / `to`: epoch ms or an ISO 8601 date/time. */
function parseTime(value: string | null, param: string): number | undefined | Error {
  if (value === null || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  return Number.isNaN(t) ? new Error(`${param}: expected epoch milliseconds or an ISO 8601 date, got "${value}"`) : t;
}

export async function handleAdmin(req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<void> {
  if (!isAdmin(req, deps.config.server.adminKey)) {
    res.setHeader('www-authenticate', 'Bearer realm="costwise admin"');
    adminError(res, 401, 'admin key required: send Authorization: Bearer <COSTWISE_ADMIN_KEY>');
    return;
  }
  if (url.pathname === '/api/cache/invalidate') {
    if (req.method !== 'POST') {
      adminError(res, 405, `method ${req.method} not allowed on ${url.pathname} (POST)`);
      return;
    }
    await invalidateCache(req, res, deps);
    return;
  }
  if (url.pathname === '/api/feedback') {
    await handleFeedback(req, res, deps);
    return;
  }
  if (await handleKeysApi(req, res, deps, url)) return;
  if (await handleDashboardApi(req, res, deps, url)) return;
  if (req.method !== 'GET') {
    adminError(res, 405, `method ${req.method} not allowed on ${url.pathname}`);
    return;
  }
  if (url.pathname === '/api/promptcache') {
    const churn = await deps.churnReports.read();
    sendJson(res, 200, {
      churn_scope: churn.scope,
      churn: churn.reports.map((r) => ({
        route: r.route,
        requests: r.requests,
        churned_requests: r.churned,
        tokens_lost: r.tokensLost,
        cost_lost_usd: formatUsd(r.picoLost),
        first_difference_at_char: r.firstDifferenceAt,
        example: r.example,
      })),
      shared: deps.promptCache.shared?.stats() ?? null,
    } satisfies PromptCacheResponse);
    return;
  }
  if (url.pathname === '/api/advice') {
    await adviceApi(res, deps, url);
    return;
  }
  if (url.pathname === '/api/cache') {
    const stats = await deps.responseCache.store.stats();
    sendJson(res, 200, {
      backend: deps.config.cache.backend,
      policy: deps.config.cache.policy,
      scope: deps.config.cache.scope,
      ...stats,
      semantic: semanticStatus(deps.responseCache.semantic, deps.config.cache.semantic.maxWrongHitRate),
    } satisfies CacheStoreResponse);
    return;
  }
  if (url.pathname === '/api/spend') {
    const groupBy = (url.searchParams.get('group_by') ?? 'model') as ApiSpendGroup;
    if (!GROUPS.includes(groupBy)) {
      adminError(res, 400, `group_by: expected one of ${GROUPS.join(', ')}, got "${groupBy}"`, 'group_by');
      return;
    }
    const from = parseTime(url.searchParams.get('from'), 'from');
    const to = parseTime(url.searchParams.get('to'), 'to');
    if (from instanceof Error) {
      adminError(res, 400, from.message, 'from');
      return;
    }
    if (to instanceof Error) {
      adminError(res, 400, to.message, 'to');
      return;
    }
    await deps.store.flush();
    const range = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
    const buckets = groupBy === 'team' ? await spendByTeam(deps, range) : await deps.store.spend({ groupBy, ...range });
    let cost = 0n;
    let baseline = 0n;
    for (const b of buckets) {
      cost += b.exact.costPico;
      baseline += b.exact.baselinePico;
    }
    sendJson(res, 200, {
      group_by: groupBy,
      from: from ?? null,
      to: to ?? null,
      total: { cost_usd: formatUsd(cost), baseline_usd: formatUsd(baseline), saving_usd: formatUsd(baseline - cost) },
      data: buckets.map((b): SpendRow => ({
        ...groupKey(groupBy, b.key),
        requests: b.requests,
        tokens: {
          input: b.inputTokens,
          cache_read: b.cacheReadTokens,
          cache_write_5m: b.cacheWrite5mTokens,
          cache_write_1h: b.cacheWrite1hTokens,
          output: b.outputTokens,
        },
        cost_usd: formatUsd(b.exact.costPico),
        baseline_usd: formatUsd(b.exact.baselinePico),
        saving_usd: formatUsd(b.exact.baselinePico - b.exact.costPico),
        prompt_cache_saving_usd: formatUsd(b.exact.promptCachePico),
      })),
    } satisfies SpendResponse);
    return;
  }
  if (url.pathname === '/api/requests') {
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 50) || 50, 1), 1000);
    const offset = Math.max(Number(url.searchParams.get('offset') ?? 0) || 0, 0);
    await deps.store.flush();
    const rows = await deps.store.ledgerRows({ limit, offset });
    sendJson(res, 200, {
      data: rows.map((r): LedgerListRow => ({ ...r, cost_usd: formatUsd(r.costPico), baseline_usd: formatUsd(r.baselinePico) })),
      limit,
      offset,
    } satisfies RequestsListResponse);
    return;
  }
  adminError(res, 404, `no admin endpoint ${url.pathname}`);
}

// The advisor's report is sent whole: its declaration and the API's must agree.
type _Advice = Assert<Agrees<AdviceReport['recommendations'][number], AdviceResponse['recommendations'][number]>>;

/** Rows the advice endpoint reads at most (the newest); `costwise advise` reads the whole ledger. */
const ADVICE_ROWS = 200_000;
const DAY_MS = 86_400_000;

async function adviceApi(res: ServerResponse, deps: AppDeps, url: URL): Promise<void> {
  const raw = url.searchParams.get('days') ?? '30';
  const days = Number(raw);
  if (!Number.isFinite(days) || days <= 0 || days > 3660) {
    adminError(res, 400, `days: expected a positive number of days (at most 3660), got "${raw}"`, 'days');
    return;
  }
  await deps.store.flush();
  const [rows, churn] = await Promise.all([deps.store.ledgerRows({ limit: ADVICE_ROWS }), deps.churnReports.read()]);
  // A score is given after its request arrived: the window's scores are those given since it began.
  const newest = rows.reduce((m, r) => Math.max(m, r.ts), 0);
  const feedback = rows.length ? await deps.labels.feedback(Math.max(0, newest - days * DAY_MS)) : [];
  const report = advise(rows, {
    days,
    maxLoss: deps.config.advisor.maxLoss,
    confidence: deps.config.advisor.confidence,
    model: catalogPrices(deps.catalog),
    churn: churn.reports,
    cacheTtlMs: deps.config.cache.ttlSeconds * 1000,
    grades: feedbackGrades(feedback),
  });
  sendJson(res, 200, { ...report, rows_read: rows.length, limit_rows: ADVICE_ROWS } satisfies AdviceResponse);
}

function semanticStatus(semantic: SemanticCache | undefined, maxWrongHitRate: number): SemanticCacheStatus | null {
  if (!semantic) return null;
  const v = semantic.verification;
  return {
    entries: semantic.size,
    max_wrong_hit_rate: maxWrongHitRate,
    verify_sample_rate: v ? v.settings.sampleRate : null,
    namespaces: (v?.report() ?? []).map((n) => ({
      namespace: n.namespace,
      threshold: n.threshold,
      samples: n.samples,
      samples_at_threshold: n.samplesAtThreshold,
      wrong_hit_rate: n.wrongHitRate,
      wrong_hit_rate_ci: n.wrongHitRateCi ? [n.wrongHitRateCi[0], n.wrongHitRateCi[1]] : null,
    })),
  };
}

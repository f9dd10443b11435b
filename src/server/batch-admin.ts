// The admin side of batches (admin key when configured): list and inspect every batch with its
// estimate, approve one waiting in `awaiting_approval`, cancel, and read results.
//   GET  /api/batches                  {available: true, data: [...], has_more} (newest first; ?limit=&after=)
//   GET  /api/batches/{id}             one batch, both providers' views plus costwise's
//   POST /api/batches/{id}/approve     awaiting_approval → in_progress
//   POST /api/batches/{id}/cancel
//   GET  /api/batches/{id}/results     JSONL in the batch's own format
// The JSON bodies are declared in admin-api.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../core/errors.js';
import { formatUsd } from '../cost/money.js';
import { openAIStatus, renderOpenAIBatch } from '../batch/render-openai.js';
import { renderAnthropicBatch } from '../batch/render-anthropic.js';
import { lineErrorLine, openAILine } from '../batch/render-openai.js';
import type { BatchRecord, Estimate } from '../batch/types.js';
import type { BatchService } from '../batch/service.js';
import type { StateCounts } from '../batch/store.js';
import type { AppDeps } from './deps.js';
import { isAdmin } from './admin.js';
import { sendJson } from './respond.js';
import { limitParam, originOf, sendRaw, service } from './batch-http.js';
import type { Agrees, ApiErrorResponse, Assert, BatchCounts, BatchDetailResponse, BatchesResponse, BatchEstimate, BatchSummary } from './admin-api.js';

// Sent whole: they must agree with their declarations in admin-api.ts.
type _Estimate = Assert<Agrees<Estimate, BatchEstimate>>;
type _Counts = Assert<Agrees<StateCounts, BatchCounts>>;

async function summary(svc: BatchService, b: BatchRecord): Promise<BatchSummary> {
  const c = await svc.store.counts(b.id);
  return {
    id: b.id,
    format: b.format,
    state: b.state,
    status: b.state,
    model: b.models.join(', '),
    requests: b.total,
    completed: c.succeeded + c.errored + c.canceled + c.expired + b.lineErrors.length,
    counts: c,
    estimate_usd: b.estimate.expected_usd,
    estimate: b.estimate,
    cost_usd: formatUsd(await svc.store.costPico(b.id)),
    origin: b.origin,
    created_at: b.createdAt,
    ended_at: b.endedAt,
  };
}

async function detail(svc: BatchService, req: IncomingMessage, b: BatchRecord): Promise<BatchDetailResponse> {
  const c = await svc.store.counts(b.id);
  return {
    ...(await summary(svc, b)),
    view: b.format === 'openai' ? renderOpenAIBatch(b, c) : renderAnthropicBatch(b, c, originOf(req)),
    openai_status: openAIStatus(b.state),
  };
}

async function results(svc: BatchService, b: BatchRecord): Promise<string> {
  if (b.format === 'anthropic') return svc.anthropicResults(b);
  const lines = (await svc.store.items(b.id)).flatMap((i) => {
    const l = openAILine(b, i);
    return l ? [JSON.stringify(l.line)] : [];
  });
  for (const e of b.lineErrors) lines.push(JSON.stringify(lineErrorLine(b, e)));
  return lines.map((l) => `${l}\n`).join('');
}

export async function handleBatchAdmin(req: IncomingMessage, res: ServerResponse, deps: AppDeps, url: URL): Promise<void> {
  if (!isAdmin(req, deps.config.server.adminKey)) {
    res.setHeader('www-authenticate', 'Bearer realm="costwise admin"');
    sendJson(res, 401, {
      error: { message: 'admin key required: send Authorization: Bearer <COSTWISE_ADMIN_KEY>', type: 'authentication_error', param: null, code: null },
    } satisfies ApiErrorResponse);
    return;
  }
  const svc = service(deps);
  const parts = url.pathname.split('/').slice(3).map(decodeURIComponent); // after /api/batches
  const [id, action] = parts;
  const method = req.method ?? 'GET';
  if (id === undefined && method === 'GET') {
    const page = await svc.store.listBatches({ limit: limitParam(url, 100, 1000), after: url.searchParams.get('after') });
    const data = await Promise.all(page.data.map((b) => summary(svc, b)));
    sendJson(res, 200, { available: true, data, has_more: page.hasMore } satisfies BatchesResponse);
    return;
  }
  if (id !== undefined && action === 'results' && method === 'GET') {
    sendRaw(res, 'application/x-jsonl', await results(svc, await svc.mustGet(id)));
    return;
  }
  const batch = id === undefined ? undefined : await batchAction(svc, id, action, method);
  if (batch === undefined) throw new GatewayError({ kind: 'not_found', message: `no admin endpoint ${method} ${url.pathname}` });
  sendJson(res, 200, await detail(svc, req, batch));
}

/** The batch after GET /api/batches/{id}, POST …/approve or POST …/cancel; undefined on any other route. */
function batchAction(svc: BatchService, id: string, action: string | undefined, method: string): Promise<BatchRecord> | undefined {
  if (action === undefined && method === 'GET') return svc.mustGet(id);
  if (action === 'approve' && method === 'POST') return svc.approve(id);
  if (action === 'cancel' && method === 'POST') return svc.cancel(id);
  return undefined;
}

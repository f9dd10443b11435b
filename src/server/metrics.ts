// GET /metrics: the Prometheus exposition of src/telemetry/metrics.ts, behind the admin key like
// /api (costs and budgets are the admin's to see). The budget gauge's source lives here, where the
// keys are.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PICO_PER_USD } from '../cost/money.js';
import { budgetScopes } from '../governance/index.js';
import type { BudgetRemaining } from '../telemetry/index.js';
import { isAdmin } from './admin.js';
import type { AppDeps } from './deps.js';
import type { RunningGovernance } from './governance.js';
import { sendJson } from './respond.js';

export async function handleMetrics(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  req.resume();
  if (!isAdmin(req, deps.config.server.adminKey)) {
    res.setHeader('www-authenticate', 'Bearer realm="costwise admin"');
    sendJson(res, 401, {
      error: { message: 'admin key required: send Authorization: Bearer <COSTWISE_ADMIN_KEY>', type: 'authentication_error', param: null, code: null },
    });
    return;
  }
  const metrics = deps.telemetry?.metrics;
  if (metrics === undefined) {
    sendJson(res, 404, {
      error: { message: 'metrics are off (metrics.enabled: false in the config)', type: 'invalid_request_error', param: null, code: 'metrics_disabled' },
    });
    return;
  }
  const text = await metrics.render();
  res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Every live key's own budgets, what each has left in its current period. */
export function keyBudgets(governance: Pick<RunningGovernance, 'store' | 'status' | 'governance'>): () => Promise<BudgetRemaining[]> {
  return async () => {
    const now = Date.now();
    const timeZone = governance.governance.settings.timeZone;
    const out: BudgetRemaining[] = [];
    for (const key of await governance.store.listKeys()) {
      if (key.revokedAt !== null || !key.enabled || key.budgets.length === 0) continue;
      for (const scope of budgetScopes({ key, teams: [], at: now, timeZone })) {
        const status = await governance.status(scope);
        out.push({ key: key.id, name: key.name, period: scope.window.period, remainingUsd: Number(status.remainingPico) / PICO_PER_USD });
      }
    }
    return out;
  };
}

// GET /v1/models in the caller's format (Anthropic SDKs send `anthropic-version`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppDeps } from './deps.js';
import { sendJson } from './respond.js';

const CREATED = 1_735_689_600; // 2025-01-01: catalog entries have no upstream creation date.

type Model = ReturnType<AppDeps['catalog']['list']>[number];

function anthropicModel(m: Model) {
  return { type: 'model', id: m.name, display_name: m.name, created_at: new Date(CREATED * 1000).toISOString() };
}

export function handleModels(req: IncomingMessage, res: ServerResponse, deps: AppDeps): void {
  const models = deps.catalog.list();
  if (req.headers['anthropic-version']) {
    const data = models.map(anthropicModel);
    sendJson(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    return;
  }
  sendJson(res, 200, { object: 'list', data: models.map(openAIModel) });
}

/** GET /v1/models/{id} */
export function handleModel(req: IncomingMessage, res: ServerResponse, deps: AppDeps, id: string): void {
  const m = deps.catalog.get(id);
  const anthropic = Boolean(req.headers['anthropic-version']);
  if (!m) {
    const message = `The model '${id}' does not exist in this costwise catalog.`;
    if (anthropic) sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message } });
    else sendJson(res, 404, { error: { message, type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
    return;
  }
  sendJson(res, 200, anthropic ? anthropicModel(m) : openAIModel(m));
}

function openAIModel(m: Model) {
  return {
    id: m.name,
    object: 'model',
    created: CREATED,
    owned_by: m.provider.name,
    costwise: {
      provider: m.provider.kind,
      upstream_model: m.upstreamModel,
      tier: m.tier ?? null,
      kind: m.kind,
      context_window: m.capabilities.contextWindow ?? null,
      price_usd_per_mtok: {
        input: m.pricing.base.input / 1e6,
        output: m.pricing.base.output / 1e6,
        cache_read: m.pricing.base.cacheRead / 1e6,
        cache_write_5m: m.pricing.base.cacheWrite5m / 1e6,
        cache_write_1h: m.pricing.base.cacheWrite1h / 1e6,
      },
    },
  };
}

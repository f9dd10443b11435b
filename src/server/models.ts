// GET /v1/models in the caller's format (Anthropic SDKs send `anthropic-version`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppDeps } from './deps.js';
import { sendJson } from './respond.js';

const CREATED = 1_735_689_600; // 2025-01-01: catalog entries have no upstream creation date.

export function handleModels(req: IncomingMessage, res: ServerResponse, deps: AppDeps): void {
  const models = deps.catalog.list();
  if (req.headers['anthropic-version']) {
    const data = models.map((m) => ({ type: 'model', id: m.name, display_name: m.name, created_at: new Date(CREATED * 1000).toISOString() }));
    sendJson(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    return;
  }
  sendJson(res, 200, {
    object: 'list',
    data: models.map((m) => ({
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
    })),
  });
}

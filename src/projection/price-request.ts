// What one request costs, synchronously or through the provider's batch API, from its token classes
// and the deployment's prices: the gateway's own costPico and batch prices (src/cost/batch.ts), so a
// projection (and a trace replay) prices every request exactly as the ledger would.
import type { Usage } from '../core/canonical.js';
import type { Deployment } from '../config/catalog.js';
import { costPico } from '../cost/calculate.js';
import { batchPricing, hasNativeBatch } from '../cost/batch.js';

export type Mode = 'sync' | 'batch';

/** Whether costwise would run this deployment's batch items on a discounted provider batch API. */
export function hasBatchApi(d: Deployment): boolean {
  return hasNativeBatch(d.provider.kind);
}

/** Pico-dollars for one request with `usage` on `d`. */
export function requestCostPico(usage: Usage, d: Deployment, mode: Mode = 'sync'): number {
  return costPico(usage, mode === 'batch' && hasBatchApi(d) ? batchPricing(d.pricing) : d.pricing);
}

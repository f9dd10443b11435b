// The advisor's view of the catalog: a model's prices and whether its provider batches.
import type { Catalog } from '../config/catalog.js';
import { hasNativeBatch } from '../cost/batch.js';
import type { PricedModel } from './advise.js';

export function catalogPrices(catalog: Catalog): (name: string) => PricedModel | undefined {
  return (name) => {
    const d = catalog.get(name);
    return d ? { pricing: d.pricing, batch: hasNativeBatch(d.provider.kind) } : undefined;
  };
}

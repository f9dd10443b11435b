// The Prices sheet: one row per model and context-length tier, sync prices per token class in USD
// per million tokens, and the batch prices as formulas on the batch discount input.
import type { Workbook } from '@cj-tech-master/excelts';
import type { Deployment } from '../../../config/catalog.js';
import { BATCH_PRICE_PERCENT } from '../../../cost/batch.js';
import type { TokenPrices } from '../../../cost/prices.js';
import { hasBatchApi } from '../../price-request.js';
import { FMT, STYLE, putFormula, putRow, putValue, rel } from './cells.js';

export const PRICES_SHEET = 'Prices';

export type PriceClass = keyof TokenPrices;
const CLASSES: readonly PriceClass[] = ['input', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h', 'output'];
const CLASS_LABEL: Record<PriceClass, string> = {
  input: 'input',
  cacheRead: 'cache read',
  cacheWrite5m: 'cache write 5m',
  cacheWrite1h: 'cache write 1h',
  output: 'output',
};

const COL = { model: 1, provider: 2, batchApi: 3, above: 4, sync: 5, batch: 10, source: 15, asOf: 16 } as const;
const FIRST = 4;

export interface PricesLayout {
  /** Whole-column references used by the lookups (rows below the table are empty). */
  models: string;
  batchApi: string;
  above: string;
  price(cls: PriceClass, mode: 'sync' | 'batch'): string;
  /** The range of model names, for the served-by and naive-model drop-downs. */
  modelList: string;
}

const col = (c: number): string => {
  const name = rel(c, 1).replace(/\d+$/, '');
  return `${PRICES_SHEET}!$${name}:$${name}`;
};

export interface PricesInput {
  models: readonly Deployment[];
  /** Where the prices come from, e.g. "@pydantic/genai-prices 0.1.8 (list prices)". */
  source: (d: Deployment) => string;
  asOf: string;
  /** The absolute reference of the batch price percentage input. */
  batchPercent: string;
}

export function addPricesSheet(wb: Workbook, input: PricesInput): PricesLayout {
  const ws = wb.addWorksheet(PRICES_SHEET, { views: [{ state: 'frozen', ySplit: FIRST - 1, xSplit: 1 }] });
  putValue(ws, 1, 1, 'Prices (USD per million tokens)', { style: STYLE.title });
  putValue(
    ws,
    1,
    2,
    'A tier row applies when a request has more input tokens than "applies above". Batch prices follow the batch discount on the Inputs sheet.',
    {
      style: STYLE.note,
    },
  );
  putRow(
    ws,
    FIRST - 1,
    [
      'model',
      'provider',
      'batch API',
      'applies above (input tokens)',
      ...CLASSES.map((c) => CLASS_LABEL[c]),
      ...CLASSES.map((c) => `batch ${CLASS_LABEL[c]}`),
      'source',
      'as of',
    ],
    { style: STYLE.head },
  );
  let row = FIRST;
  const sorted = [...input.models].sort((a, b) => a.name.localeCompare(b.name));
  for (const d of sorted) {
    const tiers: Array<{ above: number; prices: TokenPrices }> = [{ above: 0, prices: d.pricing.base }, ...d.pricing.tiers];
    for (const tier of tiers) {
      const batch = hasBatchApi(d);
      putRow(ws, row, [d.name, d.provider.kind, batch ? 'yes' : 'no']);
      putValue(ws, COL.above, row, tier.above, { style: STYLE.input, fmt: FMT.int });
      CLASSES.forEach((c, i) => {
        const perMillion = tier.prices[c] / 1e6;
        putValue(ws, COL.sync + i, row, perMillion, { style: STYLE.input, fmt: FMT.usdPrice });
        const discounted = batch ? Math.round((tier.prices[c] * BATCH_PRICE_PERCENT) / 100) / 1e6 : perMillion;
        const cell = rel(COL.sync + i, row);
        putFormula(
          ws,
          COL.batch + i,
          row,
          `IF(${rel(COL.batchApi, row)}="yes",ROUND(${cell}*1000000*${input.batchPercent}/100,0)/1000000,${cell})`,
          discounted,
          {
            fmt: FMT.usdPrice,
          },
        );
      });
      putRow(ws, row, [input.source(d), input.asOf], {}, COL.source);
      row++;
    }
  }
  ws.getColumn(COL.model).width = 22;
  ws.getColumn(COL.source).width = 40;
  ws.getColumn(COL.asOf).width = 12;
  for (let c: number = COL.above; c < COL.source; c++) ws.getColumn(c).width = 13;
  return {
    models: col(COL.model),
    batchApi: col(COL.batchApi),
    above: col(COL.above),
    price: (cls, mode) => col((mode === 'sync' ? COL.sync : COL.batch) + CLASSES.indexOf(cls)),
    modelList: `${PRICES_SHEET}!$A$${FIRST}:$A$${row - 1}`,
  };
}

/** The tier ("applies above") a request with `tokens` input tokens is priced at on `model`. */
export function tierFormula(p: PricesLayout, model: string, tokens: string): string {
  return `_xlfn.MAXIFS(${p.above},${p.models},${model},${p.above},"<"&${tokens})`;
}

/** One price (USD per million tokens) of `model` at tier `tier`. */
export function priceFormula(p: PricesLayout, cls: PriceClass, mode: 'sync' | 'batch', model: string, tier: string): string {
  return `SUMIFS(${p.price(cls, mode)},${p.models},${model},${p.above},${tier})`;
}

// One sheet per scale factor: the month table on top (sums of the rows below), and below it one row
// per month and request type that recomputes the engine step by step with formulas on the Inputs
// and Prices sheets: whole requests by largest remainder, then the five techniques in their order
// (routing, prompt optimisation, response caching, prompt caching, batching), each stage's cost.
import type { Workbook, Worksheet } from '@cj-tech-master/excelts';
import type { Deployment } from '../../../config/catalog.js';
import { ZERO_USAGE, type Usage } from '../../../core/canonical.js';
import { TECHNIQUES, type TypeMonth } from '../../engine.js';
import { hasBatchApi, requestCostPico, type Mode } from '../../price-request.js';
import type { ScaleResult } from '../../project.js';
import type { Scenario } from '../../scenario.js';
import { usd } from '../money.js';
import { TECHNIQUE_LABEL } from '../rows.js';
import { FMT, STYLE, putFormula, putRow, putValue, range, ref, rel, type Cached, type Put } from './cells.js';
import type { InputsLayout } from './inputs-sheet.js';
import { priceFormula, tierFormula, type PriceClass, type PricesLayout } from './prices-sheet.js';

/** Month-table columns. */
const M = { month: 1, volume: 2, requests: 3, load: 4, naive: 5, optimized: 6, saving: 7, savingPct: 8, savings: 9, hits: 14, hitRate: 15, reads: 16 } as const;

/** Detail columns, in the order the engine computes them. */
const D = {
  month: 1,
  type: 2,
  total: 3,
  exact: 4,
  floor: 5,
  rest: 6,
  rank: 7,
  left: 8,
  n: 9,
  served: 10,
  naive: 11,
  naiveTier: 12,
  servedTier: 13,
  naiveReq: 14,
  routedReq: 15,
  input: 16,
  prefix: 17,
  inputTier: 18,
  plain: 19,
  read: 20,
  write: 21,
  plainBatch: 22,
  readBatch: 23,
  writeBatch: 24,
  hitRate: 25,
  hits: 26,
  misses: 27,
  batchApi: 28,
  batched: 29,
  sync: 30,
  reuse: 31,
  readsSync: 32,
  readsBatch: 33,
  cached: 34,
  useCache: 39,
  saving0: 42,
  exactRate: 47,
} as const;
/** The cost after each stage: naive, then after each technique (column 39 is D.useCache). */
const STAGE_COL = [35, 36, 37, 38, 40, 41] as const;
const STAGE_LABEL = [
  'naive cost',
  'after routing',
  'after prompt optimisation',
  'after response caching',
  'after prompt caching',
  'after batching (optimised)',
];

export interface MonthsSheetInput {
  scenario: Scenario;
  result: ScaleResult;
  inputs: InputsLayout;
  prices: PricesLayout;
  deployments: ReadonlyMap<string, Deployment>;
}

export interface MonthsLayout {
  sheet: string;
  scale: string;
  /** Month-table cells of month `m` (1-based) and the total row. */
  naive(m: number | 'total'): string;
  optimized(m: number | 'total'): string;
  requests(m: number | 'total'): string;
}

export function monthsSheetName(scale: number): string {
  return `Months ${scale}x`;
}

const usage = (input: number, output: number, cached = 0, cache: 'read' | '5m' | '1h' = 'read'): Usage => ({
  ...ZERO_USAGE,
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cache === 'read' ? cached : 0,
  cacheWrite5mTokens: cache === '5m' ? cached : 0,
  cacheWrite1hTokens: cache === '1h' ? cached : 0,
});
const perRequest = (u: Usage, d: Deployment, mode: Mode = 'sync'): number => requestCostPico(u, d, mode) / 1e12;

export function addMonthsSheet(wb: Workbook, input: MonthsSheetInput): MonthsLayout {
  const { scenario, result, inputs } = input;
  const name = monthsSheetName(result.scale);
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 4, xSplit: 1 }] });
  const months = result.months.length;
  const types = scenario.types.length;
  putValue(ws, 1, 1, `Month by month at ${result.scale}× the scenario's volume (USD)`, { style: STYLE.title });
  putValue(ws, 1, 2, 'scale factor');
  putValue(ws, 2, 2, result.scale, { style: STYLE.input, fmt: FMT.factor });
  putValue(ws, 3, 2, 'Month rows sum the per-type rows below, which follow the engine step by step.', { style: STYLE.note });
  const scale = ref(2, 2);

  putRow(
    ws,
    4,
    [
      'month',
      'requests at 1×',
      'requests',
      'load (× month 1 at 1×)',
      'naive',
      'optimised',
      'saving',
      'saving %',
      ...TECHNIQUES.map((k) => `saving: ${TECHNIQUE_LABEL[k]}`),
      'response-cache hits',
      'response-cache hit rate',
      'prompt-cache reads',
    ],
    { style: STYLE.head },
  );
  const monthRow = (m: number): number => 4 + m;
  const totalRow = monthRow(months) + 1;
  const detailHead = totalRow + 3;
  const detailRow = (m: number, i: number): number => detailHead + 1 + (m - 1) * types + i;
  const lastDetail = detailRow(months, types - 1);
  const detail = (c: number): string => range(c, detailHead + 1, lastDetail);
  const sumByMonth = (c: number, row: number): string => `SUMIFS(${detail(c)},${detail(D.month)},${ref(M.month, row)})`;
  const volume1 = scenario.monthlyVolume[0]!;

  result.months.forEach((mr, mi) => {
    const row = monthRow(mr.month);
    const volume = scenario.monthlyVolume[mi]!;
    const hits = mr.types.reduce((s, t) => s + t.responseCacheHits, 0);
    putValue(ws, M.month, row, mr.month);
    putFormula(ws, M.volume, row, inputs.volume(mr.month), volume, { fmt: FMT.int });
    putFormula(ws, M.requests, row, `ROUND(${rel(M.volume, row)}*${scale},0)`, mr.requests, { fmt: FMT.int });
    const load = volume1 > 0 ? (volume * result.scale) / volume1 : 1;
    putFormula(ws, M.load, row, `IF(${inputs.volume(1)}>0,${rel(M.volume, row)}*${scale}/${inputs.volume(1)},1)`, load, { fmt: FMT.factor });
    putFormula(ws, M.naive, row, sumByMonth(STAGE_COL[0], row), usd(mr.naivePico), { fmt: FMT.usd });
    putFormula(ws, M.optimized, row, sumByMonth(STAGE_COL[5], row), usd(mr.optimizedPico), { fmt: FMT.usd });
    putFormula(ws, M.saving, row, `${rel(M.naive, row)}-${rel(M.optimized, row)}`, usd(mr.naivePico - mr.optimizedPico), { fmt: FMT.usd });
    const pct = mr.naivePico > 0n ? 1 - usd(mr.optimizedPico) / usd(mr.naivePico) : 0;
    putFormula(ws, M.savingPct, row, `IF(${rel(M.naive, row)}>0,${rel(M.saving, row)}/${rel(M.naive, row)},0)`, pct, { fmt: FMT.pct });
    TECHNIQUES.forEach((k, i) => putFormula(ws, M.savings + i, row, sumByMonth(D.saving0 + i, row), usd(mr.savingsPico[k]), { fmt: FMT.usd }));
    putFormula(ws, M.hits, row, sumByMonth(D.hits, row), hits, { fmt: FMT.int });
    putFormula(ws, M.hitRate, row, `IF(${rel(M.requests, row)}>0,${rel(M.hits, row)}/${rel(M.requests, row)},0)`, mr.requests ? hits / mr.requests : 0, {
      fmt: FMT.pct,
    });
    const reads = mr.types.reduce((s, t) => s + t.promptCacheReads, 0);
    putFormula(ws, M.reads, row, sumByMonth(D.readsSync, row) + '+' + sumByMonth(D.readsBatch, row), reads, { fmt: FMT.int });
  });
  const total: Put = { style: STYLE.total, fmt: FMT.usd };
  putValue(ws, M.month, totalRow, 'total', { style: STYLE.total });
  const colSum = (c: number): string => `SUM(${range(c, monthRow(1), monthRow(months))})`;
  putFormula(ws, M.requests, totalRow, colSum(M.requests), result.total.requests, { style: STYLE.total, fmt: FMT.int });
  putFormula(ws, M.naive, totalRow, colSum(M.naive), usd(result.total.naivePico), total);
  putFormula(ws, M.optimized, totalRow, colSum(M.optimized), usd(result.total.optimizedPico), total);
  putFormula(ws, M.saving, totalRow, colSum(M.saving), usd(result.total.naivePico - result.total.optimizedPico), total);
  TECHNIQUES.forEach((k, i) => putFormula(ws, M.savings + i, totalRow, colSum(M.savings + i), usd(result.total.savingsPico[k]), total));

  writeDetailHead(ws, detailHead);
  result.months.forEach((mr) => {
    const first = detailRow(mr.month, 0);
    const last = detailRow(mr.month, types - 1);
    const exact = scenario.types.map((t) => mr.requests * t.share);
    const floors = exact.map(Math.floor);
    const left = mr.requests - floors.reduce((a, b) => a + b, 0);
    const rests = exact.map((e, i) => e - floors[i]!);
    mr.types.forEach((tm, i) => {
      const rank = 1 + rests.filter((r, j) => r > rests[i]! || (r === rests[i]! && j < i)).length;
      writeDetailRow(ws, {
        ...input,
        row: detailRow(mr.month, i),
        group: [first, last],
        month: mr.month,
        monthRow: monthRow(mr.month),
        typeIndex: i,
        tm,
        split: { exact: exact[i]!, floor: floors[i]!, rest: rests[i]!, rank, left },
      });
    });
  });
  ws.getColumn(1).width = 10;
  ws.getColumn(2).width = 18;
  for (let c = 3; c <= D.exactRate; c++) ws.getColumn(c).width = 14;

  const cell = (c: number) => (m: number | 'total') => ref(c, m === 'total' ? totalRow : monthRow(m), name);
  return { sheet: name, scale: ref(2, 2, name), naive: cell(M.naive), optimized: cell(M.optimized), requests: cell(M.requests) };
}

function writeDetailHead(ws: Worksheet, row: number): void {
  putValue(ws, 1, row - 1, 'Per request type and month: the engine step by step', { style: STYLE.title });
  const heads: Record<number, string> = {
    [D.month]: 'month',
    [D.type]: 'request type',
    [D.total]: "month's requests",
    [D.exact]: 'requests × share',
    [D.floor]: 'whole part',
    [D.rest]: 'remainder',
    [D.rank]: 'remainder rank',
    [D.left]: 'requests left to hand out',
    [D.n]: 'requests',
    [D.served]: 'served by',
    [D.naive]: 'naive model',
    [D.naiveTier]: 'naive price tier',
    [D.servedTier]: 'served price tier',
    [D.naiveReq]: 'naive $/request',
    [D.routedReq]: 'routed $/request',
    [D.input]: 'input tokens after optimisation',
    [D.prefix]: 'prefix tokens',
    [D.inputTier]: 'price tier after optimisation',
    [D.plain]: 'uncached $/request',
    [D.read]: 'prefix read $/request',
    [D.write]: 'prefix write $/request',
    [D.plainBatch]: 'batch uncached $/request',
    [D.readBatch]: 'batch prefix read $/request',
    [D.writeBatch]: 'batch prefix write $/request',
    [D.hitRate]: 'response-cache hit rate',
    [D.hits]: 'response-cache hits',
    [D.misses]: 'misses',
    [D.batchApi]: 'batch API',
    [D.batched]: 'batched',
    [D.sync]: 'synchronous',
    [D.reuse]: 'prefix reuse this month',
    [D.readsSync]: 'prefix reads (sync)',
    [D.readsBatch]: 'prefix reads (batch)',
    [D.cached]: 'cost with prefix caching',
    [D.useCache]: 'prefix caching pays',
    [D.exactRate]: 'exact hit rate this month',
  };
  STAGE_COL.forEach((c, i) => (heads[c] = STAGE_LABEL[i]!));
  TECHNIQUES.forEach((k, i) => (heads[D.saving0 + i] = `saving: ${TECHNIQUE_LABEL[k]}`));
  for (const [c, h] of Object.entries(heads)) putValue(ws, Number(c), row, h, { style: STYLE.head });
}

interface DetailRow extends MonthsSheetInput {
  row: number;
  group: [number, number];
  month: number;
  monthRow: number;
  typeIndex: number;
  tm: TypeMonth;
  split: { exact: number; floor: number; rest: number; rank: number; left: number };
}

function writeDetailRow(ws: Worksheet, r: DetailRow): void {
  const { row, inputs, prices, tm } = r;
  const t = r.scenario.types[r.typeIndex]!;
  const a = t.assumptions;
  const served = r.deployments.get(tm.servedModel)!;
  const naive = r.deployments.get(tm.naiveModel)!;
  const mix = (c: Parameters<InputsLayout['mix']>[1]): string => inputs.mix(r.typeIndex, c);
  const c = (col: number): string => rel(col, row);
  const f = (col: number, formula: string, value: Cached, fmt?: string): void => putFormula(ws, col, row, formula, value, { fmt });
  const portion = (n: string, rate: string): string => `MIN(${n},MAX(0,ROUND(${n}*${rate},0)))`;
  const price = (cls: PriceClass, mode: Mode, model: number, tier: number): string => priceFormula(prices, cls, mode, c(model), c(tier));
  const [first, last] = r.group;

  putValue(ws, D.month, row, r.month);
  f(D.type, mix('name'), t.name);
  f(D.total, ref(M.requests, r.monthRow), r.result.months[r.month - 1]!.requests, FMT.int);
  f(D.exact, `${c(D.total)}*${mix('share')}`, r.split.exact);
  f(D.floor, `INT(${c(D.exact)})`, r.split.floor, FMT.int);
  f(D.rest, `${c(D.exact)}-${c(D.floor)}`, r.split.rest);
  const ties = row > first ? `+SUMPRODUCT(--(${range(D.rest, first, row - 1)}=${c(D.rest)}))` : '';
  f(D.rank, `1+SUMPRODUCT(--(${range(D.rest, first, last)}>${c(D.rest)}))${ties}`, r.split.rank);
  f(D.left, `${c(D.total)}-SUM(${range(D.floor, first, last)})`, r.split.left, FMT.int);
  f(D.n, `${c(D.floor)}+IF(${c(D.rank)}<=${c(D.left)},1,0)`, tm.requests, FMT.int);
  f(D.served, mix('servedBy'), tm.servedModel);
  f(D.naive, mix('naive'), tm.naiveModel);
  f(D.naiveTier, tierFormula(prices, c(D.naive), mix('inputTokens')), tierOf(naive, t.inputTokens), FMT.int);
  f(D.servedTier, tierFormula(prices, c(D.served), mix('inputTokens')), tierOf(served, t.inputTokens), FMT.int);
  const plainCost = (model: number, tier: number, tokens: string): string =>
    `(${tokens}*${price('input', 'sync', model, tier)}+${mix('outputTokens')}*${price('output', 'sync', model, tier)})/1000000`;
  f(D.naiveReq, plainCost(D.naive, D.naiveTier, mix('inputTokens')), perRequest(usage(t.inputTokens, t.outputTokens), naive), FMT.usdPrice);
  f(D.routedReq, plainCost(D.served, D.servedTier, mix('inputTokens')), perRequest(usage(t.inputTokens, t.outputTokens), served), FMT.usdPrice);

  const input = tm.inputTokensAfterOptimization;
  const prefix = Math.round(input * a.prefixShare);
  f(D.input, `ROUND(${mix('inputTokens')}*(1-${mix('promptOptimization')}),0)`, input, FMT.int);
  f(D.prefix, `ROUND(${c(D.input)}*${mix('prefixShare')},0)`, prefix, FMT.int);
  f(D.inputTier, tierFormula(prices, c(D.served), c(D.input)), tierOf(served, input), FMT.int);
  for (const mode of ['sync', 'batch'] as const) {
    const p = (cls: PriceClass): string => price(cls, mode, D.served, D.inputTier);
    const write = `IF(${mix('ttl')}="1h",${p('cacheWrite1h')},${p('cacheWrite5m')})`;
    const rest = `(${c(D.input)}-${c(D.prefix)})*${p('input')}`;
    const out = `${mix('outputTokens')}*${p('output')}`;
    const o = t.outputTokens;
    const cols = mode === 'sync' ? [D.plain, D.read, D.write] : [D.plainBatch, D.readBatch, D.writeBatch];
    f(cols[0]!, `(${c(D.input)}*${p('input')}+${out})/1000000`, perRequest(usage(input, o), served, mode), FMT.usdPrice);
    f(cols[1]!, `(${rest}+${c(D.prefix)}*${p('cacheRead')}+${out})/1000000`, perRequest(usage(input - prefix, o, prefix, 'read'), served, mode), FMT.usdPrice);
    f(cols[2]!, `(${rest}+${c(D.prefix)}*${write}+${out})/1000000`, perRequest(usage(input - prefix, o, prefix, a.ttl), served, mode), FMT.usdPrice);
  }

  const misses = tm.requests - tm.responseCacheHits;
  // Rates derived from key popularity depend on the month's request rate through a sum over the
  // catalogue: they are written as values (green italics), computed by costwise for this scale.
  if (a.exactPopularity) putValue(ws, D.exactRate, row, tm.rates.exactHitRate, { style: STYLE.derived, fmt: FMT.pct });
  else f(D.exactRate, mix('exactHitRate'), tm.rates.exactHitRate, FMT.pct);
  f(D.hitRate, `MIN(1,${c(D.exactRate)}+${mix('semanticHitRate')})`, tm.rates.hitRate, FMT.pct);
  f(D.hits, portion(c(D.n), c(D.hitRate)), tm.responseCacheHits, FMT.int);
  f(D.misses, `${c(D.n)}-${c(D.hits)}`, misses, FMT.int);
  f(D.batchApi, `COUNTIFS(${prices.models},${c(D.served)},${prices.batchApi},"yes")>0`, hasBatchApi(served));
  f(D.batched, `IF(${c(D.batchApi)},${portion(c(D.misses), mix('batchableShare'))},0)`, tm.batched, FMT.int);
  f(D.sync, `${c(D.misses)}-${c(D.batched)}`, misses - tm.batched, FMT.int);
  const load = ref(M.load, r.monthRow);
  if (a.prefixPopularity) putValue(ws, D.reuse, row, tm.rates.reuseRate, { style: STYLE.derived, fmt: FMT.pct });
  else f(D.reuse, `IF(AND(${inputs.reuseGrows},${load}>0),1-(1-${mix('reuseRate')})^${load},${mix('reuseRate')})`, tm.rates.reuseRate, FMT.pct);
  const sync = misses - tm.batched;
  const readsSync = Math.min(sync, Math.max(0, Math.round(sync * tm.rates.reuseRate)));
  const readsBatch = Math.min(tm.batched, Math.max(0, Math.round(tm.batched * tm.rates.reuseRate)));
  f(D.readsSync, portion(c(D.sync), c(D.reuse)), readsSync, FMT.int);
  f(D.readsBatch, portion(c(D.batched), c(D.reuse)), readsBatch, FMT.int);
  const readSync = perRequest(usage(input - prefix, t.outputTokens, prefix, 'read'), served);
  const writeSync = perRequest(usage(input - prefix, t.outputTokens, prefix, a.ttl), served);
  f(
    D.cached,
    `(${c(D.readsSync)}+${c(D.readsBatch)})*${c(D.read)}+(${c(D.misses)}-${c(D.readsSync)}-${c(D.readsBatch)})*${c(D.write)}`,
    (readsSync + readsBatch) * readSync + (misses - readsSync - readsBatch) * writeSync,
    FMT.usd,
  );
  const stages = tm.stages.map(usd);
  const stageFormulas = [
    `${c(D.n)}*${c(D.naiveReq)}`,
    `${c(D.n)}*${c(D.routedReq)}`,
    `${c(D.n)}*${c(D.plain)}`,
    `${c(D.misses)}*${c(D.plain)}`,
    `IF(${c(D.useCache)},${c(D.cached)},${c(STAGE_COL[3])})`,
    `IF(${c(D.useCache)},${c(D.readsSync)}*${c(D.read)}+(${c(D.sync)}-${c(D.readsSync)})*${c(D.write)}+${c(D.readsBatch)}*${c(D.readBatch)}+(${c(D.batched)}-${c(D.readsBatch)})*${c(D.writeBatch)},${c(D.sync)}*${c(D.plain)}+${c(D.batched)}*${c(D.plainBatch)})`,
  ];
  STAGE_COL.forEach((col, i) => f(col, stageFormulas[i]!, stages[i]!, FMT.usd));
  f(D.useCache, `AND(${c(D.prefix)}>0,${c(D.cached)}<${c(STAGE_COL[3])})`, prefix > 0 && tm.stages[4]! !== tm.stages[3]!);
  TECHNIQUES.forEach((_, i) => f(D.saving0 + i, `${c(STAGE_COL[i]!)}-${c(STAGE_COL[i + 1]!)}`, usd(tm.stages[i]! - tm.stages[i + 1]!), FMT.usd));
}

/** The "applies above" of the price tier `tokens` input tokens fall in (0 for the base prices). */
function tierOf(d: Deployment, tokens: number): number {
  let above = 0;
  for (const t of d.pricing.tiers) if (tokens > t.above) above = t.above;
  return above;
}

// The per-type rows of a month sheet: one row per month and request type that recomputes the
// engine (engine.ts) step by step with formulas on the Inputs and Prices sheets: whole requests by
// largest remainder, the price tier, each token mix's cost per request, then the five techniques
// in their order, each stage's cost and each technique's saving.
import type { Worksheet } from '@cj-tech-master/excelts';
import type { Deployment } from '../../../config/catalog.js';
import { ZERO_USAGE, type Usage } from '../../../core/canonical.js';
import { TECHNIQUES, type TypeMonth } from '../../engine.js';
import { SECONDS_PER_MONTH } from '../../popularity.js';
import { hasBatchApi, requestCostPico, type Mode } from '../../price-request.js';
import { usd } from '../money.js';
import { TECHNIQUE_LABEL } from '../rows.js';
import { FMT, STYLE, putFormula, putValue, range, rel, type Cached } from './cells.js';
import type { InputsLayout } from './inputs-sheet.js';
import type { MonthsSheetInput } from './months-sheet.js';
import { priceFormula, tierFormula, type PriceClass } from './prices-sheet.js';

/** Detail columns, in the order the engine computes them. */
export const D = {
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
export const STAGE_COL = [35, 36, 37, 38, 40, 41] as const;
const STAGE_LABEL = [
  'naive cost',
  'after routing',
  'after prompt optimisation',
  'after response caching',
  'after prompt caching',
  'after batching (optimised)',
];

const usage = (input: number, output: number, cached = 0, cache: 'read' | '5m' | '1h' = 'read'): Usage => ({
  ...ZERO_USAGE,
  inputTokens: input,
  outputTokens: output,
  cacheReadTokens: cache === 'read' ? cached : 0,
  cacheWrite5mTokens: cache === '5m' ? cached : 0,
  cacheWrite1hTokens: cache === '1h' ? cached : 0,
});
const perRequest = (u: Usage, d: Deployment, mode: Mode = 'sync'): number => requestCostPico(u, d, mode) / 1e12;

export function writeDetailHead(ws: Worksheet, row: number): void {
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

export interface DetailRow extends MonthsSheetInput {
  row: number;
  /** The first and last detail rows of this month. */
  group: [number, number];
  month: number;
  /** The month table's requests and load cells of this month. */
  monthRequests: string;
  monthLoad: string;
  typeIndex: number;
  tm: TypeMonth;
  split: { exact: number; floor: number; rest: number; rank: number; left: number };
}

export function writeDetailRow(ws: Worksheet, r: DetailRow): void {
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
  f(D.total, r.monthRequests, r.result.months[r.month - 1]!.requests, FMT.int);
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
  // A rate derived from key popularity (green italics) sums the TTL-cache model over a Key
  // popularity block at this month's request rate, as popularity.ts does.
  const exactBlock = r.popularity.block(r.typeIndex, 'exact');
  if (exactBlock) {
    const lt = `(${c(D.n)}/${SECONDS_PER_MONTH}*${mix('exactTtl')})`;
    const sum = `SUMPRODUCT(${exactBlock.keys},${exactBlock.p},(${lt}*${exactBlock.p})/(1+${lt}*${exactBlock.p}))`;
    putFormula(ws, D.exactRate, row, derivedRate(lt, sum), tm.rates.exactHitRate, { style: STYLE.derived, fmt: FMT.pct });
  } else f(D.exactRate, mix('exactHitRate'), tm.rates.exactHitRate, FMT.pct);
  f(D.hitRate, `MIN(1,${c(D.exactRate)}+${mix('semanticHitRate')})`, tm.rates.hitRate, FMT.pct);
  f(D.hits, portion(c(D.n), c(D.hitRate)), tm.responseCacheHits, FMT.int);
  f(D.misses, `${c(D.n)}-${c(D.hits)}`, misses, FMT.int);
  f(D.batchApi, `COUNTIFS(${prices.models},${c(D.served)},${prices.batchApi},"yes")>0`, hasBatchApi(served));
  f(D.batched, `IF(${c(D.batchApi)},${portion(c(D.misses), mix('batchableShare'))},0)`, tm.batched, FMT.int);
  f(D.sync, `${c(D.misses)}-${c(D.batched)}`, misses - tm.batched, FMT.int);
  const load = r.monthLoad;
  const prefixBlock = r.popularity.block(r.typeIndex, 'prefix');
  if (prefixBlock) {
    // The prompt cache sees only what the response cache did not answer; its TTL restarts on every use.
    const lt = `(${c(D.misses)}/${SECONDS_PER_MONTH}*IF(${mix('ttl')}="1h",3600,300))`;
    const sum = `SUMPRODUCT(${prefixBlock.keys},${prefixBlock.p},1-EXP(-${lt}*${prefixBlock.p}))`;
    putFormula(ws, D.reuse, row, derivedRate(lt, sum), tm.rates.reuseRate, { style: STYLE.derived, fmt: FMT.pct });
  } else f(D.reuse, `IF(AND(${inputs.reuseGrows},${load}>0),1-(1-${mix('reuseRate')})^${load},${mix('reuseRate')})`, tm.rates.reuseRate, FMT.pct);
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

/** popularity.ts's ttlHitRate: no traffic (or no TTL) hits nothing, and the sum is kept within [0, 1]. */
function derivedRate(lt: string, sum: string): string {
  return `IF(${lt}>0,MIN(1,MAX(0,${sum})),0)`;
}

/** The "applies above" of the price tier `tokens` input tokens fall in (0 for the base prices). */
function tierOf(d: Deployment, tokens: number): number {
  let above = 0;
  for (const t of d.pricing.tiers) if (tokens > t.above) above = t.above;
  return above;
}

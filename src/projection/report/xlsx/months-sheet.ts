// One sheet per scale factor: the month table on top, sums of the per-type rows below it
// (months-detail.ts), which recompute the engine step by step with formulas.
import type { Workbook } from '@cj-tech-master/excelts';
import type { Deployment } from '../../../config/catalog.js';
import { TECHNIQUES } from '../../engine.js';
import type { ScaleResult } from '../../project.js';
import type { Scenario } from '../../scenario.js';
import { usd } from '../money.js';
import { TECHNIQUE_LABEL } from '../rows.js';
import { FMT, STYLE, putFormula, putRow, putValue, range, ref, rel, type Put } from './cells.js';
import type { InputsLayout } from './inputs-sheet.js';
import { D, STAGE_COL, writeDetailHead, writeDetailRow } from './months-detail.js';
import type { PopularityLayout } from './popularity-sheet.js';
import type { PricesLayout } from './prices-sheet.js';

/** Month-table columns. */
const M = { month: 1, volume: 2, requests: 3, load: 4, naive: 5, optimized: 6, saving: 7, savingPct: 8, savings: 9, hits: 14, hitRate: 15, reads: 16 } as const;

export interface MonthsSheetInput {
  scenario: Scenario;
  result: ScaleResult;
  inputs: InputsLayout;
  prices: PricesLayout;
  popularity: PopularityLayout;
  deployments: ReadonlyMap<string, Deployment>;
  /** A sensitivity variant's sheet name and title, instead of "Months <scale>x". */
  variant?: { sheet: string; title: string };
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

export function addMonthsSheet(wb: Workbook, input: MonthsSheetInput): MonthsLayout {
  const { scenario, result, inputs } = input;
  const name = input.variant?.sheet ?? monthsSheetName(result.scale);
  const ws = wb.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 4, xSplit: 1 }], ...(input.variant ? { state: 'hidden' as const } : {}) });
  const months = result.months.length;
  const types = scenario.types.length;
  putValue(ws, 1, 1, input.variant?.title ?? `Month by month at ${result.scale}× the scenario's volume (USD)`, { style: STYLE.title });
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
        monthRequests: ref(M.requests, monthRow(mr.month)),
        monthLoad: ref(M.load, monthRow(mr.month)),
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

// The Inputs sheet: every assumption of the scenario as a labelled, styled cell that the month
// sheets reference. Change one and the workbook recalculates.
import type { Workbook, Worksheet } from '@cj-tech-master/excelts';
import { BATCH_PRICE_PERCENT } from '../../../cost/batch.js';
import { servingModel } from '../../route.js';
import type { Scenario } from '../../scenario.js';
import { FMT, STYLE, putFormula, putRow, putValue, ref, rel, type Put } from './cells.js';

export const INPUTS_SHEET = 'Inputs';

/** Columns of the request-mix table. */
export const MIX = {
  name: 1,
  share: 2,
  inputTokens: 3,
  outputTokens: 4,
  serve: 5,
  servedBy: 6,
  naive: 7,
  promptOptimization: 8,
  exactHitRate: 9,
  semanticHitRate: 10,
  prefixShare: 11,
  reuseRate: 12,
  ttl: 13,
  batchableShare: 14,
  exactZipf: 15,
  exactKeys: 16,
  exactTtl: 17,
  prefixZipf: 18,
  prefixKeys: 19,
} as const;
export type MixColumn = keyof typeof MIX;

export interface InputsLayout {
  launch: string;
  growth: string;
  batchPercent: string;
  reuseGrows: string;
  /** Requests at 1× of month `m` (1-based). */
  volume(m: number): string;
  /** A cell of request type `i`'s row in the mix table. */
  mix(i: number, column: MixColumn): string;
  /** The model cells (A1 addresses on this sheet), for drop-downs once the Prices sheet exists. */
  modelCells: string[];
}

const input: Put = { style: STYLE.input };

function labelled(ws: Worksheet, row: number, label: string, note: string): void {
  putValue(ws, 1, row, label);
  putValue(ws, 3, row, note, { style: STYLE.note });
}

export function addInputsSheet(wb: Workbook, scenario: Scenario): InputsLayout {
  const ws = wb.addWorksheet(INPUTS_SHEET);
  const spec = scenario.volumeSpec;
  const months = scenario.monthlyVolume.length;
  putValue(ws, 1, 1, `${scenario.name}: inputs`, { style: STYLE.title });
  putValue(ws, 1, 2, 'Blue cells on yellow are assumptions: change one and every month, the summary and the totals recalculate.', { style: STYLE.note });
  putRow(ws, 4, ['assumption', 'value', 'note'], { style: STYLE.head });

  const single = spec.kind === 'growth' && typeof spec.growth === 'number';
  labelled(ws, 5, 'requests in month 1 (at 1×)', spec.kind === 'growth' ? 'all request types together' : 'stated month by month below');
  if (spec.kind === 'growth') putValue(ws, 2, 5, spec.launch, { ...input, fmt: FMT.int });
  labelled(ws, 6, 'growth per month', single ? 'compounding; 0.05 = 5% a month' : 'stated month by month below');
  if (single) putValue(ws, 2, 6, spec.growth as number, { ...input, fmt: FMT.pct });
  labelled(ws, 7, 'batch price (% of the synchronous price)', 'OpenAI and Anthropic batch APIs; other providers run batch items synchronously');
  putValue(ws, 2, 7, BATCH_PRICE_PERCENT, input);
  labelled(ws, 8, 'prompt-cache reuse rises with volume', "TRUE: reuse r becomes 1 − (1 − r)^load, load = the month's volume ÷ month 1 at 1×");
  putValue(ws, 2, 8, scenario.reuseGrowsWithVolume, input);
  const launch = ref(2, 5);
  const growth = ref(2, 6);

  const volHead = 10;
  putRow(ws, volHead, ['month', 'growth into this month', 'requests at 1×'], { style: STYLE.head });
  const volRow = (m: number): number => volHead + m;
  for (let m = 1; m <= months; m++) {
    const row = volRow(m);
    const value = scenario.monthlyVolume[m - 1]!;
    putValue(ws, 1, row, m);
    if (spec.kind === 'monthly') {
      putValue(ws, 3, row, value, { ...input, fmt: FMT.int });
      continue;
    }
    if (m === 1) {
      putFormula(ws, 3, row, launch, value, { fmt: FMT.int });
      continue;
    }
    if (single) putFormula(ws, 2, row, growth, spec.growth as number, { fmt: FMT.pct });
    else putValue(ws, 2, row, (spec.growth as number[])[m - 2]!, { ...input, fmt: FMT.pct });
    putFormula(ws, 3, row, `${ref(3, row - 1)}*(1+${ref(2, row)})`, value, { fmt: FMT.int });
  }

  const mixHead = volRow(months) + 2;
  putRow(
    ws,
    mixHead,
    [
      'request type',
      'share',
      'input tokens',
      'output tokens',
      'serve (as written)',
      'served by',
      'naive model',
      'prompt optimisation',
      'exact hit rate',
      'semantic hit rate',
      'prefix share',
      'prefix reuse',
      'prompt-cache TTL',
      'batchable share',
      'exact keys: Zipf exponent',
      'exact keys: catalogue size',
      'response-cache TTL (s)',
      'prefixes: Zipf exponent',
      'prefixes: catalogue size',
    ],
    { style: STYLE.head },
  );
  const modelCells: string[] = [];
  scenario.types.forEach((t, i) => {
    const row = mixHead + 1 + i;
    const a = t.assumptions;
    putValue(ws, MIX.name, row, t.name);
    putValue(ws, MIX.share, row, t.share, { ...input, fmt: FMT.pct });
    putValue(ws, MIX.inputTokens, row, t.inputTokens, { ...input, fmt: FMT.int });
    putValue(ws, MIX.outputTokens, row, t.outputTokens, { ...input, fmt: FMT.int });
    putValue(ws, MIX.serve, row, t.serve.kind === 'tier' ? `tier ${t.serve.tier}` : `model ${t.serve.model.name}`, { style: STYLE.note });
    putValue(ws, MIX.servedBy, row, servingModel(t, scenario.available)?.name ?? '', input);
    putValue(ws, MIX.naive, row, t.naive.name, input);
    modelCells.push(rel(MIX.servedBy, row), rel(MIX.naive, row));
    const rates: Array<[MixColumn, number]> = [
      ['promptOptimization', a.promptOptimization],
      ['exactHitRate', a.exactHitRate],
      ['semanticHitRate', a.semanticHitRate],
      ['prefixShare', a.prefixShare],
      ['reuseRate', a.reuseRate],
      ['batchableShare', a.batchableShare],
    ];
    for (const [c, v] of rates) putValue(ws, MIX[c], row, v, { ...input, fmt: FMT.pct });
    // A popularity replaces the stated rate: the month sheets derive it from these cells (Key popularity sheet).
    if (a.exactPopularity) {
      putValue(ws, MIX.exactHitRate, row, 'derived from the key popularity →', { style: STYLE.derived });
      putValue(ws, MIX.exactZipf, row, a.exactPopularity.zipfExponent, input);
      putValue(ws, MIX.exactKeys, row, a.exactPopularity.catalogueSize, { ...input, fmt: FMT.int });
      putValue(ws, MIX.exactTtl, row, a.exactPopularity.ttlSeconds, { ...input, fmt: FMT.int });
    }
    if (a.prefixPopularity) {
      putValue(ws, MIX.reuseRate, row, 'derived from the prefix popularity →', { style: STYLE.derived });
      putValue(ws, MIX.prefixZipf, row, a.prefixPopularity.zipfExponent, input);
      putValue(ws, MIX.prefixKeys, row, a.prefixPopularity.catalogueSize, { ...input, fmt: FMT.int });
    }
    putValue(ws, MIX.ttl, row, a.ttl, input);
    ws.getCell(row, MIX.ttl).dataValidation = { type: 'list', allowBlank: false, formulae: ['"5m,1h"'] };
  });
  const sumRow = mixHead + 1 + scenario.types.length;
  putValue(ws, MIX.name, sumRow, 'shares sum (must be 100%)', { style: STYLE.total });
  const shareSum = scenario.types.reduce((s, t) => s + t.share, 0);
  putFormula(ws, MIX.share, sumRow, `SUM(${ref(MIX.share, mixHead + 1)}:${ref(MIX.share, sumRow - 1)})`, shareSum, { style: STYLE.total, fmt: FMT.pct });

  ws.getColumn(1).width = 34;
  ws.getColumn(2).width = 14;
  ws.getColumn(3).width = 16;
  for (let c = 4; c <= MIX.prefixKeys; c++) ws.getColumn(c).width = 15;
  ws.getColumn(MIX.servedBy).width = 20;
  ws.getColumn(MIX.naive).width = 20;

  return {
    launch,
    growth,
    batchPercent: ref(2, 7, INPUTS_SHEET),
    reuseGrows: ref(2, 8, INPUTS_SHEET),
    volume: (m) => ref(3, volRow(m), INPUTS_SHEET),
    mix: (i, column) => ref(MIX[column], mixHead + 1 + i, INPUTS_SHEET),
    modelCells,
  };
}

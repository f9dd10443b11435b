// The Summary sheet: the proposal's headline lines ("Month 1 at launch scale", "Month 6 at 10×"),
// the totals per scale against a straight line from 1×, and the sensitivity table. Every figure is
// a formula on the month sheets (the sensitivity table's on its hidden varied copies).
import type { Workbook } from '@cj-tech-master/excelts';
import type { Projection } from '../../project.js';
import type { Sensitivity } from '../../sensitivity.js';
import { usd } from '../money.js';
import { FMT, STYLE, putFormula, putRow, putValue, rel } from './cells.js';
import type { MonthsLayout } from './months-sheet.js';
import type { SensitivityLayout } from './sensitivity-sheets.js';

export const SUMMARY_SHEET = 'Summary';

export interface SummaryInput {
  projection: Projection;
  sensitivity: Sensitivity;
  /** The month sheets, in the projection's scale order. */
  months: readonly MonthsLayout[];
  /** The hidden varied month sheets of each sensitivity row, in the table's order. */
  sensitivityMonths: readonly SensitivityLayout[];
}

/** The month the proposal quotes at the top scale: month 6, or the last month of a shorter horizon. */
export function headlineMonth(months: number): number {
  return Math.min(6, months);
}

export function addSummarySheet(wb: Workbook, input: SummaryInput): void {
  const { projection: p, sensitivity: s } = input;
  const ws = wb.addWorksheet(SUMMARY_SHEET);
  const count = p.base.months.length;
  const base = p.scales.findIndex((x) => x.scale === 1);
  const top = p.scales.length - 1;
  putValue(ws, 1, 1, `${p.scenario.name}: cost projection`, { style: STYLE.title });
  if (p.scenario.description) putValue(ws, 1, 2, p.scenario.description, { style: STYLE.note });

  putRow(ws, 4, ['headline', 'optimised (USD)', 'naive (USD)', 'requests'], { style: STYLE.head });
  const lines: Array<{ label: string; scale: number; month: number }> = [];
  if (base >= 0) lines.push({ label: 'Month 1 at launch scale', scale: base, month: 1 });
  const hm = headlineMonth(count);
  lines.push({ label: `Month ${hm} at ${p.scales[top]!.scale}×`, scale: top, month: hm });
  if (count > hm) lines.push({ label: `Month ${count} at ${p.scales[top]!.scale}×`, scale: top, month: count });
  lines.forEach((l, i) => {
    const row = 5 + i;
    const layout = input.months[l.scale]!;
    const mr = p.scales[l.scale]!.months[l.month - 1]!;
    putValue(ws, 1, row, l.label);
    putFormula(ws, 2, row, layout.optimized(l.month), usd(mr.optimizedPico), { fmt: FMT.usd, style: { font: { bold: true } } });
    putFormula(ws, 3, row, layout.naive(l.month), usd(mr.naivePico), { fmt: FMT.usd });
    putFormula(ws, 4, row, layout.requests(l.month), mr.requests, { fmt: FMT.int });
  });

  const scaleHead = 5 + lines.length + 2;
  putRow(ws, scaleHead, ['scale', 'requests', 'naive total', 'optimised total', 'saving %', 'optimised vs linear'], { style: STYLE.head });
  const baseTotal = p.scales[base >= 0 ? base : 0]!;
  const baseRow = scaleHead + 1 + (base >= 0 ? base : 0);
  p.scales.forEach((x, i) => {
    const row = scaleHead + 1 + i;
    const layout = input.months[i]!;
    putFormula(ws, 1, row, layout.scale, x.scale, { fmt: FMT.factor });
    putFormula(ws, 2, row, layout.requests('total'), x.total.requests, { fmt: FMT.int });
    putFormula(ws, 3, row, layout.naive('total'), usd(x.total.naivePico), { fmt: FMT.usd });
    putFormula(ws, 4, row, layout.optimized('total'), usd(x.total.optimizedPico), { fmt: FMT.usd });
    const pct = x.total.naivePico > 0n ? 1 - usd(x.total.optimizedPico) / usd(x.total.naivePico) : 0;
    putFormula(ws, 5, row, `IF(${rel(3, row)}>0,1-${rel(4, row)}/${rel(3, row)},0)`, pct, { fmt: FMT.pct });
    const linear = usd(baseTotal.total.optimizedPico) * (x.scale / baseTotal.scale);
    putFormula(
      ws,
      6,
      row,
      `IF($D$${baseRow}>0,${rel(4, row)}/($D$${baseRow}*${rel(1, row)}/$A$${baseRow}),1)`,
      linear > 0 ? usd(x.total.optimizedPico) / linear : 1,
      { fmt: FMT.pct },
    );
  });

  const sensHead = scaleHead + p.scales.length + 3;
  const pct = Math.round(s.range * 100);
  putValue(
    ws,
    1,
    sensHead - 1,
    `Sensitivity: each assumption ±${pct}% on its own, optimised cost at 1×, from the hidden "Sensitivity" sheets (live; rows in the order of the swing when the workbook was written)`,
    { style: STYLE.note },
  );
  putRow(ws, sensHead, ['assumption', `month 1 at −${pct}%`, `month 1 at +${pct}%`, `total at −${pct}%`, `total at +${pct}%`, 'swing (total)'], {
    style: STYLE.head,
  });
  s.rows.forEach((r, i) => {
    const row = sensHead + 1 + i;
    const sides = input.sensitivityMonths[i]!;
    putValue(ws, 1, row, r.assumption);
    const cells: Array<[string, bigint]> = [
      [sides.low.optimized(1), r.month1LowPico],
      [sides.high.optimized(1), r.month1HighPico],
      [sides.low.optimized('total'), r.totalLowPico],
      [sides.high.optimized('total'), r.totalHighPico],
      [`ABS(${rel(5, row)}-${rel(4, row)})`, r.swingPico],
    ];
    cells.forEach(([formula, v], j) => putFormula(ws, 2 + j, row, formula, usd(v), { fmt: FMT.usd }));
  });
  ws.getColumn(1).width = 30;
  for (let c = 2; c <= 6; c++) ws.getColumn(c).width = 16;
}

// Cell addressing and the workbook's few styles. Every computed cell is a formula with its cached
// result, so a viewer that does not recalculate still shows the engine's numbers.
import type { Cell, Style, Worksheet } from '@cj-tech-master/excelts';

/** 1 → "A", 27 → "AA". */
export function colName(col: number): string {
  let s = '';
  for (let n = col; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** An absolute reference, optionally on another sheet: `'Months 1×'!$B$4`. */
export function ref(col: number, row: number, sheet?: string): string {
  return `${sheet ? `${quoteSheet(sheet)}!` : ''}$${colName(col)}$${row}`;
}

/** A column reference relative to the formula's row: `B4`. */
export function rel(col: number, row: number): string {
  return `${colName(col)}${row}`;
}

export function range(col: number, fromRow: number, toRow: number, sheet?: string): string {
  return `${sheet ? `${quoteSheet(sheet)}!` : ''}$${colName(col)}$${fromRow}:$${colName(col)}$${toRow}`;
}

export function quoteSheet(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`;
}

export type Cached = number | string | boolean;

export const FMT = {
  usd: '#,##0.00',
  usdPrice: '0.000###',
  pct: '0.0##%',
  int: '#,##0',
  factor: '0.######',
} as const;

const thin = { style: 'thin' as const, color: { argb: 'FFBFBFBF' } };

export const STYLE: Readonly<Record<'title' | 'head' | 'input' | 'derived' | 'note' | 'total', Partial<Style>>> = {
  title: { font: { bold: true, size: 14 } },
  head: {
    font: { bold: true },
    fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE7ECEF' } },
    alignment: { wrapText: true, vertical: 'top' },
    border: { bottom: thin },
  },
  // The modelling convention: blue on pale yellow is a number you may change.
  input: {
    font: { color: { argb: 'FF1F4ED8' } },
    fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFF6D5' } },
    border: { top: thin, bottom: thin, left: thin, right: thin },
  },
  derived: { font: { italic: true, color: { argb: 'FF2F6F3E' } } },
  note: { font: { italic: true, color: { argb: 'FF666666' } }, alignment: { wrapText: false } },
  total: { font: { bold: true }, border: { top: thin } },
};

export interface Put {
  style?: Partial<Style> | undefined;
  fmt?: string | undefined;
}

function apply(cell: Cell, opts: Put): void {
  if (opts.style) cell.style = { ...cell.style, ...opts.style };
  if (opts.fmt) cell.numFmt = opts.fmt;
}

export function putValue(ws: Worksheet, col: number, row: number, value: Cached | null, opts: Put = {}): void {
  const cell = ws.getCell(row, col);
  cell.value = value;
  apply(cell, opts);
}

export function putFormula(ws: Worksheet, col: number, row: number, formula: string, result: Cached, opts: Put = {}): void {
  const cell = ws.getCell(row, col);
  cell.value = { formula, result };
  apply(cell, opts);
}

export function putRow(ws: Worksheet, row: number, values: readonly (Cached | null)[], opts: Put = {}, fromCol = 1): void {
  values.forEach((v, i) => putValue(ws, fromCol + i, row, v, opts));
}

/** A formula string literal. */
export function str(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

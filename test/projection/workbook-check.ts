// Checks shared by the workbook tests: a recalculated workbook's month tables against
// `costwise project --format json`, and finding an input cell by request type and column heading.
import { mkdirSync } from 'node:fs';
import { Workbook, type Worksheet } from '@cj-tech-master/excelts';
import { expect } from 'vitest';
import type { ReportJson } from '../../src/projection/report/model.js';
import type { ProjectOptions } from '../../src/cli/project.js';
import { libreOfficeUnavailable, monthTable, recalculate } from './libreoffice.js';

/** The workbook at `path`, read with the library, and the names of its visible sheets in order. */
export async function readWorkbook(path: string): Promise<{ wb: Workbook; visibleSheets: string[] }> {
  const wb = new Workbook();
  await wb.xlsx.readFile(path);
  return { wb, visibleSheets: wb.worksheets.filter((w) => w.state !== 'hidden').map((w) => w.name) };
}

export const EXAMPLE_SCENARIO = new URL('../../examples/scenario.yaml', import.meta.url).pathname;

/** Why LibreOffice cannot run here (the tests are skipped), or null; on CI its absence is an error. */
export function libreOfficeOrSkip(): string | null {
  const unavailable = libreOfficeUnavailable();
  if (unavailable && process.env['CI']) throw new Error(unavailable);
  return unavailable;
}

/** `costwise project` options: 12 months, no ledger growth, unless `o` says otherwise. */
export const projectOptions = (o: Partial<ProjectOptions>): ProjectOptions => ({ days: 30, months: 12, growth: 0, format: 'table', ...o });

/** Half a cent: the recalculated double and the exact sum round to the same cent (or differ by float noise at a half cent). */
export const HALF_CENT = 0.005 + 1e-9;

/** Recalculates `xlsx` in LibreOffice and checks every month of every scale; returns how many months were checked. */
export async function expectSameMonths(xlsx: string, json: ReportJson, work: string): Promise<number> {
  mkdirSync(work, { recursive: true });
  const sheets = await recalculate(xlsx, work);
  let checked = 0;
  for (const scale of json.scales) {
    const sheet = sheets.get(`Months ${scale.scale}x`);
    expect(sheet, `sheet Months ${scale.scale}x`).toBeDefined();
    const table = monthTable(sheet!);
    expect(table.size).toBe(scale.months.length);
    for (const m of scale.months) {
      const got = table.get(m.month)!;
      const at = `${scale.scale}× month ${m.month}`;
      expect(got.requests, `${at} requests`).toBe(m.requests);
      expect(Math.abs(got.naive - m.naive_cost_usd), `${at} naive ${got.naive} vs ${m.naive_cost_usd}`).toBeLessThan(HALF_CENT);
      expect(Math.abs(got.optimized - m.optimized_cost_usd), `${at} optimised ${got.optimized} vs ${m.optimized_cost_usd}`).toBeLessThan(HALF_CENT);
      Object.values(m.savings_usd).forEach((v, i) => expect(Math.abs(got.savings[i]! - v), `${at} saving ${i}`).toBeLessThan(HALF_CENT));
      // The JSON rounds rates to 6 decimals.
      const rate = m.cache_rates.response_cache_hit_rate;
      expect(Math.abs(got.hitRate - rate), `${at} response-cache hit rate ${got.hitRate} vs ${rate}`).toBeLessThan(5e-7 + 1e-12);
      checked++;
    }
  }
  expectSameSensitivity(sheets.get('Summary'), json);
  return checked;
}

/** The Summary sheet's sensitivity table, recalculated from its hidden varied sheets, against the JSON's rows. */
function expectSameSensitivity(summary: string[][] | undefined, json: ReportJson): void {
  expect(summary, 'sheet Summary').toBeDefined();
  const head = summary!.findIndex((r) => r[0] === 'assumption');
  expect(head).toBeGreaterThan(0);
  const got = new Map<string, number[]>();
  for (let r = head + 1; r < summary!.length && summary![r]![0]; r++) got.set(summary![r]![0]!, summary![r]!.slice(1, 6).map(Number));
  expect([...got.keys()].sort()).toEqual(json.sensitivity.rows.map((r) => r.assumption).sort());
  for (const r of json.sensitivity.rows) {
    const want = [r.month1_low_usd, r.month1_high_usd, r.total_low_usd, r.total_high_usd, r.swing_usd];
    got
      .get(r.assumption)!
      .forEach((v, i) => expect(Math.abs(v - want[i]!), `sensitivity "${r.assumption}" column ${i + 1}: ${v} vs ${want[i]}`).toBeLessThan(HALF_CENT));
  }
}

/** The Inputs sheet cell of request type `type` under the mix table's heading `heading`. */
export function inputCell(inputs: Worksheet, type: string, heading: string): { row: number; col: number } {
  let row = 0;
  inputs.eachRow((r, n) => {
    if (r.getCell(1).value === type) row = n;
  });
  expect(row, `request type ${type}`).toBeGreaterThan(0);
  let col = 0;
  let head = row - 1;
  while (head > 0 && inputs.getCell(head, 1).value !== 'request type') head--;
  inputs.getRow(head).eachCell((c, n) => {
    if (c.value === heading) col = n;
  });
  expect(col, `column ${heading}`).toBeGreaterThan(0);
  return { row, col };
}

// `costwise project --format xlsx`: the workbook is a live model. LibreOffice recalculates it from its
// formulas and every month's naive and optimised cost must equal `--format json` to the cent, for
// the example scenario and for a scenario calibrated on a ledger; an input changed in the workbook
// must give what the engine gives with the same change in the scenario.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { Workbook } from '@cj-tech-master/excelts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { executeProject, runProject, type ProjectOptions } from '../../src/cli/project.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import type { LedgerRow } from '../../src/storage/types.js';
import { TempDir, parseReport } from './fixtures.js';
import { libreOfficeUnavailable, monthTable, recalculate } from './libreoffice.js';
import type { ReportJson } from '../../src/projection/report/model.js';

const EXAMPLE = new URL('../../examples/scenario.yaml', import.meta.url).pathname;
const unavailable = libreOfficeUnavailable();
if (unavailable && process.env['CI']) throw new Error(unavailable);

let tmp: TempDir;
beforeAll(() => (tmp = new TempDir()));
afterAll(() => tmp.dispose());

const opts = (o: Partial<ProjectOptions>): ProjectOptions => ({ days: 30, months: 12, growth: 0, format: 'table', ...o });

/** Half a cent: the recalculated double and the exact sum round to the same cent (or differ by float noise at a half cent). */
const HALF_CENT = 0.005 + 1e-9;

async function workbookAndJson(o: Partial<ProjectOptions>, name: string): Promise<{ xlsx: string; json: ReportJson }> {
  const xlsx = tmp.path(`${name}.xlsx`);
  await runProject(opts({ ...o, format: 'xlsx', out: xlsx }));
  const json = parseReport((await executeProject(opts({ ...o, format: 'json' }))).text);
  return { xlsx, json };
}

async function expectSameMonths(xlsx: string, json: ReportJson, work: string): Promise<number> {
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
      checked++;
    }
  }
  return checked;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 2, 1);
let seq = 0;
function row(o: Partial<LedgerRow>): LedgerRow {
  return {
    requestId: `x${++seq}`,
    ts: T0,
    tenant: 't',
    keyId: 'k',
    tags: [],
    ingress: 'openai',
    endpoint: '/v1/chat/completions',
    requestedModel: 'claude-sonnet-4-5',
    servedModel: 'claude-haiku-4-5',
    provider: 'anthropic',
    inputTokens: 0,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    costPico: 0,
    baselinePico: 0,
    promptCachePico: 0,
    promptTokensRemoved: 0,
    promptHash: null,
    maxTokens: null,
    stopReason: null,
    latencyMs: 5,
    status: 200,
    stream: false,
    errorKind: null,
    route: 'requested',
    technique: null,
    parentId: null,
    attempts: null,
    cache: null,
    ...o,
  };
}

/** 14 days of a varied ledger: routed Sonnet traffic with prompt-cache reads and writes, exact and semantic hits, GPT batch items. */
async function buildLedger(db: string): Promise<void> {
  const store = openSqliteStore({ path: db });
  for (let d = 0; d < 14; d++) {
    for (let i = 0; i < 37; i++) {
      const ts = T0 + d * DAY + i * 30 * 60_000;
      const k = (d * 37 + i) % 11;
      if (k < 5)
        store.appendLedger(
          row({
            ts,
            inputTokens: 900 + 13 * k,
            cacheReadTokens: k % 2 ? 1800 : 0,
            cacheWrite5mTokens: k % 2 ? 0 : 1800,
            outputTokens: 240 + 7 * i,
            cache: 'miss',
            technique: 'routing',
          }),
        );
      else if (k === 5) store.appendLedger(row({ ts, cache: 'hit-exact', technique: 'cache_exact' }));
      else if (k === 6) store.appendLedger(row({ ts, requestedModel: 'gpt-4.1-mini', servedModel: 'gpt-4.1-mini', provider: 'openai', cache: 'hit-semantic' }));
      else
        store.appendLedger(
          row({
            ts,
            requestedModel: 'gpt-4.1-mini',
            servedModel: 'gpt-4.1-mini',
            provider: 'openai',
            inputTokens: 3100 + 11 * i,
            outputTokens: 410,
            cache: 'miss',
            technique: k > 8 ? 'batch' : null,
          }),
        );
    }
  }
  await store.flush();
  await store.close();
}

describe.skipIf(unavailable !== null)('the xlsx cost model, recalculated by LibreOffice', () => {
  it('the example scenario: every month at every scale equals --format json to the cent', async () => {
    const { xlsx, json } = await workbookAndJson({ scenario: EXAMPLE }, 'example');
    expect(await expectSameMonths(xlsx, json, tmp.path('lo-example'))).toBe(36);
    expect(json.scales[0]!.months[11]!.optimized_cost_usd).toBeCloseTo(1198.14, 2);
  }, 120_000);

  it('a scenario calibrated on a ledger (--from-ledger, 5% growth): every month equals --format json to the cent', async () => {
    const db = tmp.path('ledger.db');
    await buildLedger(db);
    const { xlsx, json } = await workbookAndJson({ fromLedger: true, db, months: 8, growth: 0.05 }, 'ledger');
    expect(json.scenario.types.map((t) => t.name)).toEqual(['claude-sonnet-4-5', 'gpt-4.1-mini']);
    expect(await expectSameMonths(xlsx, json, tmp.path('lo-ledger'))).toBe(3 * 8);
  }, 120_000);

  it('an input changed in the workbook (one exact hit rate) recalculates to what costwise project gives with the same change', async () => {
    const xlsx = tmp.path('changed.xlsx');
    await runProject(opts({ scenario: EXAMPLE, format: 'xlsx', out: xlsx }));
    const wb = new Workbook();
    await wb.xlsx.readFile(xlsx);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Inputs', 'Prices', 'Months 1x', 'Months 3x', 'Months 10x', 'Summary', 'Charts']);
    // The HTML report's three charts, drawn by Debian's chromium (the PDF's printer), as one picture.
    if (existsSync(process.env['COSTWISE_CHROMIUM'] ?? '/usr/bin/chromium')) expect(wb.getWorksheet('Charts')!.getImages()).toHaveLength(1);
    const inputs = wb.getWorksheet('Inputs')!;
    let faqRow = 0;
    inputs.eachRow((r, n) => {
      if (r.getCell(1).value === 'resident_faq') faqRow = n;
    });
    expect(faqRow).toBeGreaterThan(0);
    const header = inputs.getRow(faqRow - 1);
    let col = 0;
    header.eachCell((c, n) => {
      if (c.value === 'exact hit rate') col = n;
    });
    expect(inputs.getCell(faqRow, col).value).toBe(0.12);
    inputs.getCell(faqRow, col).value = 0.3;
    const changed = tmp.path('changed-by-hand.xlsx');
    await wb.xlsx.writeFile(changed);

    const scenario = parse(readFileSync(EXAMPLE, 'utf8')) as { mix: Array<{ name: string; assumptions?: { response_cache?: { exact_hit_rate?: number } } }> };
    scenario.mix.find((t) => t.name === 'resident_faq')!.assumptions!.response_cache!.exact_hit_rate = 0.3;
    const edited = tmp.scenario(stringify(scenario), 'example-edited.yaml');
    const before = parseReport((await executeProject(opts({ scenario: EXAMPLE, format: 'json' }))).text);
    const after = parseReport((await executeProject(opts({ scenario: edited, format: 'json' }))).text);
    // The change matters, so reading back the stale cached results would fail the comparison.
    for (const [i, m] of after.scales[2]!.months.entries()) expect(m.optimized_cost_usd).toBeLessThan(before.scales[2]!.months[i]!.optimized_cost_usd - 20);
    expect(await expectSameMonths(changed, after, tmp.path('lo-changed'))).toBe(36);
  }, 120_000);
});

// `costwise project --format xlsx`: the workbook is a live model. LibreOffice recalculates it from its
// formulas and every month's naive and optimised cost must equal `--format json` to the cent, for
// the example scenario and for a scenario calibrated on a ledger; an input changed in the workbook
// must give what the engine gives with the same change in the scenario.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { executeProject, runProject, type ProjectOptions } from '../../src/cli/project.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import type { LedgerRow } from '../../src/storage/types.js';
import { TempDir, parseReport } from './fixtures.js';
import { EXAMPLE_SCENARIO, expectSameMonths, inputCell, libreOfficeOrSkip, projectOptions, readWorkbook } from './workbook-check.js';
import type { ReportJson } from '../../src/projection/report/model.js';

const EXAMPLE = EXAMPLE_SCENARIO;
const unavailable = libreOfficeOrSkip();

let tmp: TempDir;
beforeAll(() => (tmp = new TempDir()));
afterAll(() => tmp.dispose());

const opts = projectOptions;

async function workbookAndJson(o: Partial<ProjectOptions>, name: string): Promise<{ xlsx: string; json: ReportJson }> {
  const xlsx = tmp.path(`${name}.xlsx`);
  await runProject(opts({ ...o, format: 'xlsx', out: xlsx }));
  const json = parseReport((await executeProject(opts({ ...o, format: 'json' }))).text);
  return { xlsx, json };
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
  }, 180_000);

  it('a scenario calibrated on a ledger (--from-ledger, 5% growth): every month equals --format json to the cent', async () => {
    const db = tmp.path('ledger.db');
    await buildLedger(db);
    const { xlsx, json } = await workbookAndJson({ fromLedger: true, db, months: 8, growth: 0.05 }, 'ledger');
    expect(json.scenario.types.map((t) => t.name)).toEqual(['claude-sonnet-4-5', 'gpt-4.1-mini']);
    expect(await expectSameMonths(xlsx, json, tmp.path('lo-ledger'))).toBe(3 * 8);
  }, 180_000);

  it('an input changed in the workbook (one exact hit rate) recalculates to what costwise project gives with the same change', async () => {
    const xlsx = tmp.path('changed.xlsx');
    await runProject(opts({ scenario: EXAMPLE, format: 'xlsx', out: xlsx }));
    const { wb, visibleSheets } = await readWorkbook(xlsx);
    expect(visibleSheets).toEqual(['Inputs', 'Prices', 'Months 1x', 'Months 3x', 'Months 10x', 'Summary', 'Charts']);
    // The HTML report's three charts, drawn by Debian's chromium (the PDF's printer), as one picture.
    if (existsSync(process.env['COSTWISE_CHROMIUM'] ?? '/usr/bin/chromium')) expect(wb.getWorksheet('Charts')!.getImages()).toHaveLength(1);
    const inputs = wb.getWorksheet('Inputs')!;
    const exact = inputCell(inputs, 'resident_faq', 'exact hit rate');
    expect(inputs.getCell(exact.row, exact.col).value).toBe(0.12);
    inputs.getCell(exact.row, exact.col).value = 0.3;
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
  }, 180_000);
});

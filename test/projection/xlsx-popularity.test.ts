// Rates derived from key popularity are live in the workbook: LibreOffice recalculates them from the
// Key popularity sheet (ranks and log-spaced buckets as formulas on the Inputs sheet) and every
// month at every scale equals `costwise project --format json` to the cent. Changing a Zipf exponent,
// a catalogue size and a prompt-cache TTL in the workbook gives what the engine gives with the same
// changes.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { executeProject, runProject } from '../../src/cli/project.js';
import type { AssumptionsInput, ScenarioInput } from '../../src/projection/schema.js';
import { TempDir, parseReport } from './fixtures.js';
import { EXAMPLE_SCENARIO, expectSameMonths, inputCell, libreOfficeOrSkip, projectOptions, readWorkbook } from './workbook-check.js';

const EXAMPLE = EXAMPLE_SCENARIO;
const unavailable = libreOfficeOrSkip();

let tmp: TempDir;
beforeAll(() => (tmp = new TempDir()));
afterAll(() => tmp.dispose());

const opts = projectOptions;

type Edit = { faqExponent: number; faqKeys: number; eligibilityTtl: '5m' | '1h' };

/**
 * The example scenario with three popularities: resident questions over 200,000 keys (ranks and
 * buckets), eligibility prefixes over 20,000 and case-summary prefixes over 1,500 (ranks only).
 */
function scenario(e: Edit): ScenarioInput {
  const s = parse(readFileSync(EXAMPLE, 'utf8')) as ScenarioInput;
  const assumptions = (name: string): AssumptionsInput => {
    const t = s.mix.find((m) => m.name === name)!;
    return (t.assumptions ??= {});
  };
  assumptions('resident_faq').response_cache = {
    semantic_hit_rate: 0.1,
    popularity: { zipf_exponent: e.faqExponent, catalogue_size: e.faqKeys, ttl_seconds: 3600 },
  };
  assumptions('eligibility_check').prompt_cache = { prefix_share: 0.5, ttl: e.eligibilityTtl, popularity: { zipf_exponent: 1, catalogue_size: 20_000 } };
  assumptions('case_summary').prompt_cache = { prefix_share: 0.3, popularity: { zipf_exponent: 0.8, catalogue_size: 1_500 } };
  return s;
}

async function json(e: Edit, name: string): Promise<ReturnType<typeof parseReport>> {
  const file = tmp.scenario(stringify(scenario(e)), `${name}.yaml`);
  return parseReport((await executeProject(opts({ scenario: file, format: 'json' }))).text);
}

const AS_WRITTEN: Edit = { faqExponent: 0.9, faqKeys: 200_000, eligibilityTtl: '5m' };
const CHANGED: Edit = { faqExponent: 1.1, faqKeys: 90_000, eligibilityTtl: '1h' };

describe.skipIf(unavailable !== null)('rates derived from key popularity, recalculated by LibreOffice', () => {
  it('every month at every scale equals --format json to the cent, with the derived rates', async () => {
    const file = tmp.scenario(stringify(scenario(AS_WRITTEN)), 'popular.yaml');
    const xlsx = tmp.path('popular.xlsx');
    await runProject(opts({ scenario: file, format: 'xlsx', out: xlsx }));
    const report = await json(AS_WRITTEN, 'popular-json');
    // The rates follow the traffic, so a sheet that held them fixed would fail the later months.
    const faq = report.scales[2]!.months.map((m) => m.cache_rates.response_cache_hit_rate);
    expect(faq[11]!).toBeGreaterThan(faq[0]! + 0.02);
    expect(await expectSameMonths(xlsx, report, tmp.path('lo-popular'))).toBe(36);
  }, 180_000);

  it('a Zipf exponent, a catalogue size and a prompt-cache TTL changed in the workbook recalculate to what costwise project gives with the same changes', async () => {
    const file = tmp.scenario(stringify(scenario(AS_WRITTEN)), 'popular-edit.yaml');
    const xlsx = tmp.path('popular-edit.xlsx');
    await runProject(opts({ scenario: file, format: 'xlsx', out: xlsx }));
    const { wb, visibleSheets } = await readWorkbook(xlsx);
    expect(visibleSheets).toEqual(['Inputs', 'Prices', 'Key popularity', 'Months 1x', 'Months 3x', 'Months 10x', 'Summary', 'Charts']);
    const inputs = wb.getWorksheet('Inputs')!;
    const exponent = inputCell(inputs, 'resident_faq', 'exact keys: Zipf exponent');
    expect(inputs.getCell(exponent.row, exponent.col).value).toBe(0.9);
    inputs.getCell(exponent.row, exponent.col).value = CHANGED.faqExponent;
    // A new catalogue size moves every bucket boundary of the Key popularity sheet.
    const keys = inputCell(inputs, 'resident_faq', 'exact keys: catalogue size');
    inputs.getCell(keys.row, keys.col).value = CHANGED.faqKeys;
    const ttl = inputCell(inputs, 'eligibility_check', 'prompt-cache TTL');
    expect(inputs.getCell(ttl.row, ttl.col).value).toBe('5m');
    inputs.getCell(ttl.row, ttl.col).value = CHANGED.eligibilityTtl;
    const changed = tmp.path('popular-changed.xlsx');
    await wb.xlsx.writeFile(changed);

    const before = await json(AS_WRITTEN, 'before');
    const after = await json(CHANGED, 'after');
    // Both changes move every month, so stale cached results would fail the comparison.
    for (const [i, m] of after.scales[0]!.months.entries()) {
      const was = before.scales[0]!.months[i]!;
      expect(m.cache_rates.response_cache_hit_rate).toBeGreaterThan(was.cache_rates.response_cache_hit_rate + 0.05);
      expect(Math.abs(m.optimized_cost_usd - was.optimized_cost_usd)).toBeGreaterThan(1);
    }
    expect(await expectSameMonths(changed, after, tmp.path('lo-popular-changed'))).toBe(36);
  }, 180_000);
});

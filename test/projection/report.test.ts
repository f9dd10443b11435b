// The report formats: one JSON object of the documented shape, CSV and Markdown tables, a
// self-contained HTML page with its charts and assumptions, and the SVG files beside it.
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { executeProject, runProject, type ProjectOptions } from '../../src/cli/project.js';
import { TempDir, handScenario, parseReport } from './fixtures.js';
import { TECHNIQUES } from '../../src/projection/engine.js';
import { niceTicks } from '../../src/projection/report/svg.js';
import { cents } from '../../src/projection/report/money.js';

let tmp: TempDir;
beforeEach(() => (tmp = new TempDir()));
afterEach(() => tmp.dispose());

const opts = (o: Partial<ProjectOptions>): ProjectOptions => ({ days: 30, months: 12, growth: 0, format: 'table', ...o });

describe('costwise project output', () => {
  it('--format json is exactly one object with months, per-scale results and the sensitivity table', async () => {
    const { text } = await executeProject(opts({ scenario: tmp.scenario(handScenario()), format: 'json' }));
    const json = parseReport(text);
    expect(Object.keys(json).sort()).toEqual(['months', 'scales', 'scenario', 'sensitivity', 'totals']);
    expect(json.months).toHaveLength(2);
    for (const m of json.months) {
      expect(Object.keys(m).sort()).toEqual(['cache_rates', 'month', 'naive_cost_usd', 'optimized_cost_usd', 'requests', 'savings_usd']);
      expect(Object.keys(m.savings_usd)).toEqual([...TECHNIQUES]);
    }
    expect(json.scales.map((s) => s.scale)).toEqual([1, 3]);
    expect(json.scales[1]?.months[0]?.naive_cost_usd).toBe(27);
    expect(json.scenario.technique_order).toEqual(['routing', 'prompt_optimization', 'response_caching', 'prompt_caching', 'batching']);
    expect(json.scenario.types[0]).toMatchObject({ name: 'faq', served_model: 'small', naive_model: 'big', prefix_share: 0.5 });
    expect(json.sensitivity.rows.length).toBeGreaterThan(3);
    const swings = json.sensitivity.rows.map((r) => r.swing_usd);
    expect(swings).toEqual([...swings].sort((a, b) => b - a));
  });

  it("--scale overrides the scenario's factors", async () => {
    const json = parseReport((await executeProject(opts({ scenario: tmp.scenario(handScenario()), format: 'json', scale: [2, 10] }))).text);
    expect(json.scales.map((s) => s.scale)).toEqual([2, 10]);
    expect(json.months[0]?.naive_cost_usd).toBe(9); // top-level months stay the scenario as written
    expect(json.scales[0]?.months[0]?.requests).toBe(2000);
  });

  it('--format csv: a header and one row per scale and month', async () => {
    const lines = (await executeProject(opts({ scenario: tmp.scenario(handScenario()), format: 'csv' }))).text.trim().split('\n');
    expect(lines[0]).toBe(
      'scale,month,requests,naive_cost_usd,optimized_cost_usd,saving_routing_usd,saving_prompt_optimization_usd,saving_response_caching_usd,saving_prompt_caching_usd,saving_batching_usd,response_cache_hit_rate,prompt_cache_reuse_rate',
    );
    expect(lines).toHaveLength(1 + 2 * 2);
    expect(lines[3]).toMatch(/^3,1,3000,27.00,14.45,/);
  });

  it('--format md: headings and pipe tables, assumptions included', async () => {
    const md = (await executeProject(opts({ scenario: tmp.scenario(handScenario()), format: 'md' }))).text;
    expect(md).toMatch(/^# hand-computed: cost projection/);
    expect(md).toContain('## Scale 1×: month by month (USD)');
    expect(md).toContain('| 1 | 1000 | 9.00 | 4.82 | 4.18 | 46.5% | 2.40 | 0.06 | 0.23 | 0.14 | 1.35 |');
    expect(md).toContain('| faq | 60% | 1000 | 200 | big | tier cheap | small |');
    expect(md).toContain('## Sensitivity (±20%)');
  });

  it('table output is a readable terminal report', async () => {
    const text = (await executeProject(opts({ scenario: tmp.scenario(handScenario()) }))).text;
    expect(text).toContain('Scale 3× — month by month');
    expect(text).toMatch(/│ total\s+│\s+3000 │\s+27.00 │\s+14.45 │/);
  });

  it('--format html --out: a self-contained page with three inline SVG charts and the assumptions, plus the SVG files', async () => {
    const out = tmp.path('report.html');
    await runProject(opts({ scenario: tmp.scenario(handScenario()), format: 'html', out }));
    const html = readFileSync(out, 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    expect(html).toContain('<style>');
    for (const text of ['Assumptions', 'prefix share', 'faq', 'summary', 'tier cheap', 'Saving by technique', 'Scale comparison', '$4.82'])
      expect(html).toContain(text);
    for (const name of ['report-cost.svg', 'report-savings.svg', 'report-scales.svg']) {
      const svg = readFileSync(tmp.path(name), 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.trim().endsWith('</svg>')).toBe(true);
      expect(html).toContain(svg.trim());
    }
  });

  it('the savings chart stacks a negative saving below zero', async () => {
    // Routing to the more expensive model: a negative routing saving.
    const s = handScenario();
    s.naive_model = 'small';
    s.mix[0].serve = { model: 'big' };
    const out = tmp.path('neg.html');
    await runProject(opts({ scenario: tmp.scenario(s), format: 'html', out }));
    const svg = readFileSync(tmp.path('neg-savings.svg'), 'utf8');
    expect(svg).toMatch(/routing: -\$/);
    expect(existsSync(tmp.path('neg-cost.svg'))).toBe(true);
  });

  it('refuses --scenario together with --from-ledger, and neither', async () => {
    await expect(executeProject(opts({}))).rejects.toThrow(/either --scenario <file> or --from-ledger/);
    await expect(executeProject(opts({ scenario: 'x.yaml', fromLedger: true }))).rejects.toThrow(/either --scenario/);
  });
});

describe('report helpers', () => {
  it('rounds pico-dollars to cents half away from zero', () => {
    expect(cents(4_815_000_000_000n)).toBe('4.82');
    expect(cents(4_814_999_999_999n)).toBe('4.81');
    expect(cents(-4_815_000_000_000n)).toBe('-4.82');
    expect(cents(1_234_567_890_000_000_000n)).toBe('1,234,567.89');
  });

  it('axis ticks are round and cover the range', () => {
    expect(niceTicks(0, 9)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(-3, 7)).toEqual([-4, -2, 0, 2, 4, 6, 8]);
  });
});

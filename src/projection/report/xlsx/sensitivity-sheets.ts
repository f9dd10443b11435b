// The sensitivity table as formulas: each row is a whole re-projection at 1× with one assumption
// varied, so each side of each row gets its own hidden month sheet. That sheet is the 1× model with
// the varied Inputs cells replaced by expressions that vary them exactly as sensitivity.ts does
// (scaled, clamped, rounded, the mix renormalised), so changing any input recomputes the table.
import type { Workbook } from '@cj-tech-master/excelts';
import type { Deployment } from '../../../config/catalog.js';
import type { Scenario } from '../../scenario.js';
import type { Sensitivity, VariationId, VariedRun } from '../../sensitivity.js';
import type { InputsLayout, MixColumn } from './inputs-sheet.js';
import { addMonthsSheet, type MonthsLayout } from './months-sheet.js';
import { addPopularitySheet, type PopularityLayout } from './popularity-sheet.js';
import type { PricesLayout } from './prices-sheet.js';

export interface SensitivitySheetsInput {
  scenario: Scenario;
  sensitivity: Sensitivity;
  inputs: InputsLayout;
  prices: PricesLayout;
  popularity: PopularityLayout;
  deployments: ReadonlyMap<string, Deployment>;
}

export interface SensitivityLayout {
  low: MonthsLayout;
  high: MonthsLayout;
}

const clamp01 = (x: string): string => `MIN(1,MAX(0,${x}))`;

/** The Inputs layout of one varied run: the varied cells become expressions on the real ones. */
export function variedInputs(base: InputsLayout, scenario: Scenario, v: VariationId, factor: number): InputsLayout {
  const f = String(factor);
  const volume = (m: number): string => {
    if (v.kind === 'volume') return `(${base.volume(m)}*${f})`;
    if (v.kind !== 'growth' || m === 1) return base.volume(m);
    // Each month's growth over the month before, scaled, compounded from month 1 (left to right, as the engine multiplies).
    const steps: string[] = [];
    for (let k = 2; k <= m; k++) {
      const prev = base.volume(k - 1);
      steps.push(`(1+IF(${prev}>0,${base.volume(k)}/${prev}-1,0)*${f})`);
    }
    return `(${base.volume(1)}*${steps.join('*')})`;
  };
  const mix = (i: number, column: MixColumn): string => {
    const cell = base.mix(i, column);
    switch (v.kind) {
      case 'inputTokens':
        return column === 'inputTokens' ? `ROUND(${cell}*${f},0)` : cell;
      case 'outputTokens':
        return column === 'outputTokens' ? `ROUND(${cell}*${f},0)` : cell;
      case 'rate':
        return column === v.key ? clamp01(`${cell}*${f}`) : cell;
      case 'catalogue':
        return column === (v.of === 'exact' ? 'exactKeys' : 'prefixKeys') ? `MAX(1,ROUND(${cell}*${f},0))` : cell;
      case 'hitRate': {
        if (column !== 'exactHitRate' && column !== 'semanticHitRate') return cell;
        // A derived exact rate leaves its stated one unused, and the Inputs cell says "derived": use the stated number.
        const a = scenario.types[i]!.assumptions;
        const exact = a.exactPopularity ? String(a.exactHitRate) : base.mix(i, 'exactHitRate');
        const total = `(${exact}+${base.mix(i, 'semanticHitRate')})`;
        return `(${column === 'exactHitRate' ? exact : cell}*IF(${total}*${f}>1,1/${total},${f}))`;
      }
      case 'share': {
        if (column !== 'share') return cell;
        const own = clamp01(`${base.mix(v.index, 'share')}*${f}`);
        if (i === v.index) return own;
        const others = `(1-${base.mix(v.index, 'share')})`;
        return `(${cell}*IF(${others}>0,(1-${own})/${others},0))`;
      }
      default:
        return cell;
    }
  };
  return { ...base, volume, mix };
}

export function addSensitivitySheets(wb: Workbook, input: SensitivitySheetsInput): SensitivityLayout[] {
  const { sensitivity: s } = input;
  return s.rows.map((row, k) => {
    const side = (run: VariedRun, label: 'low' | 'high'): MonthsLayout => {
      const sheet = `Sensitivity ${k + 1} ${label}`;
      const inputs = variedInputs(input.inputs, input.scenario, row.variation, run.factor);
      let popularity = input.popularity;
      if (row.variation.kind === 'catalogue') {
        const of = row.variation.of;
        const varied = addPopularitySheet(wb, run.scenario, inputs, { variant: { sheet: `${sheet} keys`, kinds: [of] } });
        popularity = { block: (i, kind) => (kind === of ? varied.block(i, kind) : input.popularity.block(i, kind)) };
      }
      const pct = Math.round((run.factor - 1) * 100);
      return addMonthsSheet(wb, {
        scenario: run.scenario,
        result: run.result,
        inputs,
        prices: input.prices,
        popularity,
        deployments: input.deployments,
        variant: { sheet, title: `Sensitivity: ${row.assumption} ${pct > 0 ? '+' : '−'}${Math.abs(pct)}%, at 1× (USD)` },
      });
    };
    return { low: side(row.low, 'low'), high: side(row.high, 'high') };
  });
}

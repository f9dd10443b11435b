// Which assumption moves the optimised cost most: each one varied by ±`range` (default 20%) on its
// own, everything else as written, projected at scale 1. Rates are clamped to [0, 1] and the mix
// is renormalised when one type's share moves, so every varied scenario is still a valid one.
import { projectAtScale, type ScaleResult } from './project.js';
import type { RequestType, Scenario } from './scenario.js';

export const SENSITIVITY_RANGE = 0.2;

/** Which assumption a row varies, so the spreadsheet export can vary the same cells with formulas. */
export type VariationId =
  | { kind: 'volume' | 'growth' | 'inputTokens' | 'outputTokens' | 'hitRate' }
  | { kind: 'rate'; key: RateKey }
  | { kind: 'catalogue'; of: 'exact' | 'prefix' }
  | { kind: 'share'; index: number };

/** One side of a row: the varied scenario and its projection at scale 1. */
export interface VariedRun {
  factor: number;
  scenario: Scenario;
  result: ScaleResult;
}

export interface SensitivityRow {
  assumption: string;
  variation: VariationId;
  low: VariedRun;
  high: VariedRun;
  /** Month-1 and whole-horizon optimised cost with the assumption at (1 − range)× and (1 + range)×. */
  month1LowPico: bigint;
  month1HighPico: bigint;
  totalLowPico: bigint;
  totalHighPico: bigint;
  /** |totalHigh − totalLow|: the sort key. */
  swingPico: bigint;
}

export interface Sensitivity {
  range: number;
  month1BasePico: bigint;
  totalBasePico: bigint;
  rows: SensitivityRow[];
}

interface Variation {
  assumption: string;
  id: VariationId;
  /** False when varying it cannot change anything (e.g. a rate that is 0 everywhere). */
  applies: (s: Scenario) => boolean;
  apply: (s: Scenario, factor: number) => Scenario;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

function eachType(s: Scenario, f: (t: RequestType) => RequestType): Scenario {
  return { ...s, types: s.types.map(f) };
}

export type RateKey = 'promptOptimization' | 'prefixShare' | 'reuseRate' | 'batchableShare';

function rate(assumption: string, key: RateKey): Variation {
  return {
    assumption,
    id: { kind: 'rate', key },
    applies: (s) => s.types.some((t) => t.assumptions[key] > 0),
    apply: (s, factor) => eachType(s, (t) => ({ ...t, assumptions: { ...t.assumptions, [key]: clamp01(t.assumptions[key] * factor) } })),
  };
}

const VARIATIONS: readonly Variation[] = [
  {
    assumption: 'launch volume',
    id: { kind: 'volume' },
    applies: (s) => s.monthlyVolume.some((v) => v > 0),
    apply: (s, f) => ({ ...s, monthlyVolume: s.monthlyVolume.map((v) => v * f) }),
  },
  {
    assumption: 'monthly growth',
    id: { kind: 'growth' },
    applies: (s) => s.monthlyVolume.some((v, i) => i > 0 && v !== s.monthlyVolume[i - 1]),
    apply: (s, f) => {
      const out = [s.monthlyVolume[0]!];
      for (let i = 1; i < s.monthlyVolume.length; i++) {
        const prev = s.monthlyVolume[i - 1]!;
        const growth = prev > 0 ? s.monthlyVolume[i]! / prev - 1 : 0;
        out.push(out[i - 1]! * (1 + growth * f));
      }
      return { ...s, monthlyVolume: out };
    },
  },
  {
    assumption: 'input tokens per request',
    id: { kind: 'inputTokens' },
    applies: () => true,
    apply: (s, f) => eachType(s, (t) => ({ ...t, inputTokens: Math.round(t.inputTokens * f) })),
  },
  {
    assumption: 'output tokens per request',
    id: { kind: 'outputTokens' },
    applies: () => true,
    apply: (s, f) => eachType(s, (t) => ({ ...t, outputTokens: Math.round(t.outputTokens * f) })),
  },
  rate('prompt optimisation (token reduction)', 'promptOptimization'),
  {
    assumption: 'response-cache hit rate',
    id: { kind: 'hitRate' },
    applies: (s) => s.types.some((t) => t.assumptions.exactHitRate + t.assumptions.semanticHitRate > 0),
    apply: (s, f) =>
      eachType(s, (t) => {
        const a = t.assumptions;
        const total = a.exactHitRate + a.semanticHitRate;
        const k = total * f > 1 ? 1 / total : f;
        return { ...t, assumptions: { ...a, exactHitRate: a.exactHitRate * k, semanticHitRate: a.semanticHitRate * k } };
      }),
  },
  {
    // A bigger catalogue spreads the same traffic over more keys: fewer repeats within the TTL.
    assumption: 'exact-cache key catalogue size',
    id: { kind: 'catalogue', of: 'exact' },
    applies: (s) => s.types.some((t) => t.assumptions.exactPopularity !== null),
    apply: (s, f) =>
      eachType(s, (t) => {
        const p = t.assumptions.exactPopularity;
        return p ? { ...t, assumptions: { ...t.assumptions, exactPopularity: { ...p, catalogueSize: Math.max(1, Math.round(p.catalogueSize * f)) } } } : t;
      }),
  },
  {
    assumption: 'prompt-cache prefix catalogue size',
    id: { kind: 'catalogue', of: 'prefix' },
    applies: (s) => s.types.some((t) => t.assumptions.prefixPopularity !== null),
    apply: (s, f) =>
      eachType(s, (t) => {
        const p = t.assumptions.prefixPopularity;
        return p ? { ...t, assumptions: { ...t.assumptions, prefixPopularity: { ...p, catalogueSize: Math.max(1, Math.round(p.catalogueSize * f)) } } } : t;
      }),
  },
  rate('prompt-cache prefix share', 'prefixShare'),
  rate('prompt-cache reuse rate', 'reuseRate'),
  rate('batchable share', 'batchableShare'),
];

function shareVariation(index: number, name: string): Variation {
  return {
    assumption: `share of ${name}`,
    id: { kind: 'share', index },
    applies: (s) => s.types.length > 1,
    apply: (s, f) => {
      const own = clamp01(s.types[index]!.share * f);
      const others = 1 - s.types[index]!.share;
      const k = others > 0 ? (1 - own) / others : 0;
      return eachType(s, (t) => ({ ...t, share: t === s.types[index] ? own : t.share * k }));
    },
  };
}

export function sensitivity(scenario: Scenario, range = SENSITIVITY_RANGE): Sensitivity {
  const base = projectAtScale(scenario, 1);
  const variations = [...VARIATIONS, ...scenario.types.map((t, i) => shareVariation(i, t.name))];
  const rows: SensitivityRow[] = [];
  for (const v of variations) {
    if (!v.applies(scenario)) continue;
    const run = (factor: number): VariedRun => {
      const varied = v.apply(scenario, factor);
      return { factor, scenario: varied, result: projectAtScale(varied, 1) };
    };
    const lowRun = run(1 - range);
    const highRun = run(1 + range);
    const low = lowRun.result;
    const high = highRun.result;
    const swing = high.total.optimizedPico - low.total.optimizedPico;
    rows.push({
      assumption: v.assumption,
      variation: v.id,
      low: lowRun,
      high: highRun,
      month1LowPico: low.months[0]!.optimizedPico,
      month1HighPico: high.months[0]!.optimizedPico,
      totalLowPico: low.total.optimizedPico,
      totalHighPico: high.total.optimizedPico,
      swingPico: swing < 0n ? -swing : swing,
    });
  }
  rows.sort((a, b) => (a.swingPico === b.swingPico ? 0 : a.swingPico > b.swingPico ? -1 : 1));
  return { range, month1BasePico: base.months[0]!.optimizedPico, totalBasePico: base.total.optimizedPico, rows };
}

// The similarity threshold derived from a target wrong-hit rate instead of guessed.
//
// A calibration is the curve of an embedder (plus verifier) over labelled pairs: for each threshold
// on a fixed grid, how many queries would hit and how many of those hits would be wrong. The
// operating point for a target rate r is the lowest threshold whose wrong hits / hits <= r with
// enough hits to mean anything; lower thresholds hit more, so the lowest one that keeps the rate is
// the one that saves most. The file stores the whole curve, so any target can be looked up later.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { packageFile } from '../../core/package-file.js';
import type { Outcome } from './evaluate.js';

export const CALIBRATION_FORMAT = 'costwise-calibration/1';
/** Grid of thresholds the curve is measured on. */
export const CALIBRATION_GRID_STEP = 0.005;
export const CALIBRATION_GRID_FROM = 0.3;
/** Fewer hits than this at a threshold say nothing about its wrong-hit rate. */
export const MIN_CALIBRATION_HITS = 30;

const CurveRowSchema = z.tuple([z.number().min(-1).max(1), z.number().int().nonnegative(), z.number().int().nonnegative()]);

export const CalibrationSchema = z
  .strictObject({
    format: z.literal(CALIBRATION_FORMAT),
    /** The embedder id the curve was measured with (vectors of another embedder do not fit it). */
    embedder: z.string().min(1),
    /** Where the pairs came from, and which rows were used. */
    source: z.string(),
    queries: z.number().int().nonnegative(),
    duplicates: z.number().int().nonnegative(),
    /** [threshold, hits, wrong hits], thresholds ascending. */
    curve: z.array(CurveRowSchema).min(1),
    /** The operating point for the rate the calibration was run with (informative; lookups recompute it). */
    maxWrongHitRate: z.number().min(0).max(1),
    threshold: z.number().min(-1).max(1),
  })
  .readonly();
export type Calibration = z.infer<typeof CalibrationSchema>;

export interface OperatingPoint {
  readonly threshold: number;
  readonly hits: number;
  readonly wrongHits: number;
  /** wrong / hits, and its 95% Wilson interval. */
  readonly wrongHitRate: number;
  readonly wrongHitRateCi: readonly [number, number];
  readonly hitRate: number;
  readonly recall: number;
  /** False when no threshold of the grid keeps the rate with enough hits: the threshold is the grid's top. */
  readonly reached: boolean;
}

/** 95% Wilson score interval of a proportion k / n (n may be fractional: an effective sample size). */
export function wilson(k: number, n: number, z = 1.96): [number, number] {
  if (n <= 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function grid(): number[] {
  const out: number[] = [];
  for (let t = CALIBRATION_GRID_FROM; t <= 1 + 1e-9; t += CALIBRATION_GRID_STEP) out.push(Math.round(t * 1000) / 1000);
  return out;
}

/** The curve over the grid from scored queries (correct = the own question of a duplicate pair). */
export function curveOf(outcomes: readonly Outcome[]): Calibration['curve'] {
  const sims = outcomes.map((o) => ({ sim: o.sim, wrong: !(o.own && o.duplicate) })).sort((a, b) => b.sim - a.sim);
  const thresholds = grid();
  const rows: [number, number, number][] = [];
  let i = 0;
  let hits = 0;
  let wrong = 0;
  // Walk thresholds from the top down, adding the queries whose similarity reaches each one.
  for (let g = thresholds.length - 1; g >= 0; g--) {
    const t = thresholds[g]!;
    while (i < sims.length && sims[i]!.sim >= t - 1e-9) {
      hits++;
      if (sims[i]!.wrong) wrong++;
      i++;
    }
    rows.push([t, hits, wrong]);
  }
  return rows.reverse();
}

/** The lowest threshold of the curve whose wrong-hit rate is at most `maxWrongHitRate`. */
export function operatingPoint(
  cal: Pick<Calibration, 'curve' | 'queries' | 'duplicates'>,
  maxWrongHitRate: number,
  minHits = MIN_CALIBRATION_HITS,
): OperatingPoint {
  const at = (row: Calibration['curve'][number], reached: boolean): OperatingPoint => {
    const [threshold, hits, wrong] = row;
    return {
      threshold,
      hits,
      wrongHits: wrong,
      wrongHitRate: hits ? wrong / hits : 0,
      wrongHitRateCi: wilson(wrong, hits),
      hitRate: cal.queries ? hits / cal.queries : 0,
      recall: cal.duplicates ? (hits - wrong) / cal.duplicates : 0,
      reached,
    };
  };
  for (const row of cal.curve) {
    if (row[1] >= minHits && row[2] <= maxWrongHitRate * row[1]) return at(row, true);
  }
  return at(cal.curve.at(-1)!, false);
}

export function buildCalibration(opts: { embedder: string; source: string; outcomes: readonly Outcome[]; maxWrongHitRate: number }): Calibration {
  const base = {
    curve: curveOf(opts.outcomes),
    queries: opts.outcomes.length,
    duplicates: opts.outcomes.filter((o) => o.duplicate).length,
  };
  return {
    format: CALIBRATION_FORMAT,
    embedder: opts.embedder,
    source: opts.source,
    ...base,
    maxWrongHitRate: opts.maxWrongHitRate,
    threshold: operatingPoint(base, opts.maxWrongHitRate).threshold,
  };
}

export function loadCalibration(file: string): Calibration {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`calibration ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = CalibrationSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`calibration ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The calibration shipped for a built-in embedder: models/calibration-<name>.json (`-rerank` when re-ranked). */
export function shippedCalibrationPath(name: 'builtin' | 'static-use', opts: { rerank?: boolean } = {}): string {
  return packageFile('models', `calibration-${name}${opts.rerank ? '-rerank' : ''}.json`);
}

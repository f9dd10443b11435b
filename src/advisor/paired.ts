// The interval of a paired accuracy difference: on the same requests, the served model's grade s
// and the candidate's grade c (each 0 or 1). The loss s − c only moves on the discordant pairs, so
// the interval is built from their two counts. Agresti and Min's adjustment (half a pair added to
// each of the four cells) keeps it sound at small n and at zero discordant pairs, where the plain
// Wald interval collapses to a point.
import { normalQuantile } from './wilson.js';

export interface PairedCounts {
  /** Pairs with both grades. */
  n: number;
  /** Served right, candidate wrong. */
  servedOnly: number;
  /** Candidate right, served wrong. */
  candidateOnly: number;
}

/** [lo, hi] of the accuracy the candidate loses (served − candidate) at two-sided `confidence`. n = 0 gives [−1, 1]. */
export function pairedLossInterval(p: PairedCounts, confidence: number): [number, number] {
  if (p.n === 0) return [-1, 1];
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const n = p.n + 2;
  const b = (p.servedOnly + 0.5) / n;
  const c = (p.candidateOnly + 0.5) / n;
  const diff = b - c;
  const half = z * Math.sqrt((b + c - diff * diff) / n);
  return [Math.max(-1, diff - half), Math.min(1, diff + half)];
}

// Routing metrics over recorded outcomes (RouteLLM definitions, see shared/reference/ANCHORS.md):
// PGR = (q − q_weak) / (q_strong − q_weak) at a given share of strong-model calls; APGR = area under
// PGR over the strong-call share 0..1; CPT(x) = smallest strong-call share reaching PGR ≥ x.
// Computed exactly: prompts are sent to the strong model in order of `priority` (highest first), and
// the curve has one point per number of strong calls k = 0..N; equal priorities are an unordered block.

export interface PgrPoint {
  strongShare: number;
  accuracy: number;
  pgr: number;
}

export interface PgrInput {
  weak: readonly number[];
  strong: readonly number[];
  /** Higher = more in need of the strong model. */
  priority: readonly number[];
}

export function pgrCurve({ weak, strong, priority }: PgrInput): PgrPoint[] {
  const n = weak.length;
  if (n === 0) return [];
  const order = priority.map((_, i) => i).sort((a, b) => (priority[b] ?? 0) - (priority[a] ?? 0) || a - b);
  const sum = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0);
  const qWeak = sum(weak) / n;
  const qStrong = sum(strong) / n;
  const gap = qStrong - qWeak;
  let correct = sum(weak);
  const pts: PgrPoint[] = [];
  const push = (k: number): void => {
    const acc = correct / n;
    pts.push({ strongShare: k / n, accuracy: acc, pgr: gap === 0 ? 0 : (acc - qWeak) / gap });
  };
  push(0);
  // Prompts of equal priority are in no order: each step into a tied block adds the block's mean
  // gain (the expected curve over random tie-breaking), so a block the router cannot rank (e.g.
  // out-of-domain prompts) contributes exactly a coin's straight line.
  let k = 0;
  while (k < n) {
    let end = k + 1;
    while (end < n && priority[order[end] as number] === priority[order[k] as number]) end++;
    let gain = 0;
    for (let j = k; j < end; j++) gain += (strong[order[j] as number] ?? 0) - (weak[order[j] as number] ?? 0);
    const step = gain / (end - k);
    for (; k < end; k++) {
      correct += step;
      push(k + 1);
    }
  }
  return pts;
}

/** Trapezoid area under PGR over strong share in [0, 1]. */
export function apgr(curve: readonly PgrPoint[]): number {
  let area = 0;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1];
    const b = curve[i];
    if (!a || !b) continue;
    area += ((a.pgr + b.pgr) / 2) * (b.strongShare - a.strongShare);
  }
  return area;
}

/** Strong-call share (0..1) needed to reach PGR ≥ x; 1 if never reached before all-strong. */
export function cpt(curve: readonly PgrPoint[], x: number): number {
  for (const p of curve) if (p.pgr >= x - 1e-12) return p.strongShare;
  return 1;
}

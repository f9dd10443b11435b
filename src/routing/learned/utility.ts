// Decision rule `utility` (model version 2): pick the candidate maximising
//   P(good answer) − λ · predictedCost / referenceCost
// where referenceCost is the most expensive candidate's mean cost per call, so λ reads as "accuracy
// points (in 0..1) worth paying the priciest model's full price for". The knob q in [0, 1] sets
//   λ = ((1 − q) / q)²        q = 1 → λ = 0 (most likely good answer), q = 0 → cheapest,
// q = 0.5 → λ = 1; the square spreads the knob grid over the useful range (λ ≈ 0.003 … 5).
// Ties go to the cheaper candidate.

export function lambdaForKnob(q: number): number {
  if (q <= 0) return Infinity;
  if (q >= 1) return 0;
  return ((1 - q) / q) ** 2;
}

/** Index of the best candidate under the utility rule (among `allowed` ones, when given; -1 if none). */
export function chooseByUtility(
  probabilities: readonly number[],
  costs: readonly number[],
  referenceCost: number,
  q: number,
  allowed?: readonly boolean[],
): number {
  const lambda = lambdaForKnob(q);
  const ref = referenceCost > 0 ? referenceCost : 1;
  let best = -1;
  let bestU = -Infinity;
  for (let i = 0; i < probabilities.length; i++) {
    if (allowed && !allowed[i]) continue;
    const c = (costs[i] ?? 0) / ref;
    const u = lambda === Infinity ? -c : (probabilities[i] ?? 0) - lambda * c;
    const cheaperTie = best >= 0 && Math.abs(u - bestU) <= 1e-12 && c < (costs[best] ?? 0) / ref;
    if (best < 0 || u > bestU + 1e-12 || cheaperTie) {
      best = i;
      bestU = u;
    }
  }
  return best;
}

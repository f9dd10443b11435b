// How a shadow row names its comparison in the ledger's route column (written by the pipeline's
// shadow evaluator, read by the advisor): `shadow:<served>-><candidate>:<verdict>(<kind>)`.

export type ShadowVerdict = 'agree' | 'disagree' | 'unknown';

export interface ShadowComparison {
  served: string;
  candidate: string;
  verdict: ShadowVerdict;
  /** The answer kind compared (choice, number, code, text); null when nothing could be. */
  kind: string | null;
}

export const SHADOW_TECHNIQUE = 'shadow';

export function shadowRoute(c: ShadowComparison): string {
  return `shadow:${c.served}->${c.candidate}:${c.verdict}${c.kind ? `(${c.kind})` : ''}`;
}

const ROUTE = /^shadow:(.+)->(.+):(agree|disagree|unknown)(?:\((\w+)\))?$/;

export function parseShadowRoute(route: string): ShadowComparison | undefined {
  const m = ROUTE.exec(route);
  if (!m) return undefined;
  return { served: m[1]!, candidate: m[2]!, verdict: m[3] as ShadowVerdict, kind: m[4] ?? null };
}

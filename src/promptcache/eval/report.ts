// The eval's output object (the JSON form is this object, verbatim).
import { formatUsd } from '../../cost/money.js';
import type { Assignment, Sharing } from './replicas.js';
import type { PolicyOutcome, ReplayResult, TokenTotals } from './replay.js';

export const ORACLE_METHOD =
  "the planner's optimiser fed the exact future instead of estimates: for each block of each request, " +
  'the number of later requests containing that prefix in an unbroken chain of gaps shorter than the TTL ' +
  '(5m and 1h); the best choice of <= 4 breakpoints and TTLs per request under the same cost model, ' +
  'replayed through the same emulator cache. Not a global optimum across requests: lower_bound_cost_usd is ' +
  'a true floor (repeated prefixes at the read price plus one write premium per reused block, ignoring ' +
  'breakpoint limits and lookback).';

export const REPEAT_ORACLE_METHOD =
  'the oracle, blind to one thing: at the first arrival of a prefix it does not know whether that prefix will ' +
  'come back, only the share of first arrivals of the same prompt-size bucket and distance from the end that ' +
  'came back within 5m and 1h, and their mean chain after that, taken from the whole trace in hindsight and ' +
  "credited as the planner credits its estimates. It shows how much of the oracle's saving rests on knowing " +
  'which new prompts will be followed up.';

export interface EvalReport {
  requests: number;
  /** Index of the first replayed request in the trace file (`--from`). */
  first_request?: number;
  model: string;
  input_tokens: number;
  baseline_cost_usd: number;
  naive_cost_usd: number;
  planned_cost_usd: number;
  oracle_cost_usd: number;
  repeat_oracle_cost_usd: number;
  lower_bound_cost_usd: number;
  /** Planned saving ÷ oracle saving (vs baseline); null when the oracle saves nothing. */
  captured_share_of_oracle_saving: number | null;
  naive_share_of_oracle_saving: number | null;
  /** The repeat oracle's saving ÷ the oracle's: what is reachable without knowing which new prompts come back. */
  repeat_oracle_share_of_oracle_saving: number | null;
  planner_beats_naive: boolean;
  tokens: Record<'naive' | 'planned' | 'oracle' | 'repeat_oracle', TokenTotals>;
  oracle_method: string;
  repeat_oracle_method: string;
  elapsed_ms: number;
  /** With `--replicas n` (n > 1): the planner split over n replicas sharing one provider cache. */
  replicas?: ReplicaReport;
}

export interface ReplicaRow {
  assign: Assignment;
  sharing: Sharing;
  planned_cost_usd: number;
  captured_share_of_oracle_saving: number | null;
}

export interface ReplicaReport {
  replicas: number;
  staleness_ms: number;
  rows: ReplicaRow[];
}

const usd = (pico: bigint): number => Number(formatUsd(pico));

function share(saved: bigint, best: bigint): number | null {
  if (best <= 0n) return null;
  return Math.round((Number(saved) / Number(best)) * 10_000) / 10_000;
}

export function buildReport(model: string, r: ReplayResult, elapsedMs: number): EvalReport {
  const o = r.outcomes;
  const base = o.baseline.costPico;
  return {
    requests: r.requests,
    model,
    input_tokens: r.inputTokens,
    baseline_cost_usd: usd(base),
    naive_cost_usd: usd(o.naive.costPico),
    planned_cost_usd: usd(o.planned.costPico),
    oracle_cost_usd: usd(o.oracle.costPico),
    repeat_oracle_cost_usd: usd(o.repeatOracle.costPico),
    lower_bound_cost_usd: usd(r.lowerBoundPico),
    captured_share_of_oracle_saving: share(base - o.planned.costPico, base - o.oracle.costPico),
    naive_share_of_oracle_saving: share(base - o.naive.costPico, base - o.oracle.costPico),
    repeat_oracle_share_of_oracle_saving: share(base - o.repeatOracle.costPico, base - o.oracle.costPico),
    planner_beats_naive: o.planned.costPico < o.naive.costPico,
    tokens: { naive: o.naive.tokens, planned: o.planned.tokens, oracle: o.oracle.tokens, repeat_oracle: o.repeatOracle.tokens },
    oracle_method: ORACLE_METHOD,
    repeat_oracle_method: REPEAT_ORACLE_METHOD,
    elapsed_ms: Math.round(elapsedMs),
  };
}

export function buildReplicaReport(
  r: ReplayResult,
  p: { replicas: number; stalenessMs: number; runs: ReadonlyArray<{ assign: Assignment; sharing: Sharing; outcome: PolicyOutcome }> },
): ReplicaReport {
  const base = r.outcomes.baseline.costPico;
  const oracleSaving = base - r.outcomes.oracle.costPico;
  return {
    replicas: p.replicas,
    staleness_ms: p.stalenessMs,
    rows: p.runs.map(({ assign, sharing, outcome }) => ({
      assign,
      sharing,
      planned_cost_usd: usd(outcome.costPico),
      captured_share_of_oracle_saving: share(base - outcome.costPico, oracleSaving),
    })),
  };
}

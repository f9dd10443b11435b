// The replay report: exactly one JSON object (`--format json`), also rendered as tables.
//
//   trace       what was read: format, requests replayed, broken and skipped lines (line + reason),
//               first and last arrival (ISO 8601, simulated clock) and the span in seconds
//   model       the model synthetic requests asked for (Azure, Mooncake); null for logs and ledgers
//   seed        the PRNG seed of retries and balancing
//   policies[]  one PolicyReport per policy, in the order given (see summarize.ts)
//   comparison  each policy's cost and saving, and its cost minus the first policy's
import { formatUsd } from '../cost/money.js';
import type { PolicyReport, PolicySummary } from './summarize.js';
import type { Trace, TraceFormat, TraceProblem } from './types.js';

export interface TraceSummary {
  file: string;
  format: TraceFormat;
  requests: number;
  broken_count: number;
  broken: TraceProblem[];
  skipped_count: number;
  skipped: TraceProblem[];
  first_arrival: string | null;
  last_arrival: string | null;
  span_seconds: number;
}

export interface ComparisonLine {
  policy: string;
  cost_usd: string;
  saving_usd: string;
  saving_pct: number;
  /** This policy's cost minus the first policy's (negative: cheaper). */
  vs_first_usd: string;
  /** Outcome traces only: mean label of the answers served. */
  accuracy?: number;
}

export interface ReplayReport {
  trace: TraceSummary;
  model: string | null;
  seed: number;
  policies: PolicyReport[];
  comparison: ComparisonLine[];
}

/** Lines listed in the report; the counts cover them all. */
export const MAX_LISTED_PROBLEMS = 100;

export function traceSummary(file: string, trace: Trace): TraceSummary {
  const first = trace.requests[0]?.ts;
  const last = trace.requests[trace.requests.length - 1]?.ts;
  return {
    file,
    format: trace.format,
    requests: trace.requests.length,
    broken_count: trace.broken.length,
    broken: trace.broken.slice(0, MAX_LISTED_PROBLEMS),
    skipped_count: trace.skipped.length,
    skipped: trace.skipped.slice(0, MAX_LISTED_PROBLEMS),
    first_arrival: first === undefined ? null : new Date(first).toISOString(),
    last_arrival: last === undefined ? null : new Date(last).toISOString(),
    span_seconds: first === undefined || last === undefined ? 0 : (last - first) / 1000,
  };
}

export function comparison(summaries: PolicySummary[]): ComparisonLine[] {
  const first = summaries[0]?.costPico ?? 0n;
  return summaries.map(({ report, costPico }) => ({
    policy: report.policy,
    cost_usd: report.cost_usd,
    saving_usd: report.saving_usd,
    saving_pct: report.saving_pct,
    vs_first_usd: formatUsd(costPico - first),
    ...(report.accuracy !== undefined ? { accuracy: report.accuracy } : {}),
  }));
}

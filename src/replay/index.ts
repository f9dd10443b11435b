// `costwise replay` as a library: read a trace, replay it through each policy, report.
import { readTrace, type ReadTraceOptions } from './read.js';
import { comparison, traceSummary, type ReplayReport } from './report.js';
import { runPolicy, type PolicyRun, type ReplaySpeed, type ReplayTransport } from './run.js';
import { summarize } from './summarize.js';
import type { ReplayPolicy } from './policy.js';
import type { Trace } from './types.js';

export { loadPolicy, uniqueNames, type ReplayPolicy } from './policy.js';
export { readTrace, TraceError } from './read.js';
export type { ReplayReport } from './report.js';
export type { ReplaySpeed, ReplayTransport } from './run.js';

export interface ReplayOptions extends ReadTraceOptions {
  file: string;
  /** The first is the reference of `comparison`. */
  policies: ReplayPolicy[];
  speed: ReplaySpeed;
  transport: ReplayTransport;
  seed: number;
  /** Requests listed in each policy's `top_savings`. */
  top: number;
  /** Count upcoming prompts in a worker thread (count-ahead.ts; default true). Same report either way. */
  countAhead?: boolean;
  onProgress?: (policy: string, done: number, total: number) => void;
  /** Called after each policy with its wall time (for a speed note; not part of the report). */
  onTiming?: (policy: string, requests: number, wallMs: number) => void;
}

export interface ReplayOutcome {
  report: ReplayReport;
  trace: Trace;
  runs: PolicyRun[];
}

const SYNTHETIC = new Set(['azure', 'mooncake']);

export async function replay(opts: ReplayOptions): Promise<ReplayOutcome> {
  const trace = readTrace(opts.file, opts);
  const runs: PolicyRun[] = [];
  for (const policy of opts.policies) {
    const run = await runPolicy(trace, policy, {
      speed: opts.speed,
      transport: opts.transport,
      seed: opts.seed,
      ...(opts.countAhead !== undefined ? { countAhead: opts.countAhead } : {}),
      ...(opts.onProgress ? { onProgress: (d: number, t: number) => opts.onProgress!(policy.name, d, t) } : {}),
    });
    opts.onTiming?.(policy.name, run.sent.length, run.wallMs);
    runs.push(run);
  }
  const summaries = runs.map((r) => summarize(r, { top: opts.top, maxErrors: 20 }));
  return {
    trace,
    runs,
    report: {
      trace: traceSummary(opts.file, trace),
      model: SYNTHETIC.has(trace.format) ? opts.model : null,
      seed: opts.seed,
      policies: summaries.map((s) => s.report),
      comparison: comparison(summaries),
    },
  };
}

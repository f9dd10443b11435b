// `costwise replay` as a library: read a trace, replay it through each policy, report.
import { readTrace, type ReadTraceOptions } from './read.js';
import { comparison, traceSummary, type ReplayReport } from './report.js';
import { runPolicy, type PolicyRun, type ReplaySpeed, type ReplayTransport } from './run.js';
import { summarize, type PolicySummary } from './summarize.js';
import { policyQuality } from './quality.js';
import { hasResponses } from './formats/outcomes.js';
import { emulatorOutcomes } from '../server/gateway.js';
import type { OutcomeOptions } from '../emulator/outcomes.js';
import { readFileSync } from 'node:fs';
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
    const outcomes = recordedAnswers(policy, trace, opts.file);
    const run = await runPolicy(trace, policy, {
      ...(outcomes ? { outcomes } : {}),
      speed: opts.speed,
      transport: opts.transport,
      seed: opts.seed,
      ...(opts.countAhead !== undefined ? { countAhead: opts.countAhead } : {}),
      ...(opts.onProgress ? { onProgress: (d: number, t: number) => opts.onProgress!(policy.name, d, t) } : {}),
    });
    opts.onTiming?.(policy.name, run.sent.length, run.wallMs);
    runs.push(run);
  }
  const summaries = runs.map((r) => withQuality(summarize(r, { top: opts.top, maxErrors: 20 }), r, trace));
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

/**
 * The emulator's recorded answers under a policy: its `emulator.outcomes` (files, or the trace file
 * itself when it holds responses), keyed by the upstream model ids the emulator is asked for.
 */
function recordedAnswers(policy: ReplayPolicy, trace: Trace, file: string): OutcomeOptions | undefined {
  const o = policy.config.emulator.outcomes;
  if (!o) return undefined;
  const files = o.files ?? (trace.format === 'outcomes' && hasResponses(readFirstLine(file)) ? [file] : []);
  return files.length ? emulatorOutcomes({ ...policy.config, emulator: { ...policy.config.emulator, outcomes: { ...o, files } } }) : undefined;
}

function withQuality(s: PolicySummary, run: PolicyRun, trace: Trace): PolicySummary {
  if (!trace.labels) return s;
  const { accuracy, ...rest } = policyQuality({
    labels: trace.labels,
    sent: run.sent,
    rows: run.rows,
    models: run.policy.config.emulator.outcomes?.models ?? {},
  });
  return { ...s, report: { ...s.report, accuracy, quality: rest } };
}

function readFirstLine(file: string): string {
  return readFileSync(file, 'utf8').slice(0, 65536).split(/\r?\n/, 1)[0] ?? '';
}

// Outcome files as a trace: RouterBench CSVs (`prompt`, `eval_name`, one 0/1 label column per
// model, `<model>|model_response`, `<model>|total_cost`) or RouteLLM CSVs (`prompt` plus label
// columns). Each row becomes one Chat Completions request, one simulated second after the previous
// row: the prompt as the only user message, `eval_name` (or the file's stem) as its tag. The labels
// stay in the trace, never in a request: the report reads them to score the answer each policy served.
import { basename } from 'node:path';
import { parseOutcomeText } from '../../routing/learned/data.js';
import type { OutcomeLabels, Trace, TraceRequest } from '../types.js';
import { RELATIVE_EPOCH_MS } from './mooncake.js';

/** Simulated time between two rows. */
const ROW_GAP_MS = 1000;

/** A CSV whose header has a `prompt` column is an outcome file (Azure traces start with `TIMESTAMP`). */
export function isOutcomeHeader(firstLine: string): boolean {
  return /(^|,)"?prompt"?(,|$)/.test(firstLine);
}

/** Whether the file carries recorded responses (the emulator can then answer with them). */
export function hasResponses(firstLine: string): boolean {
  return firstLine.includes('|model_response');
}

export function readOutcomeTrace(text: string, file: string, model: string): Trace {
  const ds = parseOutcomeText(text, basename(file).replace(/\.csv$/i, ''));
  const rows: OutcomeLabels['rows'] = new Map();
  const requests: TraceRequest[] = [];
  ds.rows.forEach((r, i) => {
    const line = i + 1;
    rows.set(line, { tag: r.group, scores: r.scores });
    const body = JSON.stringify({ model, messages: [{ role: 'user', content: r.prompt }] });
    requests.push({
      line,
      ts: RELATIVE_EPOCH_MS + i * ROW_GAP_MS,
      build: () => ({ path: '/v1/chat/completions', body, headers: { 'x-costwise-tags': r.group.slice(0, 64).replace(/,/g, ' ') } }),
    });
  });
  return { format: 'outcomes', requests, broken: [], skipped: [], labels: { models: ds.models, rows } };
}

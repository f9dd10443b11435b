// Terminal tables of a replay report (cli-table3): the policies side by side, then per policy the
// saving by technique, the requests by model and the top savings.
import Table from 'cli-table3';
import type { ReplayReport } from './report.js';
import type { PolicyReport } from './summarize.js';

const STYLE = { head: [], border: [] };

function table(head: string[], rows: Array<Array<string | number>>, right: number[] = []): string {
  const t = new Table({ head, style: STYLE, colAligns: head.map((_, i) => (right.includes(i) ? 'right' : 'left')) });
  for (const r of rows) t.push(r.map(String));
  return t.toString();
}

function policySection(p: PolicyReport): string {
  const deferred = p.requests.deferred > 0 ? ` (${p.requests.deferred} deferred to batches)` : '';
  const out = [`Policy ${p.policy}${p.source ? ` (${p.source})` : ''}: ${p.requests.ok} ok${deferred}, ${p.requests.failed} failed`];
  out.push(table(['technique', 'saving USD'], Object.entries(p.saving_by_technique_usd), [1]));
  out.push(
    table(
      ['requested', 'served', 'technique', 'cache', 'requests', 'cost USD', 'baseline USD'],
      p.by_model.map((m) => [m.requested_model, m.served_model, m.technique, m.cache, m.requests, m.cost_usd, m.baseline_usd]),
      [4, 5, 6],
    ),
  );
  if (p.quality) {
    out.push(
      table(
        ['tag', 'requests', 'accuracy', 'cost USD', 'baseline USD'],
        p.quality.by_tag.map((t) => [t.tag, t.requests, t.accuracy.toFixed(4), t.cost_usd, t.baseline_usd]),
        [1, 2, 3, 4],
      ),
    );
  }
  if (p.top_savings.length) {
    out.push('Top savings');
    out.push(
      table(
        ['line', 'served', 'technique', 'cost USD', 'baseline USD', 'saving USD'],
        p.top_savings.map((t) => [t.line, t.served_model, t.technique, t.cost_usd, t.baseline_usd, t.saving_usd]),
        [0, 3, 4, 5],
      ),
    );
  }
  if (p.errors.length)
    out.push(
      table(
        ['line', 'status', 'error'],
        p.errors.map((e) => [e.line, e.status, e.error.slice(0, 80)]),
      ),
    );
  return out.join('\n');
}

export function renderTable(r: ReplayReport): string {
  const t = r.trace;
  const head = [
    `Trace ${t.file} (${t.format}${r.model ? `, as ${r.model}` : ''}): ${t.requests} requests over ${t.span_seconds} s` +
      (t.broken_count ? `, ${t.broken_count} broken lines` : '') +
      (t.skipped_count ? `, ${t.skipped_count} skipped` : ''),
  ];
  if (t.broken.length)
    head.push(
      table(
        ['line', 'broken because'],
        t.broken.slice(0, 10).map((b) => [b.line, b.reason]),
      ),
    );
  const scored = r.policies.some((p) => p.accuracy !== undefined);
  head.push(
    table(
      ['policy', 'requests', 'baseline USD', 'cost USD', 'saving USD', 'saving %', 'vs first USD', ...(scored ? ['accuracy'] : [])],
      r.policies.map((p, i) => [
        p.policy,
        p.requests.sent,
        p.baseline_usd,
        p.cost_usd,
        p.saving_usd,
        p.saving_pct.toFixed(2),
        r.comparison[i]!.vs_first_usd,
        ...(scored ? [p.accuracy?.toFixed(4) ?? '-'] : []),
      ]),
      [1, 2, 3, 4, 5, 6, 7],
    ),
  );
  return [...head, ...r.policies.map(policySection)].join('\n\n') + '\n';
}

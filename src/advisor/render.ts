// `costwise advise` as a terminal table or Markdown (the JSON is the report itself).
import type { AdviceReport, Recommendation } from './types.js';

function evidenceLine(r: Recommendation): string {
  return r.evidence.note;
}

export function renderAdviceTable(report: AdviceReport): string {
  const lines = [`Right-sizing advice, last ${report.window.days} days (${report.window.from ?? '-'} to ${report.window.to ?? '-'})`, ''];
  if (report.recommendations.length === 0)
    lines.push('No recommendation: no cheaper model has enough evidence, and no tag is batchable, repeats itself uncached or needs a max_tokens note.');
  const head = ['kind', 'scope', 'current', 'recommended', 'USD/month'];
  const rows = report.recommendations.map((r) => [r.kind, r.scope, r.current_model, r.recommended_model, r.monthly_saving_usd]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  if (rows.length) lines.push(fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt));
  for (const r of report.recommendations) {
    lines.push(
      '',
      `${r.scope} ${r.current_model} -> ${r.recommended_model}: ${evidenceLine(r)}`,
      ...r.rule
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  if (report.rejected.length) {
    lines.push('', 'Measured and turned down:');
    for (const x of report.rejected) lines.push(`  ${x.scope} ${x.current_model} -> ${x.candidate_model}: ${x.reason}`);
  }
  return lines.join('\n') + '\n';
}

export function renderAdviceMarkdown(report: AdviceReport): string {
  const out = [`# Right-sizing advice`, '', `Window: last ${report.window.days} days (${report.window.from ?? '-'} to ${report.window.to ?? '-'}).`, ''];
  out.push('| kind | scope | current | recommended | saving (USD/month) | evidence |', '|---|---|---|---|---:|---|');
  for (const r of report.recommendations)
    out.push(`| ${r.kind} | ${r.scope} | ${r.current_model} | ${r.recommended_model} | ${r.monthly_saving_usd} | ${evidenceLine(r).replace(/\|/g, '\\|')} |`);
  for (const r of report.recommendations) out.push('', `## ${r.scope}: ${r.current_model} → ${r.recommended_model}`, '', '```yaml', r.rule.trimEnd(), '```');
  if (report.rejected.length) {
    out.push('', '## Measured and turned down', '');
    for (const x of report.rejected) out.push(`- ${x.scope} ${x.current_model} → ${x.candidate_model}: ${x.reason}`);
  }
  return out.join('\n') + '\n';
}

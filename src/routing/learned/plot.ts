// Hand-written SVG of an evaluation: cost (x) against accuracy (y); the router curve as a line,
// random routing as a dashed line, single models and the oracle as labelled points.
import type { EvalReport } from './evaluate.js';

const W = 720;
const H = 480;
const M = { left: 70, right: 200, top: 30, bottom: 55 };

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

function ticks(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n + 1 }, (_, i) => lo + ((hi - lo) * i) / n);
}

export function renderEvalSvg(report: EvalReport, title = 'costwise router eval'): string {
  const pts = [...report.models, ...report.curve, report.oracle, report.default];
  const maxCost = Math.max(...pts.map((p) => p.cost_usd)) * 1.05 || 1;
  const minAcc = Math.max(0, Math.floor(Math.min(...pts.map((p) => p.accuracy)) * 20) / 20 - 0.05);
  const maxAcc = Math.min(1, Math.ceil(Math.max(...pts.map((p) => p.accuracy)) * 20) / 20 + 0.02);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (c: number): number => M.left + (c / maxCost) * pw;
  const y = (a: number): number => M.top + ph - ((a - minAcc) / (maxAcc - minAcc || 1)) * ph;
  const f = (v: number): string => v.toFixed(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${M.left}" y="18" font-size="14">${esc(title)} (${report.rows} test prompts)</text>`);
  // axes and grid
  for (const t of ticks(0, maxCost, 5)) {
    out.push(`<line x1="${f(x(t))}" y1="${M.top}" x2="${f(x(t))}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${f(x(t))}" y="${M.top + ph + 16}" text-anchor="middle">$${t.toFixed(t < 1 ? 3 : 2)}</text>`);
  }
  for (const t of ticks(minAcc, maxAcc, 5)) {
    out.push(`<line x1="${M.left}" y1="${f(y(t))}" x2="${M.left + pw}" y2="${f(y(t))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(y(t) + 4)}" text-anchor="end">${(t * 100).toFixed(1)}%</text>`);
  }
  out.push(`<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="black"/>`);
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="black"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">total cost (USD)</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`);
  // random routing and router curve
  const line = (ps: { cost_usd: number; accuracy: number }[]): string => ps.map((p, i) => `${i ? 'L' : 'M'}${f(x(p.cost_usd))} ${f(y(p.accuracy))}`).join(' ');
  out.push(`<path d="${line(report.random)}" fill="none" stroke="#999" stroke-dasharray="5 4"/>`);
  const curve = [...report.curve].sort((a, b) => a.cost_usd - b.cost_usd);
  out.push(`<path d="${line(curve)}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
  for (const p of curve) out.push(`<circle cx="${f(x(p.cost_usd))}" cy="${f(y(p.accuracy))}" r="2.5" fill="#1f77b4"><title>knob ${p.knob}</title></circle>`);
  // single models, default, oracle
  report.models.forEach((m) => {
    out.push(`<circle cx="${f(x(m.cost_usd))}" cy="${f(y(m.accuracy))}" r="4" fill="#ff7f0e"><title>${esc(m.name)}</title></circle>`);
    out.push(`<text x="${f(x(m.cost_usd) + 6)}" y="${f(y(m.accuracy) + 4)}" fill="#a0522d" font-size="9">${esc(m.name.split('/').pop() ?? m.name)}</text>`);
  });
  const d = report.default;
  out.push(
    `<rect x="${f(x(d.cost_usd) - 4)}" y="${f(y(d.accuracy) - 4)}" width="8" height="8" fill="#1f77b4" stroke="black"><title>default knob ${d.knob}</title></rect>`,
  );
  const o = report.oracle;
  out.push(
    `<polygon points="${f(x(o.cost_usd))},${f(y(o.accuracy) - 6)} ${f(x(o.cost_usd) + 6)},${f(y(o.accuracy) + 5)} ${f(x(o.cost_usd) - 6)},${f(y(o.accuracy) + 5)}" fill="#2ca02c"><title>oracle</title></polygon>`,
  );
  // legend
  const lx = W - M.right + 15;
  const legend: [string, string][] = [
    ['#1f77b4', 'learned router (knob curve)'],
    ['#999', 'random routing'],
    ['#ff7f0e', 'single models'],
    ['#2ca02c', 'per-prompt oracle'],
  ];
  legend.forEach(([color, label], i) => {
    out.push(`<rect x="${lx}" y="${M.top + i * 18}" width="10" height="10" fill="${color}"/>`);
    out.push(`<text x="${lx + 16}" y="${M.top + i * 18 + 9}">${esc(label)}</text>`);
  });
  if (report.apgr !== undefined) out.push(`<text x="${lx}" y="${M.top + 90}">APGR ${report.apgr.toFixed(3)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

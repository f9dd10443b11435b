// Hand-written SVG of a cache evaluation (same look as the router eval plot): precision (y) against
// recall and against hit rate (x) over the similarity threshold; the default threshold marked; the
// 0.97 precision target as a dashed line; GPTCache's published point (94.4% at a 45% hit rate).
import type { EvalReport } from './evaluate.js';

const W = 720;
const H = 480;
const M = { left: 70, right: 200, top: 30, bottom: 55 };

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

export function renderCacheEvalSvg(r: EvalReport, title = 'costwise cache eval'): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number): number => M.left + v * pw;
  const y = (v: number): number => M.top + ph - v * ph;
  const f = (v: number): string => v.toFixed(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${M.left}" y="18" font-size="14">${esc(title)} (${r.queries} queries, ${r.entries} entries, split ${r.split})</text>`);
  for (let i = 0; i <= 5; i++) {
    const t = i / 5;
    out.push(`<line x1="${f(x(t))}" y1="${M.top}" x2="${f(x(t))}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${f(x(t))}" y="${M.top + ph + 16}" text-anchor="middle">${(t * 100).toFixed(0)}%</text>`);
    out.push(`<line x1="${M.left}" y1="${f(y(t))}" x2="${M.left + pw}" y2="${f(y(t))}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${f(y(t) + 4)}" text-anchor="end">${(t * 100).toFixed(0)}%</text>`);
  }
  out.push(`<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="black"/>`);
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="black"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">recall / hit rate</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">precision</text>`);
  out.push(`<line x1="${M.left}" y1="${f(y(0.97))}" x2="${M.left + pw}" y2="${f(y(0.97))}" stroke="#d62728" stroke-dasharray="5 4"/>`);
  const pts = [...r.curve].sort((a, b) => a.threshold - b.threshold);
  const path = (key: 'recall' | 'hit_rate'): string => pts.map((p, i) => `${i ? 'L' : 'M'}${f(x(p[key]))} ${f(y(p.precision))}`).join(' ');
  out.push(`<path d="${path('recall')}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
  out.push(`<path d="${path('hit_rate')}" fill="none" stroke="#ff7f0e" stroke-width="1.5"/>`);
  for (const p of pts) {
    out.push(`<circle cx="${f(x(p.recall))}" cy="${f(y(p.precision))}" r="2.5" fill="#1f77b4"><title>threshold ${p.threshold}</title></circle>`);
    out.push(`<text x="${f(x(p.recall) + 4)}" y="${f(y(p.precision) - 4)}" font-size="8" fill="#555">${p.threshold}</text>`);
  }
  out.push(
    `<rect x="${f(x(r.recall) - 4)}" y="${f(y(r.precision) - 4)}" width="8" height="8" fill="#1f77b4" stroke="black"><title>default threshold ${r.threshold}</title></rect>`,
  );
  out.push(
    `<polygon points="${f(x(0.45))},${f(y(0.944) - 6)} ${f(x(0.45) + 6)},${f(y(0.944) + 5)} ${f(x(0.45) - 6)},${f(y(0.944) + 5)}" fill="#2ca02c"><title>GPTCache (published)</title></polygon>`,
  );
  const lx = W - M.right + 15;
  const legend: [string, string][] = [
    ['#1f77b4', 'precision vs recall'],
    ['#ff7f0e', 'precision vs hit rate'],
    ['#2ca02c', 'GPTCache 94.4% @ 45% hits'],
    ['#d62728', 'target precision 0.97'],
  ];
  legend.forEach(([color, label], i) => {
    out.push(`<rect x="${lx}" y="${M.top + i * 18}" width="10" height="10" fill="${color}"/>`);
    out.push(`<text x="${lx + 16}" y="${M.top + i * 18 + 9}">${esc(label)}</text>`);
  });
  out.push(`<text x="${lx}" y="${M.top + 90}">default ${r.threshold}: P ${(r.precision * 100).toFixed(1)}%, R ${(r.recall * 100).toFixed(1)}%</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// Small helpers for hand-written SVG charts: escaping, round axis ticks, short money labels, and
// the plot frame (title, y grid with labels, x labels) every chart shares.

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Round tick values covering [min, max] (min ≤ 0 ≤ max), about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  const span = max - min || 1;
  const raw = span / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
  if (ticks[ticks.length - 1]! < max) ticks.push(+(ticks[ticks.length - 1]! + step).toPrecision(12));
  return ticks;
}

export function shortUsd(v: number): string {
  const a = Math.abs(v);
  const sign = v < 0 ? '-' : '';
  if (a >= 1e6) return `${sign}$${+(a / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${sign}$${+(a / 1e3).toFixed(1)}k`;
  if (a >= 10 || a === 0) return `${sign}$${Math.round(a)}`;
  return `${sign}$${+a.toFixed(2)}`;
}

export const SIZE = { w: 760, h: 400, left: 80, right: 180, top: 40, bottom: 50 };

export interface Frame {
  /** x pixel of the centre of slot i of n. */
  slot: (i: number) => number;
  slotWidth: number;
  y: (v: number) => number;
  parts: string[];
}

/** Opens an SVG with a title, y grid over [min, max] and one x label per slot. */
export function frame(title: string, labels: readonly string[], min: number, max: number, xTitle: string): Frame {
  const { w, h, left, right, top, bottom } = SIZE;
  const pw = w - left - right;
  const ph = h - top - bottom;
  const ticks = niceTicks(Math.min(0, min), Math.max(max, 0));
  const lo = ticks[0]!;
  const hi = ticks[ticks.length - 1]!;
  const y = (v: number): number => top + ph - ((v - lo) / (hi - lo || 1)) * ph;
  const slotWidth = pw / Math.max(1, labels.length);
  const slot = (i: number): number => left + slotWidth * (i + 0.5);
  const f = (v: number): string => v.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11" role="img" aria-label="${esc(title)}">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${left}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const t of ticks) {
    parts.push(`<line x1="${left}" y1="${f(y(t))}" x2="${left + pw}" y2="${f(y(t))}" stroke="${t === 0 ? '#888' : '#e5e5e5'}"/>`);
    parts.push(`<text x="${left - 6}" y="${f(y(t) + 4)}" text-anchor="end">${esc(shortUsd(t))}</text>`);
  }
  const every = Math.ceil(labels.length / 24);
  labels.forEach((label, i) => {
    if (i % every === 0) parts.push(`<text x="${f(slot(i))}" y="${top + ph + 16}" text-anchor="middle">${esc(label)}</text>`);
  });
  parts.push(`<text x="${left + pw / 2}" y="${h - 12}" text-anchor="middle">${esc(xTitle)}</text>`);
  return { slot, slotWidth, y, parts };
}

/** A legend in the right margin: one coloured square (or dashed line) per entry. */
export function legend(entries: ReadonlyArray<{ label: string; color: string; dashed?: boolean }>): string[] {
  const x = SIZE.w - SIZE.right + 16;
  return entries.flatMap((e, i) => {
    const y = SIZE.top + 10 + i * 20;
    const mark = e.dashed
      ? `<line x1="${x}" y1="${y - 4}" x2="${x + 14}" y2="${y - 4}" stroke="${e.color}" stroke-width="2" stroke-dasharray="4 3"/>`
      : `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${e.color}"/>`;
    return [mark, `<text x="${x + 20}" y="${y}">${esc(e.label)}</text>`];
  });
}

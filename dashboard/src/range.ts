// The time range every page shows. Bounds are whole UTC hours, so the rollup-based endpoints and
// /api/spend cover exactly the same rows.
export type RangeName = '24h' | '7d' | '30d' | 'all';

export const RANGES: ReadonlyArray<{ name: RangeName; label: string }> = [
  { name: '24h', label: '24 hours' },
  { name: '7d', label: '7 days' },
  { name: '30d', label: '30 days' },
  { name: 'all', label: 'All time' },
];

const HOUR = 3_600_000;
const SPAN: Record<Exclude<RangeName, 'all'>, number> = { '24h': 24 * HOUR, '7d': 7 * 24 * HOUR, '30d': 30 * 24 * HOUR };

export interface Bounds {
  from?: number;
  to?: number;
  bucket: 'hour' | 'day';
}

export function bounds(name: RangeName, now: number = Date.now()): Bounds {
  if (name === 'all') return { bucket: 'day' };
  const to = Math.ceil((now + 1) / HOUR) * HOUR;
  return { from: to - SPAN[name], to, bucket: name === '30d' ? 'day' : 'hour' };
}

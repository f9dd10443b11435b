// Timestamps in JSON traces: epoch milliseconds, epoch seconds (numbers below 1e11, i.e. before
// 1973 as milliseconds) or an ISO 8601 string.

const SECONDS_BELOW = 1e11;

export function parseTimestamp(v: unknown): number | string {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v < SECONDS_BELOW ? Math.round(v * 1000) : Math.round(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const ms = Date.parse(v);
    if (Number.isFinite(ms)) return ms;
  }
  // JSON.stringify(undefined) is undefined, whatever its lib type says.
  return `timestamp must be epoch ms, epoch seconds or an ISO 8601 string, got ${(JSON.stringify(v) as string | undefined) ?? 'nothing'}`;
}

// Cursor pages over a newest-first list, as both providers' list endpoints (and their SDKs'
// auto-pagination) expect: `after` = the page after that id (older), `before` = the page just
// before it (newer). An unknown cursor is a 400 naming its parameter.
import { badRequest } from '../errors.js';

export interface PageQuery {
  after: string | null;
  before: string | null;
  limit: number;
  /** Query parameter names, for errors. */
  afterParam: string;
  beforeParam: string;
}

export interface Page<T> {
  data: T[];
  hasMore: boolean;
  firstId: string | null;
  lastId: string | null;
}

export function paginate<T extends { id: string }>(newestFirst: readonly T[], q: PageQuery): Page<T> {
  if (q.after !== null && q.before !== null) throw badRequest(`Only one of ${q.afterParam} and ${q.beforeParam} may be given.`, q.beforeParam);
  let start = 0;
  let end = newestFirst.length;
  if (q.after !== null) start = cursorIndex(newestFirst, q.after, q.afterParam) + 1;
  if (q.before !== null) {
    end = cursorIndex(newestFirst, q.before, q.beforeParam);
    start = Math.max(0, end - q.limit);
  }
  const data = newestFirst.slice(start, Math.min(end, start + q.limit));
  const hasMore = q.before !== null ? start > 0 : start + data.length < end;
  return { data, hasMore, firstId: data[0]?.id ?? null, lastId: data[data.length - 1]?.id ?? null };
}

function cursorIndex(list: readonly { id: string }[], id: string, param: string): number {
  const i = list.findIndex((x) => x.id === id);
  if (i < 0) throw badRequest(`Invalid '${param}': no object with id '${id}'.`, param, 'invalid_value');
  return i;
}

/** `limit` from a query string: an integer within [1, max], else a 400 naming it. */
export function parseLimit(raw: string | null, fallback: number, max: number): number {
  if (raw === null) return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= max)) throw badRequest(`Invalid 'limit': expected an integer from 1 to ${max}, got '${raw}'.`, 'limit', 'invalid_value');
  return n;
}

// The ledger: newest first, filtered and paged on the server (/api/requests with filters).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { apiPath, useApi } from '../api.js';
import { bounds, type RangeName } from '../range.js';
import { dateTime } from '../format.js';
import type { RequestsSearchResponse, SpendResponse } from '../types.js';
import { Link } from '../router.js';
import { Empty, ErrorNote, Loading, Usd } from '../components/ui.js';

const PAGE = 50;

interface Filters {
  q: string;
  model: string;
  status: string;
  technique: string;
  cache: string;
  subCalls: boolean;
}

const NONE: Filters = { q: '', model: '', status: '', technique: '', cache: '', subCalls: false };

function Select(props: { label: string; value: string; options: Array<[string, string]>; onChange: (v: string) => void; testId: string }) {
  return (
    <label>
      <span>{props.label}</span>
      <select value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)} data-testid={props.testId}>
        <option value="">any</option>
        {props.options.map(([value, label]) => (
          <option key={value} value={value}>
            {label}
          </option>
        ))}
      </select>
    </label>
  );
}

export function Requests({ range }: { range: RangeName }) {
  const b = useMemo(() => bounds(range), [range]);
  const [filters, setFilters] = useState<Filters>(NONE);
  const [text, setText] = useState('');
  const [offset, setOffset] = useState(0);
  // The search box applies after a pause in typing.
  useEffect(() => {
    const t = setTimeout(() => setFilters((f) => (f.q === text ? f : { ...f, q: text })), 250);
    return () => clearTimeout(t);
  }, [text]);
  useEffect(() => setOffset(0), [filters, range]);
  const set = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));

  const models = useApi<SpendResponse>(apiPath('/api/spend', { group_by: 'model' }));
  // top_level is always sent, so this is the search (with has_more), never the plain listing.
  const rows = useApi<RequestsSearchResponse>(
    apiPath('/api/requests', {
      limit: PAGE,
      offset,
      from: b.from,
      to: b.to,
      q: filters.q.trim(),
      model: filters.model,
      status: filters.status,
      technique: filters.technique,
      cache: filters.cache,
      top_level: filters.subCalls ? '0' : '1',
    }),
  );
  const modelNames = (models.data?.data ?? []).flatMap((m) => (m.model === undefined ? [] : [m.model]));

  return (
    <div class="page">
      <h1>Requests</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} role="search">
        <label class="grow">
          <span>Search</span>
          <input
            type="search"
            placeholder="request id or route text"
            value={text}
            onInput={(e) => setText((e.target as HTMLInputElement).value)}
            data-testid="search"
          />
        </label>
        <Select label="Model" value={filters.model} options={modelNames.map((m) => [m, m])} onChange={(model) => set({ model })} testId="filter-model" />
        <Select
          label="Status"
          value={filters.status}
          options={[
            ['ok', 'ok'],
            ['error', 'error'],
          ]}
          onChange={(status) => set({ status })}
          testId="filter-status"
        />
        <Select
          label="Technique"
          value={filters.technique}
          options={[
            ['none', 'served as asked'],
            ['routing', 'routing'],
            ['cascade', 'cascade'],
            ['cache_exact', 'cache (exact)'],
            ['cache_semantic', 'cache (semantic)'],
          ]}
          onChange={(technique) => set({ technique })}
          testId="filter-technique"
        />
        <Select
          label="Cache"
          value={filters.cache}
          options={[
            ['hit-exact', 'hit (exact)'],
            ['hit-semantic', 'hit (semantic)'],
            ['miss', 'miss'],
            ['none', 'not consulted'],
          ]}
          onChange={(cache) => set({ cache })}
          testId="filter-cache"
        />
        <label class="check">
          <input type="checkbox" checked={filters.subCalls} onChange={(e) => set({ subCalls: (e.target as HTMLInputElement).checked })} />
          <span>sub-calls</span>
        </label>
      </form>
      {rows.error ? (
        <ErrorNote message={rows.error} />
      ) : !rows.data ? (
        <Loading />
      ) : rows.data.data.length === 0 ? (
        <Empty testId="requests-empty">{offset > 0 ? 'No more requests.' : 'No requests match.'}</Empty>
      ) : (
        <div class="scroll">
          <table class="table requests" data-testid="requests-table">
            <thead>
              <tr>
                <th>time</th>
                <th>request</th>
                <th>model</th>
                <th class="hide-sm">route</th>
                <th class="hide-sm">cache</th>
                <th class="num">status</th>
                <th class="num">cost</th>
                <th class="num hide-sm">saved</th>
              </tr>
            </thead>
            <tbody>
              {rows.data.data.map((r) => (
                <tr key={r.requestId} class={r.status >= 400 ? 'failed' : ''}>
                  <td class="nowrap">{dateTime(r.ts)}</td>
                  <td class="mono clip">
                    <Link to={`/requests/${encodeURIComponent(r.requestId)}`} testId="request-link">
                      {r.requestId}
                    </Link>
                  </td>
                  <td class="clip">
                    {r.requestedModel === r.servedModel ? (
                      r.servedModel
                    ) : (
                      <>
                        {r.requestedModel} → <strong>{r.servedModel}</strong>
                      </>
                    )}
                  </td>
                  <td class="mono clip hide-sm" title={r.route}>
                    {r.route}
                  </td>
                  <td class="hide-sm">{r.cache ?? ''}</td>
                  <td class="num">{r.status}</td>
                  <td class="num">
                    <Usd value={r.cost_usd} />
                  </td>
                  <td class="num hide-sm">{r.parentId === null ? <Usd value={r.saving_usd} /> : 'sub-call'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="pager">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))} data-testid="prev">
          ← Newer
        </button>
        <span>{rows.data && rows.data.data.length > 0 ? `${offset + 1}–${offset + rows.data.data.length}` : ''}</span>
        <button type="button" disabled={!rows.data?.has_more} onClick={() => setOffset(offset + PAGE)} data-testid="next">
          Older →
        </button>
      </div>
    </div>
  );
}

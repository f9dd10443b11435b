// Where the money went and what was saved: totals, spend and saving over time, the saving by
// technique, spend by model / tag / key, and cost per request percentiles.
import { useMemo, useState } from 'preact/hooks';
import { apiPath, useApi } from '../api.js';
import { bounds, type RangeName } from '../range.js';
import { count, ms, savingShare, TECHNIQUE_LABEL, usd } from '../format.js';
import type { LatencyCostResponse, SpendResponse, TimeseriesResponse } from '../types.js';
import { PALETTE, TimeChart, type Series } from '../components/TimeChart.js';
import { Bars, Card, Empty, ErrorNote, FRESH_INSTALL_HINT, Loading, Stat, Usd } from '../components/ui.js';

type Breakdown = 'model' | 'tag' | 'key';

export function Overview({ range }: { range: RangeName }) {
  const b = useMemo(() => bounds(range), [range]);
  const [breakdown, setBreakdown] = useState<Breakdown>('model');
  const spend = useApi<SpendResponse>(apiPath('/api/spend', { group_by: 'technique', from: b.from, to: b.to }));
  const series = useApi<TimeseriesResponse>(apiPath('/api/timeseries', { bucket: b.bucket, group_by: 'technique', from: b.from, to: b.to }));
  const groups = useApi<SpendResponse>(apiPath('/api/spend', { group_by: breakdown, from: b.from, to: b.to }));
  const stats = useApi<LatencyCostResponse>(apiPath('/api/stats/latency-cost', { from: b.from, to: b.to }));

  const charts = useMemo(() => {
    const d = series.data?.data ?? [];
    const t = d.map((p) => p.t);
    const spendSeries: Series[] = [
      { label: 'Spend', values: d.map((p) => Number(p.cost_usd)), color: PALETTE[0]!, fill: true },
      { label: 'Without costwise', values: d.map((p) => Number(p.baseline_usd)), color: PALETTE[8]! },
    ];
    const techniques = [...new Set(d.flatMap((p) => Object.keys(p.saving_by_technique ?? {})))].sort();
    const savingSeries: Series[] = techniques.map((k, i) => ({
      label: TECHNIQUE_LABEL[k] ?? k,
      values: d.map((p) => Number(p.saving_by_technique?.[k] ?? 0)),
      color: PALETTE[(i + 1) % PALETTE.length]!,
    }));
    return { t, spendSeries, savingSeries };
  }, [series.data]);

  if (spend.error) return <ErrorNote message={spend.error} />;
  if (!spend.data) return <Loading />;
  const total = spend.data.total;
  const requests = spend.data.data.reduce((n, x) => n + x.requests, 0);
  if (requests === 0 && Number(total.cost_usd) === 0) {
    return (
      <div class="page">
        <h1>Overview</h1>
        <Empty testId="overview-empty">{FRESH_INSTALL_HINT}</Empty>
      </div>
    );
  }
  // The server splits the saving exactly (pico-dollars); sorted largest first for the bars.
  const split = Object.entries(series.data?.total.saving_by_technique ?? {})
    .map(([technique, exact]) => ({ technique, exact, usd: Number(exact) }))
    .sort((a, b) => b.usd - a.usd);
  return (
    <div class="page">
      <h1>Overview</h1>
      <div class="stats">
        <Stat label="Spend" value={usd(total.cost_usd)} exact={total.cost_usd} testId="total-cost" />
        <Stat label="Without costwise" value={usd(total.baseline_usd)} exact={total.baseline_usd} testId="total-baseline" />
        <Stat
          label="Saved"
          value={usd(total.saving_usd)}
          exact={total.saving_usd}
          note={`${savingShare(total.saving_usd, total.baseline_usd)} of the baseline`}
          testId="total-saving"
          tone={Number(total.saving_usd) < 0 ? 'bad' : 'good'}
        />
        <Stat label="Requests" value={count(requests)} exact={String(requests)} testId="total-requests" />
      </div>
      <div class="grid">
        <Card title="Spend over time" wide>
          {series.data ? <TimeChart t={charts.t} series={charts.spendSeries} format={usd} testId="chart-spend" /> : <Loading />}
        </Card>
        <Card title="Saving over time, by technique" wide>
          {series.data ? <TimeChart t={charts.t} series={charts.savingSeries} format={usd} testId="chart-saving" /> : <Loading />}
        </Card>
        <Card title="Saving by technique" testId="saving-split">
          {!series.data && <Loading />}
          <Bars items={split.map((s) => ({ label: TECHNIQUE_LABEL[s.technique] ?? s.technique, value: s.usd, display: usd(s.usd), exact: s.exact }))} />
          <p class="hint">
            Prompt caching is what provider prompt caches saved on the model that served; each other technique's share is the rest of its saving. A negative
            value is a loss (a cascade that escalated pays for both steps).
          </p>
        </Card>
        <Card title="Spend by">
          <div class="tabs" role="tablist">
            {(['model', 'tag', 'key'] as const).map((g) => (
              <button
                type="button"
                role="tab"
                aria-selected={breakdown === g}
                class={breakdown === g ? 'active' : ''}
                onClick={() => setBreakdown(g)}
                key={g}
                data-testid={`breakdown-${g}`}
              >
                {g}
              </button>
            ))}
          </div>
          {groups.data ? (
            <div class="scroll">
              <table class="table" data-testid="breakdown-table">
                <thead>
                  <tr>
                    <th>{breakdown}</th>
                    <th class="num">requests</th>
                    <th class="num">spend</th>
                    <th class="num">saved</th>
                  </tr>
                </thead>
                <tbody>
                  {groups.data.data.map((g) => (
                    <tr key={String(g[breakdown])}>
                      <td class="clip">{String(g[breakdown])}</td>
                      <td class="num">{count(g.requests)}</td>
                      <td class="num">
                        <Usd value={g.cost_usd} />
                      </td>
                      <td class="num">
                        <Usd value={g.saving_usd} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <Loading />
          )}
        </Card>
        <Card title="Cost and latency per request" wide testId="percentiles">
          {stats.data === undefined ? (
            <Loading />
          ) : stats.data.data.length === 0 ? (
            <Empty>No requests in this range.</Empty>
          ) : (
            <div class="scroll">
              <table class="table">
                <thead>
                  <tr>
                    <th>model</th>
                    <th class="num">requests</th>
                    <th class="num">cost p50</th>
                    <th class="num">p90</th>
                    <th class="num">p99</th>
                    <th class="num hide-sm">latency p50</th>
                    <th class="num hide-sm">p99</th>
                  </tr>
                </thead>
                <tbody>
                  {stats.data.data.map((g) => (
                    <tr key={g.model}>
                      <td>{g.model === '(all)' ? <strong>all models</strong> : g.model}</td>
                      <td class="num">{count(g.requests)}</td>
                      <td class="num">
                        <Usd value={g.cost_usd.p50} />
                      </td>
                      <td class="num">
                        <Usd value={g.cost_usd.p90} />
                      </td>
                      <td class="num">
                        <Usd value={g.cost_usd.p99} />
                      </td>
                      <td class="num hide-sm">{ms(g.latency_ms.p50)}</td>
                      <td class="num hide-sm">{ms(g.latency_ms.p99)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {stats.data.sampled && <p class="hint">From an even sample of about {count(stats.data.population)} requests.</p>}
            </div>
          )}
        </Card>
      </div>
    </div>
  );
}

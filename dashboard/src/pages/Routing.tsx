// Which models and tiers served the traffic, how much went through each technique, and how often
// requests fell back or cascades escalated.
import { useMemo } from 'preact/hooks';
import { apiPath, useApi } from '../api.js';
import { bounds, type RangeName } from '../range.js';
import { count, pct, TECHNIQUE_LABEL, usd } from '../format.js';
import type { RoutingResponse, TimeseriesResponse } from '../types.js';
import { PALETTE, TimeChart, type Series } from '../components/TimeChart.js';
import { Bars, Card, Empty, ErrorNote, FRESH_INSTALL_HINT, Loading, Stat } from '../components/ui.js';

const requestsFormat = (v: number) => count(Math.round(v));

export function Routing({ range }: { range: RangeName }) {
  const b = useMemo(() => bounds(range), [range]);
  const r = useApi<RoutingResponse>(apiPath('/api/routing', { from: b.from, to: b.to }));
  const mix = useApi<TimeseriesResponse>(apiPath('/api/timeseries', { bucket: b.bucket, group_by: 'model', from: b.from, to: b.to }));
  const chart = useMemo(() => {
    const d = mix.data?.data ?? [];
    const models = [...new Set(d.flatMap((p) => Object.keys(p.by)))].sort();
    const series: Series[] = models.map((m, i) => ({ label: m, values: d.map((p) => p.by[m]?.requests ?? 0), color: PALETTE[i % PALETTE.length]! }));
    return { t: d.map((p) => p.t), series };
  }, [mix.data]);

  if (r.error) return <ErrorNote message={r.error} />;
  if (!r.data) return <Loading />;
  const d = r.data;
  if (d.requests === 0)
    return (
      <div class="page">
        <h1>Routing</h1>
        <Empty>{FRESH_INSTALL_HINT}</Empty>
      </div>
    );
  return (
    <div class="page">
      <h1>Routing</h1>
      <div class="stats">
        <Stat label="Requests" value={count(d.requests)} testId="routing-requests" />
        <Stat label="Fell back" value={pct(d.fallback_rate)} note={`${count(d.fallbacks)} requests`} testId="fallback-rate" />
        <Stat
          label="Cascades escalated"
          value={d.cascade_requests > 0 ? pct(d.escalation_rate) : '–'}
          note={`${count(d.escalations)} of ${count(d.cascade_requests)} cascades`}
          testId="escalation-rate"
        />
      </div>
      <div class="grid">
        <Card title="Requests by tier">
          <Bars
            items={d.by_tier.map((t) => ({ label: t.tier, value: t.requests, display: `${count(t.requests)} · ${pct(t.requests / d.requests)}` }))}
            testId="by-tier"
          />
        </Card>
        <Card title="Requests by served model">
          <Bars
            items={d.by_model.map((m) => ({ label: m.model, value: m.requests, display: `${count(m.requests)} · ${usd(m.cost_usd)}`, exact: m.cost_usd }))}
            testId="by-model"
          />
        </Card>
        <Card title="Requests by technique">
          <Bars
            items={d.by_technique.map((t) => ({ label: TECHNIQUE_LABEL[t.technique] ?? t.technique, value: t.requests, display: count(t.requests) }))}
            testId="by-technique"
          />
        </Card>
        <Card title="Traffic mix over time" wide>
          {mix.data ? <TimeChart t={chart.t} series={chart.series} format={requestsFormat} testId="chart-mix" /> : <Loading />}
        </Card>
      </div>
    </div>
  );
}

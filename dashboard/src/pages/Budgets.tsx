// Every budget of keys, teams and tags (/api/budgets), tightest first: spend against the limit,
// what requests in flight hold, what is left, the last 24 hours' burn rate and when the budget
// runs out at that rate; then spend per key over the chosen range (/api/timeseries?group_by=key).
import { useMemo } from 'preact/hooks';
import { apiPath, useApi } from '../api.js';
import { bounds, type RangeName } from '../range.js';
import { count, date, fromNow, usd } from '../format.js';
import type { BudgetView, BudgetsResponse, KeysResponse, OtherSeries, TeamsResponse, TimeseriesResponse } from '../types.js';
import { PALETTE, TimeChart, type Series } from '../components/TimeChart.js';
import { Card, Empty, ErrorNote, Loading, Meter, Stat, Usd } from '../components/ui.js';
import { Link } from '../router.js';

const DAY_MS = 86_400_000;
/** Keys drawn one by one in the chart; the server sums the rest as one line (`top`). */
const CHART_KEYS = 8;
const OTHER: OtherSeries = '(other)';

/** `key:<id>`, `team:<id>` or `tag:<name>` split in two. */
function subjectOf(subject: string): { kind: string; id: string } {
  const at = subject.indexOf(':');
  return at < 0 ? { kind: '', id: subject } : { kind: subject.slice(0, at), id: subject.slice(at + 1) };
}

function isSpent(b: BudgetView): boolean {
  return Number(b.remaining_usd) <= 0;
}

/** When the budget runs out at the last 24 hours' rate, for the table. */
function RunsOut({ b, now }: { b: BudgetView; now: number }) {
  if (isSpent(b))
    return (
      <span class="tone-bad" data-testid="budget-runs-out" data-state="spent">
        <strong>spent</strong>
        {b.period_end !== null && <span class="sub">until the period ends, {date(b.period_end)}</span>}
      </span>
    );
  if (b.runs_out_at !== null)
    return (
      <span class={b.runs_out_at - now < DAY_MS ? 'tone-bad' : 'tone-warn'} data-testid="budget-runs-out" data-state="runs-out" data-value={b.runs_out_at}>
        <span class="nowrap">{date(b.runs_out_at)}</span>
        <span class="sub">{fromNow(b.runs_out_at, now)}</span>
      </span>
    );
  return (
    <span class="muted" data-testid="budget-runs-out" data-state="lasts">
      {b.period_end !== null ? 'not before the period ends' : 'not at the current rate'}
    </span>
  );
}

function Period({ b }: { b: BudgetView }) {
  if (b.period_end === null)
    return (
      <>
        total<span class="sub">never resets</span>
      </>
    );
  return (
    <>
      {b.period}
      <span class="sub nowrap">resets {date(b.period_end)}</span>
    </>
  );
}

export function Budgets({ range }: { range: RangeName }) {
  const r = useMemo(() => bounds(range), [range]);
  const budgets = useApi<BudgetsResponse>('/api/budgets');
  const keys = useApi<KeysResponse>('/api/keys');
  const teams = useApi<TeamsResponse>('/api/teams');
  const series = useApi<TimeseriesResponse>(apiPath('/api/timeseries', { bucket: r.bucket, group_by: 'key', top: CHART_KEYS, from: r.from, to: r.to }));

  const keyNames = useMemo(() => new Map((keys.data?.data ?? []).map((k) => [k.id, k.name])), [keys.data]);
  const teamNames = useMemo(() => new Map((teams.data?.data ?? []).map((t) => [t.id, t.name])), [teams.data]);

  const chart = useMemo(() => {
    const d = series.data?.data ?? [];
    const totals = new Map<string, number>();
    for (const p of d) for (const [k, m] of Object.entries(p.by)) totals.set(k, (totals.get(k) ?? 0) + Number(m.cost_usd));
    const ranked = [...totals.entries()].filter(([k, v]) => k !== OTHER && v > 0).sort((a, b) => b[1] - a[1]);
    const lines: Series[] = ranked.map(([k], i) => ({
      label: keyNames.get(k) ?? k,
      values: d.map((p) => Number(p.by[k]?.cost_usd ?? 0)),
      color: PALETTE[i % PALETTE.length]!,
    }));
    const others = (totals.get(OTHER) ?? 0) > 0;
    if (others) lines.push({ label: 'other keys', values: d.map((p) => Number(p.by[OTHER]?.cost_usd ?? 0)), color: PALETTE[8]! });
    return { t: d.map((p) => p.t), lines, others };
  }, [series.data, keyNames]);

  if (budgets.error !== undefined) return <ErrorNote message={budgets.error} />;
  if (!budgets.data) return <Loading />;
  const now = Date.now();
  const all = budgets.data.data;
  const nearly = all.filter((b) => b.used >= 0.8).length;
  const early = all.filter((b) => !isSpent(b) && b.runs_out_at !== null).length;
  const spent = all.filter(isSpent).length;

  const name = (subject: string) => {
    const s = subjectOf(subject);
    const named = s.kind === 'key' ? keyNames.get(s.id) : s.kind === 'team' ? teamNames.get(s.id) : undefined;
    return { kind: s.kind, id: s.id, label: named ?? s.id, named: named !== undefined };
  };

  return (
    <div class="page">
      <h1>Budgets</h1>
      {all.length === 0 ? (
        <Empty testId="budgets-empty">
          <p>
            <strong>No budgets yet.</strong> Give a key or a team a budget on the <Link to="/keys">Keys</Link> page, or set tag budgets in the configuration (
            <code>governance.tagBudgets</code>).
          </p>
        </Empty>
      ) : (
        <>
          <div class="stats">
            <Stat label="Budgets" value={count(all.length)} testId="budgets-count" />
            <Stat label="80% or more spent" value={count(nearly)} tone={nearly > 0 ? 'bad' : 'good'} testId="budgets-nearly" />
            <Stat
              label="Run out at the current rate"
              value={count(early)}
              note="before their period ends (at the last 24 hours' rate)"
              tone={early > 0 ? 'bad' : 'good'}
              testId="budgets-early"
            />
            <Stat
              label="Spent"
              value={count(spent)}
              note="requests under them are refused or downgraded"
              tone={spent > 0 ? 'bad' : 'good'}
              testId="budgets-spent"
            />
          </div>
          <Card title="Every budget, tightest first" wide testId="budgets">
            <div class="scroll">
              <table class="table" data-testid="budgets-table">
                <thead>
                  <tr>
                    <th>budget of</th>
                    <th class="hide-sm">period</th>
                    <th>spent of limit</th>
                    <th class="num">reserved</th>
                    <th class="num">remaining</th>
                    <th class="num">burn a day</th>
                    <th>runs out</th>
                  </tr>
                </thead>
                <tbody>
                  {all.map((b) => {
                    const n = name(b.subject);
                    return (
                      <tr key={`${b.subject}|${b.window}`} data-subject={b.subject} data-period={b.period}>
                        <td class="clip" title={b.subject}>
                          <span data-testid="budget-name">{n.label}</span>
                          <span class="sub">
                            {n.kind}
                            {n.named && <span class="mono"> · {n.id}</span>}
                          </span>
                        </td>
                        <td class="hide-sm">
                          <Period b={b} />
                        </td>
                        <td>
                          <Meter used={b.used} spent={b.spent_usd} limit={b.limit_usd} />
                        </td>
                        <td class="num">
                          <Usd value={b.reserved_usd} testId="budget-reserved" />
                        </td>
                        <td class="num">
                          <Usd value={b.remaining_usd} testId="budget-remaining" />
                        </td>
                        <td class="num">
                          <Usd value={b.burn_usd_per_day} testId="budget-burn" />
                        </td>
                        <td>
                          <RunsOut b={b} now={now} />
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <p class="hint">
              Reserved is held by requests in flight (their worst case) until they settle at their exact cost. The burn rate is the spend of the last 24 hours;
              a budget runs out when the remaining amount is gone at that rate.
            </p>
          </Card>
        </>
      )}
      <div class="grid">
        <Card title="Spend per key over time" wide testId="key-spend">
          {series.error !== undefined ? (
            <ErrorNote message={series.error} />
          ) : !series.data ? (
            <Loading />
          ) : chart.lines.length === 0 ? (
            <Empty testId="key-spend-empty">No spend in this range.</Empty>
          ) : (
            <>
              <TimeChart t={chart.t} series={chart.lines} format={usd} testId="chart-key-spend" />
              <p class="hint">
                Spend per {r.bucket} in the chosen range
                {chart.others && `; the ${count(CHART_KEYS)} costliest keys on their own, the others summed`}.
              </p>
            </>
          )}
        </Card>
      </div>
    </div>
  );
}

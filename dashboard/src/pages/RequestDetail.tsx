// One ledger row: what was asked and what served, why, the tokens by class, what it cost against
// its baseline, every upstream attempt, and the billed sub-calls made for it.
import type { ComponentChildren } from 'preact';
import { apiPath, useApi } from '../api.js';
import { count, dateTime, ms, usd } from '../format.js';
import type { LedgerRowJson, RequestDetailResponse } from '../types.js';
import { Link } from '../router.js';
import { Card, ErrorNote, Loading, Usd } from '../components/ui.js';

function Field(props: { label: string; children: ComponentChildren; testId?: string }) {
  return (
    <>
      <dt>{props.label}</dt>
      <dd data-testid={props.testId}>{props.children}</dd>
    </>
  );
}

function Tokens({ r }: { r: LedgerRowJson }) {
  const classes: Array<[string, number]> = [
    ['input', r.inputTokens],
    ['cache read', r.cacheReadTokens],
    ['cache write 5m', r.cacheWrite5mTokens],
    ['cache write 1h', r.cacheWrite1hTokens],
    ['output', r.outputTokens],
    ['of which reasoning', r.reasoningTokens],
  ];
  return (
    <table class="table" data-testid="tokens">
      <tbody>
        {classes.map(([label, n]) => (
          <tr key={label}>
            <td>{label}</td>
            <td class="num">{count(n)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function RequestDetail({ id }: { id: string }) {
  const r = useApi<RequestDetailResponse>(apiPath(`/api/requests/${encodeURIComponent(id)}`, {}));
  if (r.error)
    return (
      <div class="page">
        <Link to="/requests">← Requests</Link>
        <ErrorNote message={r.error} />
      </div>
    );
  if (!r.data) return <Loading />;
  const d = r.data;
  return (
    <div class="page" data-testid="request-detail">
      <Link to="/requests">← Requests</Link>
      <h1 class="mono clip">{d.requestId}</h1>
      <div class="grid">
        <Card title="What happened">
          <dl class="fields">
            <Field label="time">{dateTime(d.ts)}</Field>
            <Field label="requested model" testId="requested-model">
              {d.requestedModel}
            </Field>
            <Field label="served model" testId="served-model">
              {d.servedModel} <span class="muted">({d.provider})</span>
            </Field>
            <Field label="route" testId="route">
              <code>{d.route}</code>
            </Field>
            <Field label="technique">{d.technique ?? 'served as asked'}</Field>
            <Field label="response cache" testId="cache">
              {d.cache ?? 'not consulted'}
            </Field>
            <Field label="status">
              {d.status}
              {d.errorKind ? ` (${d.errorKind})` : ''}
            </Field>
            <Field label="latency">
              {ms(d.latencyMs)}
              {d.stream ? ', streamed' : ''}
            </Field>
            <Field label="caller">
              {d.ingress} · {d.endpoint} · key {d.keyId} · tenant {d.tenant}
            </Field>
            {d.tags.length > 0 && <Field label="tags">{d.tags.join(', ')}</Field>}
            {d.parentId !== null && (
              <Field label="sub-call of">
                <Link to={`/requests/${encodeURIComponent(d.parentId)}`}>{d.parentId}</Link>
              </Field>
            )}
          </dl>
        </Card>
        <Card title="Cost">
          <dl class="fields">
            <Field label="cost" testId="detail-cost">
              <Usd value={d.cost_usd} />
            </Field>
            <Field label="baseline" testId="detail-baseline">
              <Usd value={d.baseline_usd} />
            </Field>
            <Field label="prompt caching saved">
              <Usd value={d.prompt_cache_saving_usd} />
            </Field>
            {d.sub_calls.length > 0 && (
              <Field label="with sub-calls">
                <Usd value={d.total_cost_usd} />
              </Field>
            )}
            <Field label="net saving" testId="detail-saving">
              <Usd value={d.net_saving_usd} />
            </Field>
          </dl>
        </Card>
        <Card title="Tokens">
          <Tokens r={d} />
        </Card>
        {d.attempts !== null && d.attempts.length > 0 && (
          <Card title="Upstream attempts" testId="attempts">
            <table class="table">
              <thead>
                <tr>
                  <th>deployment</th>
                  <th class="num">status</th>
                  <th>error</th>
                  <th class="num">time</th>
                </tr>
              </thead>
              <tbody>
                {d.attempts.map((a, i) => (
                  <tr key={i}>
                    <td class="mono clip">{a.deployment}</td>
                    <td class="num">{a.status}</td>
                    <td>{a.error ?? ''}</td>
                    <td class="num">{ms(a.ms)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        )}
        {d.sub_calls.length > 0 && (
          <Card title="Billed sub-calls" wide testId="sub-calls">
            <table class="table">
              <thead>
                <tr>
                  <th>id</th>
                  <th>model</th>
                  <th class="hide-sm">route</th>
                  <th class="num">tokens in/out</th>
                  <th class="num">cost</th>
                </tr>
              </thead>
              <tbody>
                {d.sub_calls.map((s) => (
                  <tr key={s.requestId}>
                    <td class="mono clip">
                      <Link to={`/requests/${encodeURIComponent(s.requestId)}`}>{s.requestId}</Link>
                    </td>
                    <td>{s.servedModel}</td>
                    <td class="mono clip hide-sm">{s.route}</td>
                    <td class="num">
                      {count(s.inputTokens)} / {count(s.outputTokens)}
                    </td>
                    <td class="num" title={s.cost_usd}>
                      {usd(s.cost_usd)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        )}
      </div>
    </div>
  );
}

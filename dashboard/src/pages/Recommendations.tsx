// The right-sizing advisor (GET /api/advice): cheaper models vouched for by shadow evaluation and
// batchable tags, each with its monthly saving, its evidence and the rule to paste into the config.
import { apiPath, useApi } from '../api.js';
import { count, pct, usd } from '../format.js';
import type { AdviceModelEvidence, AdviceRecommendation, AdviceResponse } from '../types.js';
import { Badge, Card, Empty, ErrorNote, Loading } from '../components/ui.js';

const KIND_LABEL: Record<AdviceRecommendation['kind'], string> = {
  model: 'cheaper model',
  batch: 'batch',
  prompt_cache: 'prompt caching',
  response_cache: 'response cache',
  max_tokens: 'max_tokens',
};

/** Graded pairs (POST /api/feedback or `advise --grades`): the measured accuracy loss and its interval. */
function gradedText(g: NonNullable<AdviceModelEvidence['graded']>): string {
  return ` · graded: ${count(g.pairs)} pairs, accuracy loss ${pct(g.accuracy_loss)} (${pct(g.interval[0])}–${pct(g.interval[1])})`;
}

export function Recommendations() {
  const r = useApi<AdviceResponse>(apiPath('/api/advice', { days: 30 }));
  if (r.error) return <ErrorNote message={r.error} />;
  if (!r.data) return <Loading />;
  const d = r.data;
  return (
    <div class="page">
      <h1>Recommendations</h1>
      <p class="hint">
        Last {d.window.days} days of the ledger. A cheaper model is proposed only where shadow evaluation (<code>advisor.shadow</code>) shows its answers agree
        with the served ones closely enough, and, where answers were graded (<code>POST /api/feedback</code>), that it loses little accuracy; savings are the
        window's token counts repriced and scaled to 30 days.
      </p>
      {d.recommendations.length === 0 ? (
        <Empty testId="no-recommendations">No recommendation yet: turn on advisor.shadow to collect evidence for cheaper models.</Empty>
      ) : (
        d.recommendations.map((x) => (
          <Card
            key={`${x.kind}:${x.scope}:${x.recommended_model}`}
            title={x.current_model === x.recommended_model ? `${x.scope}: ${x.current_model}` : `${x.scope}: ${x.current_model} → ${x.recommended_model}`}
            wide
            testId="recommendation"
          >
            <p>
              <Badge tone="good">{KIND_LABEL[x.kind]}</Badge>{' '}
              {x.kind === 'max_tokens' ? (
                'a note, no saving at current traffic'
              ) : (
                <>
                  saves <strong>{usd(x.monthly_saving_usd)}</strong> a month
                </>
              )}{' '}
              · {count(x.evidence.requests)} requests · {usd(x.evidence.current_cost_usd)} → {usd(x.evidence.repriced_cost_usd)}
              {x.evidence.model
                ? ` · agreement ${pct(x.evidence.model.agreement)} (${pct(x.evidence.model.interval[0])}–${pct(x.evidence.model.interval[1])})`
                : ''}
              {x.evidence.model?.graded ? <span data-testid="graded">{gradedText(x.evidence.model.graded)}</span> : null}
            </p>
            <p class="hint">{x.evidence.note}</p>
            <pre data-testid="rule">{x.rule}</pre>
          </Card>
        ))
      )}
      {d.rejected.length > 0 && (
        <Card title="Measured and turned down" wide testId="rejected">
          <div class="scroll">
            <table class="table">
              <thead>
                <tr>
                  <th>scope</th>
                  <th>current</th>
                  <th>candidate</th>
                  <th class="num">samples</th>
                  <th>why not</th>
                </tr>
              </thead>
              <tbody>
                {d.rejected.map((x) => (
                  <tr key={`${x.scope}:${x.current_model}:${x.candidate_model}`}>
                    <td class="clip">{x.scope}</td>
                    <td class="clip">{x.current_model}</td>
                    <td class="clip">{x.candidate_model}</td>
                    <td class="num">{count(x.evidence.shadow_samples)}</td>
                    <td>
                      {x.reason}
                      {x.evidence.graded ? gradedText(x.evidence.graded) : ''}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Card>
      )}
    </div>
  );
}

// Paste a prompt (or a whole OpenAI / Anthropic request body) and see what it costs on every model.
import { useState } from 'preact/hooks';
import { api, AuthError, errorMessage } from '../api.js';
import { count } from '../format.js';
import type { EstimateRequest, EstimateResponse } from '../types.js';
import { ErrorNote, Usd } from '../components/ui.js';

export function Estimator() {
  const [prompt, setPrompt] = useState('');
  const [output, setOutput] = useState('');
  const [result, setResult] = useState<EstimateResponse | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body: EstimateRequest = { prompt };
      if (output.trim() !== '') body.output_tokens = Number(output);
      setResult(await api<EstimateResponse>('/api/estimate', { method: 'POST', body: JSON.stringify(body) }));
    } catch (err) {
      if (!(err instanceof AuthError)) setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const cheapest = Number(result?.models[0]?.cost_usd ?? 0);
  return (
    <div class="page">
      <h1>Cost estimator</h1>
      <form class="estimator" onSubmit={(e) => void submit(e)}>
        <label>
          <span>Prompt, or a request body as JSON</span>
          <textarea
            rows={8}
            value={prompt}
            onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)}
            placeholder="Summarise our refund policy in three bullet points."
            data-testid="estimate-prompt"
            required
          />
        </label>
        <div class="row">
          <label>
            <span>Output tokens</span>
            <input
              type="number"
              min={0}
              inputMode="numeric"
              placeholder="max_tokens, up to 500"
              value={output}
              onInput={(e) => setOutput((e.target as HTMLInputElement).value)}
              data-testid="estimate-output"
            />
          </label>
          <button type="submit" disabled={busy || prompt.trim() === ''} data-testid="estimate-submit">
            Estimate
          </button>
        </div>
      </form>
      {error !== undefined && <ErrorNote message={error} />}
      {result && (
        <div class="scroll">
          <table class="table" data-testid="estimate-table">
            <thead>
              <tr>
                <th>model</th>
                <th class="hide-sm">provider</th>
                <th class="hide-sm">tier</th>
                <th class="num">input</th>
                <th class="num">output</th>
                <th class="num">cost</th>
                <th class="num">× cheapest</th>
              </tr>
            </thead>
            <tbody>
              {result.models.map((m) => (
                <tr key={m.model} data-model={m.model}>
                  <td>{m.model}</td>
                  <td class="hide-sm">{m.provider}</td>
                  <td class="hide-sm">{m.tier ?? ''}</td>
                  <td class="num">
                    {count(m.input_tokens)}
                    {m.estimated_tokens ? '*' : ''}
                  </td>
                  <td class="num">{count(m.output_tokens)}</td>
                  <td class="num">
                    <Usd value={m.cost_usd} />
                  </td>
                  <td class="num">{cheapest > 0 ? `${(Number(m.cost_usd) / cheapest).toFixed(1)}×` : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="hint">* counted with an OpenAI tokenizer: the provider's own tokenizer is not public, so the count is an estimate.</p>
        </div>
      )}
    </div>
  );
}

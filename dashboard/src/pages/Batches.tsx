// Batch jobs from GET /api/batches, newest first, with their estimate and progress; a batch waiting
// for approval can be approved here (POST /api/batches/{id}/approve). A gateway that does not run
// batch processing answers /api/batches with a 503.
import { useState } from 'preact/hooks';
import { api, AuthError, errorMessage, useApi } from '../api.js';
import { count, dateTime, pct } from '../format.js';
import type { BatchDetailResponse, BatchesResponse, BatchSummary } from '../types.js';
import { Card, Empty, ErrorNote, Loading, Usd } from '../components/ui.js';

function Approve(props: { batch: BatchSummary; onDone: () => void; onError: (message: string) => void }) {
  const [busy, setBusy] = useState(false);
  async function approve() {
    setBusy(true);
    try {
      await api<BatchDetailResponse>(`/api/batches/${encodeURIComponent(props.batch.id)}/approve`, { method: 'POST', body: '{}' });
      props.onDone();
    } catch (err) {
      if (!(err instanceof AuthError)) props.onError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <button type="button" onClick={() => void approve()} disabled={busy} data-testid="approve">
      Approve
    </button>
  );
}

export function Batches() {
  const b = useApi<BatchesResponse>('/api/batches');
  const [error, setError] = useState<string | undefined>();
  if (b.errorStatus === 503)
    return (
      <div class="page">
        <h1>Batches</h1>
        <Empty testId="batches-empty">
          <p>
            <strong>Batch processing is not running in this gateway.</strong>
          </p>
          <p>When it is, deferred and batched requests show here with their estimate, approval and progress.</p>
        </Empty>
      </div>
    );
  if (b.error) return <ErrorNote message={b.error} />;
  if (!b.data) return <Loading />;
  return (
    <div class="page">
      <h1>Batches</h1>
      {error !== undefined && <ErrorNote message={error} />}
      {b.data.data.length === 0 ? (
        <Empty testId="batches-empty">No batches yet. Submit one through the OpenAI or Anthropic batch API of the gateway.</Empty>
      ) : (
        <Card title="Batches" wide>
          <div class="scroll">
            <table class="table" data-testid="batches-table">
              <thead>
                <tr>
                  <th>batch</th>
                  <th>status</th>
                  <th>model</th>
                  <th class="num">requests</th>
                  <th class="num">progress</th>
                  <th class="num">estimate</th>
                  <th class="hide-sm">created</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {b.data.data.map((x) => (
                  <tr key={x.id} data-batch={x.id}>
                    <td class="mono clip">{x.id}</td>
                    <td>{x.status}</td>
                    <td class="clip">{x.model}</td>
                    <td class="num">{count(x.requests)}</td>
                    <td class="num">{x.requests > 0 ? pct(x.completed / x.requests) : '–'}</td>
                    <td class="num">
                      <Usd value={x.estimate_usd} />
                    </td>
                    <td class="hide-sm nowrap">{dateTime(x.created_at)}</td>
                    <td>{x.status === 'awaiting_approval' && <Approve batch={x} onDone={b.reload} onError={setError} />}</td>
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

// Answer quality of one policy's replay of an outcome file: for every request, the label of the
// recorded model whose answer was actually served (the served model from the request's ledger row,
// mapped through `emulator.outcomes.models`; a cascade's row names the step that answered). Missing
// labels, unmapped models and failed requests score 0, as in `router eval`. Costs per tag are exact
// ledger sums: the request's own row plus its billed sub-calls (rejected cascade steps, judges).
import { formatUsd } from '../cost/money.js';
import type { LedgerRow } from '../storage/types.js';
import type { SentRequest } from './run.js';
import type { OutcomeLabels } from './types.js';

export interface TagQuality {
  tag: string;
  requests: number;
  accuracy: number;
  cost_usd: string;
  baseline_usd: string;
}

export interface PolicyQuality {
  /** Mean label of the served answers over every request sent. */
  accuracy: number;
  /** Requests whose served answer had a label (the rest scored 0: failed, unmapped model or missing label). */
  scored: number;
  /** Requests per recorded model whose answer was served (`(none)`: failed or unmapped). */
  served: Record<string, number>;
  by_tag: TagQuality[];
}

export interface QualityInput {
  labels: OutcomeLabels;
  sent: readonly SentRequest[];
  rows: readonly LedgerRow[];
  /** Catalog model → recorded model. */
  models: Readonly<Record<string, string>>;
}

interface TagSum {
  n: number;
  score: number;
  cost: bigint;
  baseline: bigint;
}

export function policyQuality(q: QualityInput): PolicyQuality {
  const own = new Map<string, LedgerRow>();
  const subCost = new Map<string, bigint>();
  // Sub-calls have no baseline, except shadow evaluation's, whose baseline equals its cost: neutral.
  const subBaseline = new Map<string, bigint>();
  for (const r of q.rows) {
    if (r.parentId === null) own.set(r.requestId, r);
    else {
      subCost.set(r.parentId, (subCost.get(r.parentId) ?? 0n) + BigInt(r.costPico));
      subBaseline.set(r.parentId, (subBaseline.get(r.parentId) ?? 0n) + BigInt(r.baselinePico));
    }
  }
  const tags = new Map<string, TagSum>();
  const served: Record<string, number> = {};
  let total = 0;
  let scored = 0;
  for (const s of q.sent) {
    const labels = q.labels.rows.get(s.line);
    if (!labels) continue;
    const row = s.requestId ? own.get(s.requestId) : undefined;
    const recorded = row ? recordedModel(row.servedModel, q) : undefined;
    const col = recorded === undefined ? -1 : q.labels.models.indexOf(recorded);
    const label = col < 0 ? null : (labels.scores[col] ?? null);
    served[recorded ?? '(none)'] = (served[recorded ?? '(none)'] ?? 0) + 1;
    if (label !== null) scored++;
    const t = tags.get(labels.tag) ?? tags.set(labels.tag, { n: 0, score: 0, cost: 0n, baseline: 0n }).get(labels.tag)!;
    t.n++;
    t.score += label ?? 0;
    total += label ?? 0;
    if (row) {
      t.cost += BigInt(row.costPico) + (subCost.get(row.requestId) ?? 0n);
      t.baseline += BigInt(row.baselinePico) + (subBaseline.get(row.requestId) ?? 0n);
    }
  }
  const n = q.sent.filter((s) => q.labels.rows.has(s.line)).length;
  return {
    accuracy: n ? total / n : 0,
    scored,
    served,
    by_tag: [...tags.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([tag, t]) => ({ tag, requests: t.n, accuracy: t.score / t.n, cost_usd: formatUsd(t.cost), baseline_usd: formatUsd(t.baseline) })),
  };
}

/** The recorded model a served catalog model plays; a served name that is itself recorded plays itself. */
function recordedModel(served: string, q: QualityInput): string | undefined {
  return q.models[served] ?? (q.labels.models.includes(served) ? served : undefined);
}

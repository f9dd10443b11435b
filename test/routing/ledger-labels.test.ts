// Which ledger rows label which (prompt, model): datasetFromLedger on hand-written rows of the shapes
// the pipeline writes (a request, its shadow call, a cascade's rejected step and judge call).
import { describe, expect, it } from 'vitest';
import { datasetFromLedger, NotEnoughLabels } from '../../src/routing/learned/ledger-labels.js';
import type { LedgerRow } from '../../src/storage/types.js';
import { row } from '../storage/support.js';

const PICO = 1e12;

function request(id: string, served: string, route: string, tags: string[] = []): LedgerRow {
  return row({ requestId: id, servedModel: served, route, tags, costPico: 3_000_000, parentId: null });
}

function sub(parent: string, suffix: string, served: string, route: string, technique: string): LedgerRow {
  return row({ requestId: `${parent}.${suffix}`, parentId: parent, servedModel: served, route, technique, costPico: 1_000_000 });
}

describe('datasetFromLedger', () => {
  const rows: LedgerRow[] = [
    // accepted from Haiku: Haiku 1 by the verdict; feedback grades nothing else
    request('a', 'haiku', 'cascade:c:accepted->haiku', ['faq']),
    // escalated: Haiku 0 by the verdict, overridden by feedback on the step (a reviewer found it right)
    request('b', 'sonnet', 'rule:r; cascade:c:escalated->sonnet'),
    sub('b', 'step1', 'haiku', 'rule:r; cascade:c:rejected(score_band)->haiku', 'cascade'),
    sub('b', 'judge1', 'mini', 'cascade:c:judge->mini', 'cascade'),
    // shadowed: agreement alone is no label
    request('c', 'sonnet', 'requested'),
    sub('c', 'shadow-haiku', 'haiku', 'shadow:sonnet->haiku:agree(choice)', 'shadow'),
    // shadowed and graded on both answers
    request('d', 'sonnet', 'requested'),
    sub('d', 'shadow-haiku', 'haiku', 'shadow:sonnet->haiku:disagree(choice)', 'shadow'),
    sub('d', 'shadow-opus', 'opus', 'shadow:sonnet->opus:agree(choice)', 'shadow'),
  ];
  const prompts = ['a', 'b', 'c', 'd'].map((id) => ({ requestId: id, text: `prompt ${id}` }));
  const feedback = [
    { requestId: 'a', score: 0.25 },
    { requestId: 'b', score: 1 },
    { requestId: 'b.step1', score: 1 },
    { requestId: 'b.judge1', score: 1 },
    { requestId: 'd', score: 1 },
    { requestId: 'd.shadow-haiku', score: 0 },
    { requestId: 'd.shadow-opus', score: 0.5 },
    { requestId: 'gone', score: 1 },
  ];

  it('labels from verdicts and feedback, feedback first; prompts with two or more labels only', () => {
    const { dataset, stats } = datasetFromLedger({ rows, prompts, feedback }, { minPrompts: 1 });
    expect(dataset.models).toEqual(['haiku', 'opus', 'sonnet']);
    expect(dataset.rows).toEqual([
      { prompt: 'prompt b', group: 'ledger', scores: [1, null, 1], costs: [1_000_000 / PICO, null, 3_000_000 / PICO] },
      { prompt: 'prompt d', group: 'ledger', scores: [0, 0.5, 1], costs: [1_000_000 / PICO, 1_000_000 / PICO, 3_000_000 / PICO] },
    ]);
    // a: the verdict's 1 replaced by the feedback's 0.25, but Haiku's is its only label.
    expect(stats).toEqual({ feedbackLabels: 6, cascadeLabels: 2, feedbackUnmatched: 2, labelledRequests: 3, withPrompt: 3, prompts: 2 });
  });

  it('routes among the candidates asked for', () => {
    const { dataset } = datasetFromLedger({ rows, prompts, feedback }, { minPrompts: 1, candidates: ['sonnet', 'opus'] });
    expect(dataset.models).toEqual(['sonnet', 'opus']);
    expect(dataset.rows.map((r) => [r.prompt, r.scores])).toEqual([['prompt d', [1, 0.5]]]);
  });

  it('a request without a captured prompt is left out', () => {
    const { stats } = datasetFromLedger({ rows, prompts: prompts.filter((p) => p.requestId !== 'd'), feedback }, { minPrompts: 1 });
    expect(stats).toMatchObject({ labelledRequests: 3, withPrompt: 2, prompts: 1 });
  });

  it('refuses below the minimum, saying what it found', () => {
    expect(() => datasetFromLedger({ rows, prompts, feedback }, { minPrompts: 3 })).toThrow(NotEnoughLabels);
    expect(() => datasetFromLedger({ rows, prompts, feedback }, { minPrompts: 3 })).toThrow(
      /^the ledger has 2 prompts with labels for two or more models \(need at least 3\): 3 labelled requests \(6 feedback labels, 2 cascade verdicts\), 3 with a captured prompt/,
    );
  });
});

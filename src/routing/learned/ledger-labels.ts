// Outcome data from the deployment's own labels, for `costwise router train --from-ledger`. A label
// is a score of one model's answer to one captured prompt:
//
// - feedback (POST /api/feedback) on a request's own row labels the model that served it; on a
//   shadow row (`<id>.shadow-<model>`) or a cascade's rejected step (`<id>.step<n>`), the model
//   that answered there;
// - a cascade's verdict: an accepted cheap answer is 1 for the model that gave it, a rejected one
//   (the step's sub-call row) 0 for its model. Feedback on the same answer overrides the verdict.
//
// Shadow agreement alone is no label: two models can agree and both be wrong. A prompt enters the
// data when it has labels for two or more candidates, so every row compares models on the same
// prompt (the trainer's default-knob choice reads a missing label as a wrong answer). A label's
// cost is its row's, in USD.
import type { LedgerRow } from '../../storage/types.js';
import type { OutcomeDataset, OutcomeRow } from './data.js';

export interface LedgerLabelInput {
  /** The window's ledger rows, sub-calls included. */
  rows: Iterable<LedgerRow>;
  prompts: readonly { requestId: string; text: string }[];
  feedback: readonly { requestId: string; score: number }[];
}

export interface LedgerDatasetOptions {
  /** Refuse (throw) below this many prompts with two or more labelled candidates. */
  minPrompts: number;
  /** Route among these models only (default: every model with a label). */
  candidates?: readonly string[];
}

export interface LedgerLabelStats {
  /** Labels by source, before prompts are matched. */
  feedbackLabels: number;
  cascadeLabels: number;
  /** Feedback whose request id is not in the window (or labels no model's answer, e.g. a judge call). */
  feedbackUnmatched: number;
  /** Requests with a label. */
  labelledRequests: number;
  /** … and a captured prompt. */
  withPrompt: number;
  /** … and labels for two or more candidates: the dataset's rows. */
  prompts: number;
}

/** Thrown when the ledger holds too few labelled prompts to train on; the message says what is missing. */
export class NotEnoughLabels extends Error {
  override readonly name = 'NotEnoughLabels';
  constructor(
    message: string,
    readonly stats: LedgerLabelStats,
  ) {
    super(message);
  }
}

const SHADOW_TECHNIQUE = 'shadow'; // pipeline/shadow.ts's rows (advisor/shadow-route.ts names it)
const ACCEPTED = /(?:^|; )cascade:[A-Za-z0-9_.-]+:accepted->/;
const REJECTED = /(?:^|; )cascade:[A-Za-z0-9_.-]+:rejected\(/;

interface Label {
  score: number;
  costUsd: number;
  fromFeedback: boolean;
}

export function datasetFromLedger(input: LedgerLabelInput, opts: LedgerDatasetOptions): { dataset: OutcomeDataset; stats: LedgerLabelStats } {
  const byId = new Map<string, LedgerRow>();
  /** Request id → model → label. */
  const labels = new Map<string, Map<string, Label>>();
  const put = (request: string, model: string, label: Label): void => {
    const of = labels.get(request) ?? labels.set(request, new Map()).get(request)!;
    const had = of.get(model);
    if (had?.fromFeedback && !label.fromFeedback) return;
    of.set(model, label);
  };
  const usd = (r: LedgerRow): number => r.costPico / 1e12;
  let cascadeLabels = 0;
  for (const r of input.rows) {
    byId.set(r.requestId, r);
    if (r.servedModel === '') continue;
    if (r.parentId === null && r.status === 200 && ACCEPTED.test(r.route)) {
      put(r.requestId, r.servedModel, { score: 1, costUsd: usd(r), fromFeedback: false });
      cascadeLabels++;
    } else if (r.parentId !== null && REJECTED.test(r.route)) {
      put(r.parentId, r.servedModel, { score: 0, costUsd: usd(r), fromFeedback: false });
      cascadeLabels++;
    }
  }
  let feedbackLabels = 0;
  let feedbackUnmatched = 0;
  for (const f of input.feedback) {
    const r = byId.get(f.requestId);
    const request = r && answerOf(r);
    if (!r || request === undefined) {
      feedbackUnmatched++;
      continue;
    }
    put(request, r.servedModel, { score: f.score, costUsd: usd(r), fromFeedback: true });
    feedbackLabels++;
  }

  const text = new Map(input.prompts.map((p) => [p.requestId, p.text]));
  const seen = new Set<string>();
  for (const of of labels.values()) for (const m of of.keys()) seen.add(m);
  const models = opts.candidates ? [...opts.candidates] : [...seen].sort();
  const rows: OutcomeRow[] = [];
  let withPrompt = 0;
  for (const [request, of] of labels) {
    const prompt = text.get(request);
    if (prompt === undefined) continue;
    withPrompt++;
    const cells = models.map((m) => of.get(m));
    if (cells.filter((c) => c !== undefined).length < 2) continue;
    rows.push({
      prompt,
      group: byId.get(request)?.tags[0] ?? 'ledger',
      scores: cells.map((c) => c?.score ?? null),
      costs: cells.map((c) => c?.costUsd ?? null),
    });
  }
  const stats: LedgerLabelStats = { feedbackLabels, cascadeLabels, feedbackUnmatched, labelledRequests: labels.size, withPrompt, prompts: rows.length };
  if (models.length < 2 || rows.length < opts.minPrompts) {
    throw new NotEnoughLabels(
      `the ledger has ${rows.length} prompts with labels for two or more ${opts.candidates ? 'of the candidates' : 'models'} (need at least ${opts.minPrompts}): ` +
        `${stats.labelledRequests} labelled requests (${feedbackLabels} feedback labels, ${cascadeLabels} cascade verdicts), ${withPrompt} with a captured prompt. ` +
        'Turn on routing.learn.capturePrompts with advisor.shadow or a cascade router, and post scores of served and shadow answers to POST /api/feedback.',
      stats,
    );
  }
  return { dataset: { models, rows }, stats };
}

/** The request whose prompt a feedback row's answer answered: its own, a shadow's or a rejected step's parent; undefined for other rows. */
function answerOf(r: LedgerRow): string | undefined {
  if (r.servedModel === '') return undefined;
  if (r.parentId === null) return r.status === 200 ? r.requestId : undefined;
  return r.technique === SHADOW_TECHNIQUE || REJECTED.test(r.route) ? r.parentId : undefined;
}

// Labels a deployment gives itself, kept in the ledger's database beside the rows they label:
// feedback scores by ledger request id (POST /api/feedback), and, opt-in, the text the learned
// router reads of requests that get a label source (routing.learn.capturePrompts). The advisor reads
// the scores as grades; `costwise router train --from-ledger` reads both.

export interface Feedback {
  /** A ledger request id: a request's own (its served answer) or a sub-call's (`<id>.shadow-<model>`). */
  requestId: string;
  /** 0 (wrong) to 1 (right). */
  score: number;
  comment: string | null;
  /** Epoch ms when the score was given. */
  ts: number;
}

export interface CapturedPrompt {
  requestId: string;
  /** Epoch ms when the request arrived (its ledger row's ts). */
  ts: number;
  /** What the learned router reads of the request: its last user message's text. */
  text: string;
}

/** Reading the labels (`costwise advise`, `router train --from-ledger`, GET /api/advice). */
export interface LabelReader {
  /** Scores given at or after `from` (epoch ms). */
  feedback(from: number): Promise<Feedback[]>;
  /** Prompts of requests that arrived at or after `from`. */
  prompts(from: number): Promise<CapturedPrompt[]>;
  close(): Promise<void>;
}

export interface LabelStore extends LabelReader {
  /** All of them or none (one transaction); a request id's later score replaces its earlier one. */
  putFeedback(items: readonly Feedback[]): Promise<void>;
  /** Queued and written in batches off the request path; never throws. A request id's first capture stays. */
  capturePrompt(p: CapturedPrompt): void;
  /** Writes the queued prompts. */
  flush(): Promise<void>;
}

/** The last score of each request id, in first-seen order: one statement never touches a row twice. */
export function lastPerRequest(items: readonly Feedback[]): Feedback[] {
  const byId = new Map<string, Feedback>();
  for (const f of items) byId.set(f.requestId, f);
  return [...byId.values()];
}

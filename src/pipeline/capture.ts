// Prompt capture for `costwise router train --from-ledger` (routing.learn.capturePrompts): the text
// the learned router reads of an answered request is stored when the request gets a label source
// (shadowed: its shadow rows can be graded; cascaded: the cascade's verdict labels its cheap step),
// or when it is in the `sample` share of the rest (its feedback can label it). Settle calls it after
// the answer went out; the store writes in batches.
import type { CapturedPrompt } from '../storage/labels/types.js';
import { featuresOf, type RequestContext } from './context.js';
import { CountSampler } from './count-sampler.js';

export interface PromptSink {
  capturePrompt(p: CapturedPrompt): void;
}

export class PromptCapture {
  private readonly sampler: CountSampler;

  constructor(
    sample: number,
    private readonly sink: PromptSink,
  ) {
    this.sampler = new CountSampler(sample);
  }

  /** `shadowed`: the shadow evaluator sent this request to its candidates. */
  observe(ctx: RequestContext, shadowed: boolean): void {
    if (ctx.endpoint === '/v1/embeddings') return;
    const sampled = this.sampler.take();
    if (!shadowed && ctx.cascade === undefined && !sampled) return;
    // PostgreSQL text cannot hold NUL; the router's features never read it.
    const text = featuresOf(ctx).lastUserText.replaceAll('\u0000', '');
    if (text === '') return;
    this.sink.capturePrompt({ requestId: ctx.requestId, ts: ctx.receivedAt, text });
  }
}

// The latency model: `ttftMs` before the first token, then `perTokenMs` per output token. With
// both at zero (the default) no timer is ever created.

export interface LatencyModel {
  ttftMs: number;
  perTokenMs: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref();
  });
}

/** Total time a non-streaming reply takes: first token plus every further token. */
export function totalDelayMs(model: LatencyModel, outputTokens: number, extraMs: number): number {
  return extraMs + model.ttftMs + model.perTokenMs * Math.max(0, outputTokens - 1);
}

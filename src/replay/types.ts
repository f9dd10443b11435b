// The trace the replayer works on, whatever file it came from: requests in arrival order, each able
// to produce the official-format HTTP request it stands for, plus the lines that could not be used.

export type TraceFormat = 'ledger' | 'openai-log' | 'azure' | 'mooncake' | 'outcomes';

/** A synthetic prompt text and what makes it again: `text === digitText(key, tokens)` (synth.ts). */
export interface SynthText {
  key: string;
  tokens: number;
  text: string;
  /** The JSON of the content part `{type: 'text', text}`, as UTF-8, when a cache already holds it. */
  part?: Buffer;
}

/** One HTTP request to the gateway, in a provider's own wire format. */
export interface WireRequest {
  path: '/v1/chat/completions' | '/v1/messages';
  /** The request body: JSON text, or its UTF-8 bytes. */
  body: string | Buffer;
  /** Extra request headers (`x-emulator-output-tokens`, `x-costwise-tenant`, …). */
  headers: Record<string, string>;
  /**
   * Prompt texts the emulator will count, and the model whose encoding counts them: the replay
   * counts them ahead of time in a worker thread (count-ahead.ts), which makes a synthetic text
   * again from its key rather than receive a copy. Absent for recorded bodies.
   */
  prompt?: { model: string; texts: readonly (string | SynthText)[] };
}

export interface TraceRequest {
  /** 1-based line (or array index for a JSON document) in the trace file. */
  line: number;
  /** Arrival time, epoch ms, on the simulated clock. */
  ts: number;
  /**
   * Built on demand: synthetic prompts can be large (a Mooncake request averages 15k tokens), so
   * a trace holds recipes, not bodies.
   */
  build(): WireRequest;
}

/** A line that was not replayed, and why. */
export interface TraceProblem {
  line: number;
  reason: string;
}

export interface Trace {
  format: TraceFormat;
  /** Sorted by `ts` (stable: equal times keep file order). */
  requests: TraceRequest[];
  /** Lines that could not be parsed. */
  broken: TraceProblem[];
  /** Well-formed lines deliberately not replayed (e.g. a ledger export's sub-calls). */
  skipped: TraceProblem[];
  /** Outcome files only: what each recorded model's answer to each row was worth. */
  labels?: OutcomeLabels;
}

/** Per trace row (by `line`): its tag and one label per recorded model (null = missing). */
export interface OutcomeLabels {
  models: string[];
  rows: Map<number, { tag: string; scores: (number | null)[] }>;
}

/** How synthetic traces (Azure, Mooncake, ledger rows) are turned into requests. */
export interface SynthOptions {
  /** The model the synthetic requests ask for (a catalog name, `auto`, a tier or `router/<name>`). */
  model: string;
}

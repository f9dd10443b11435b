// Counting ahead: a replay sends one request at a time (run.ts), so the emulator's tokeniser, the
// largest single cost of a replay with long synthetic prompts, ran on one core while the other
// idled. The replay knows its next requests, so a worker thread counts their prompt texts while
// the current request is served, and the counts go into the token memo (src/tokens/text.ts) that
// the emulator and the gateway read. Nothing else changes:
//   - the counts come from the same tokeniser call on the same text as countTextTokens, only earlier;
//   - a count that has not arrived yet is simply computed where it is needed, as before;
//   - requests are still sent one at a time, in order; the memo only decides how fast a count is.
// When the worker falls behind, it skips the texts of requests already being served (their counts
// are being made where they are needed), so the two threads never count the same text twice.
import { Worker } from 'node:worker_threads';
import { hasTextCount, rememberTextCount } from '../tokens/text.js';
import type { SynthText } from './types.js';
import { compiledWorkerEntry } from '../core/worker-entry.js';

/**
 * A text to count: the text itself, or for a synthetic text its recipe, which the worker turns
 * into the text again (cheaper than copying the text into the message).
 */
export type CountItem = string | { key: string; tokens: number };

/** Main → worker: texts to count with `model`'s encoding. */
export interface CountJob {
  id: number;
  model: string;
  items: CountItem[];
  /** `needBy[i]`: the index of the first request whose prompt has `items[i]` (see sending()). */
  needBy: number[];
}

/**
 * Worker → main, after each request's texts (a job holds several requests, and the next request
 * should not wait for the whole job), at least a few counts at a time: `counts[i]` is
 * `countTextTokens(text of items[from + i], model)`, or SKIPPED.
 */
export interface CountResult {
  id: number;
  from: number;
  counts: number[];
}

/** A count the worker did not make: its request was already being served. */
export const SKIPPED = -1;

/** The worker's start-up data: `progress[0]` is the index of the request being served. */
export interface CountWorkerData {
  progress: Int32Array;
}

/** Requests submitted without an index are never skipped. */
const NEVER = 0x7fffffff;

/** The compiled worker entry (src/core/worker-entry.ts). */
export function countWorkerEntry(moduleUrl: string = import.meta.url): URL {
  return compiledWorkerEntry(moduleUrl, 'count-worker.js', "the replay's count worker");
}

export class CountAhead {
  /** Started by the first text to count (recorded bodies have none, and need no worker). */
  private worker: Worker | null = null;
  /** Jobs posted and not answered (their texts, which are not posted), by id. */
  private readonly jobs = new Map<number, { model: string; texts: string[] }>();
  /** By model, texts queued or posted (so a block shared by the next few requests is counted once). */
  private readonly pending = new Map<string, Set<string>>();
  /** Texts submitted and not posted yet, with the request that needs them first, by model. */
  private readonly queued = new Map<string, { texts: string[]; items: CountItem[]; needBy: number[] }>();
  private readonly progress = new Int32Array(new SharedArrayBuffer(4));
  private submits = 0;
  private nextId = 1;
  private posted = 0;
  /** The worker failed: nothing more is counted ahead (every count is still made where needed). */
  private failed = false;
  private idle: (() => void) | null = null;

  constructor(
    private readonly batch = 8,
    private readonly entry: URL = countWorkerEntry(),
  ) {}

  /**
   * Counts, in the worker, those of `texts` that the memo does not hold yet, for request number
   * `request` (in sending order). They are posted in batches of `batch` submits (a message costs
   * more than a few texts in it), or by flush().
   */
  submit(model: string, texts: readonly (string | SynthText)[], request = NEVER): void {
    if (this.failed) return;
    let pending = this.pending.get(model);
    if (!pending) this.pending.set(model, (pending = new Set()));
    let queue = this.queued.get(model);
    for (const t of texts) {
      const text = typeof t === 'string' ? t : t.text;
      if (pending.has(text) || hasTextCount(text, model)) continue;
      pending.add(text);
      if (!queue) this.queued.set(model, (queue = { texts: [], items: [], needBy: [] }));
      queue.texts.push(text);
      queue.items.push(typeof t === 'string' ? t : { key: t.key, tokens: t.tokens });
      queue.needBy.push(request);
    }
    if (++this.submits >= this.batch) this.flush();
  }

  /** Request number `request` is being served: the worker skips what that request and earlier ones need. */
  sending(request: number): void {
    Atomics.store(this.progress, 0, request);
  }

  /** Posts what submit() has queued. */
  flush(): void {
    this.submits = 0;
    for (const [model, { texts, items, needBy }] of this.queued) {
      const job: CountJob = { id: this.nextId++, model, items, needBy };
      this.jobs.set(job.id, { model, texts });
      this.posted += texts.length;
      this.started().postMessage(job);
    }
    this.queued.clear();
  }

  /** Texts sent to the worker so far (each text once while it is pending). */
  get postedTexts(): number {
    return this.posted;
  }

  /** Resolves once every submitted job has been answered (for tests). */
  settled(): Promise<void> {
    this.flush();
    if (this.jobs.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }

  async close(): Promise<void> {
    this.dropAll();
    await this.worker?.terminate();
    this.worker = null;
  }

  private started(): Worker {
    if (!this.worker) {
      const workerData: CountWorkerData = { progress: this.progress };
      this.worker = new Worker(this.entry, { workerData });
      this.worker.on('message', (r: CountResult) => this.received(r));
      // A worker that fails only loses the head start: every count is still made where it is needed.
      this.worker.on('error', () => {
        this.failed = true;
        this.dropAll();
      });
    }
    return this.worker;
  }

  private received(r: CountResult): void {
    const job = this.jobs.get(r.id);
    if (!job) return;
    const pending = this.pending.get(job.model);
    r.counts.forEach((n, i) => {
      const t = job.texts[r.from + i]!;
      pending?.delete(t);
      if (n !== SKIPPED) rememberTextCount(t, job.model, n);
    });
    if (r.from + r.counts.length < job.texts.length) return;
    this.jobs.delete(r.id);
    if (this.jobs.size === 0) this.wake();
  }

  private dropAll(): void {
    this.queued.clear();
    this.submits = 0;
    this.jobs.clear();
    this.pending.clear();
    this.wake();
  }

  private wake(): void {
    const idle = this.idle;
    this.idle = null;
    idle?.();
  }
}

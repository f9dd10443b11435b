// Counting ahead: a replay sends one request at a time (run.ts), so the emulator's tokeniser, the
// largest single cost of a replay with long synthetic prompts, ran on one core while the other
// idled. The replay knows its next requests, so a worker thread counts their prompt texts while
// the current request is served, and the counts go into the token memo (src/tokens/text.ts) that
// the emulator and the gateway read. Nothing else changes:
//   - the counts come from the same function on the same text (countTextTokens), only earlier;
//   - a count that has not arrived yet is simply computed where it is needed, as before;
//   - requests are still sent one at a time, in order; the memo only decides how fast a count is.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { hasTextCount, rememberTextCount } from '../tokens/text.js';

/** Main → worker: texts to count with `model`'s encoding. */
export interface CountJob {
  id: number;
  model: string;
  texts: string[];
}

/** Worker → main: `counts[i]` is `countTextTokens(texts[i], model)`. */
export interface CountResult {
  id: number;
  counts: number[];
}

/** The compiled worker entry (from the TypeScript sources, the dist/ build; see workerEntry in storage). */
export function countWorkerEntry(moduleUrl: string = import.meta.url): URL {
  const beside = new URL('./count-worker.js', moduleUrl);
  if (existsSync(beside) || !moduleUrl.endsWith('.ts')) return beside;
  const built = new URL('../../dist/src/replay/count-worker.js', moduleUrl);
  if (existsSync(built)) return built;
  throw new Error(`costwise: the replay's count worker runs from the build, and ${fileURLToPath(built)} is missing: run \`npx tsc -p tsconfig.json\` first`);
}

export class CountAhead {
  /** Started by the first text to count (recorded bodies have none, and need no worker). */
  private worker: Worker | null = null;
  /** Jobs posted and not answered, by id. */
  private readonly jobs = new Map<number, CountJob>();
  /** By model, texts queued or posted (so a block shared by the next few requests is counted once). */
  private readonly pending = new Map<string, Set<string>>();
  /** Texts submitted and not posted yet, by model. */
  private readonly queued = new Map<string, string[]>();
  private submits = 0;
  private nextId = 1;
  private posted = 0;
  /** The worker failed: nothing more is counted ahead (every count is still made where needed). */
  private failed = false;
  private idle: (() => void) | null = null;

  constructor(
    private readonly batch = 4,
    private readonly entry: URL = countWorkerEntry(),
  ) {}

  /**
   * Counts, in the worker, those of `texts` that the memo does not hold yet. They are posted in
   * batches of `batch` submits (a message costs more than a few texts in it), or by flush().
   */
  submit(model: string, texts: readonly string[]): void {
    if (this.failed) return;
    let pending = this.pending.get(model);
    if (!pending) this.pending.set(model, (pending = new Set()));
    let queue = this.queued.get(model);
    for (const t of texts) {
      if (pending.has(t) || hasTextCount(t, model)) continue;
      pending.add(t);
      if (!queue) this.queued.set(model, (queue = []));
      queue.push(t);
    }
    if (++this.submits >= this.batch) this.flush();
  }

  /** Posts what submit() has queued. */
  flush(): void {
    this.submits = 0;
    for (const [model, texts] of this.queued) {
      const job: CountJob = { id: this.nextId++, model, texts };
      this.jobs.set(job.id, job);
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
      this.worker = new Worker(this.entry);
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
    this.jobs.delete(r.id);
    const pending = this.pending.get(job.model);
    job.texts.forEach((t, i) => {
      pending?.delete(t);
      rememberTextCount(t, job.model, r.counts[i]!);
    });
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

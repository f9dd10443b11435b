// The captured-prompt queue both label stores share: prompts are buffered on the request path and
// written in batches, one statement (SQLite: one transaction) per batch, a short while later. A
// writer that finds the database busy says so, and the batch waits for the next write. A failed
// write is reported once until a write succeeds again; its prompts are dropped (capture is best
// effort: a prompt missing only leaves its request out of training).
import type { CapturedPrompt } from './types.js';

/** Prompts queued at most; beyond it new captures are dropped until a write drains the queue. */
const MAX_QUEUED = 10_000;
/** A batch goes once this many are queued, or after FLUSH_DELAY_MS. */
const BATCH = 500;
const FLUSH_DELAY_MS = 200;

export class PromptQueue {
  private queued: CapturedPrompt[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failing = false;

  /** `write` resolves false when the database was busy: the batch is queued again. */
  constructor(private readonly write: (batch: readonly CapturedPrompt[]) => Promise<boolean> | boolean) {}

  push(p: CapturedPrompt): void {
    if (this.queued.length >= MAX_QUEUED) return;
    this.queued.push(p);
    if (this.queued.length >= BATCH) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS).unref();
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queued;
    this.queued = [];
    this.writing = this.writing.then(async () => {
      if (batch.length === 0) return;
      try {
        if (!(await this.write(batch))) {
          this.queued = [...batch, ...this.queued].slice(0, MAX_QUEUED);
          this.timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS).unref();
          return;
        }
        this.failing = false;
      } catch (err) {
        if (!this.failing)
          process.stderr.write(`costwise: could not store ${batch.length} captured prompt(s): ${err instanceof Error ? err.message : String(err)}\n`);
        this.failing = true;
      }
    });
    return this.writing;
  }
}

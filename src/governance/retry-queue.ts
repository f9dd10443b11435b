// Background retries for writes that must not be lost when Redis hiccups (settle, release, charge). Each
// operation is idempotent (a repeated settle is 'ignored'), so a retry after a reply that was lost
// in flight cannot count twice. Gives up after `horizonMs` and reports the loss.
export interface RetryQueueOptions {
  /** Give up on an operation this long after it first failed (default 60 s). */
  horizonMs?: number;
  /** Most operations held (default 100,000); beyond that new ones are reported lost at once. */
  maxQueued?: number;
  now?: () => number;
  /** Called with a description of each operation given up on. */
  onLost?: (what: string, err: unknown) => void;
}

interface Pending {
  what: string;
  run: () => Promise<unknown>;
  since: number;
}

export interface RetryQueue {
  /** Queues a failed operation. */
  push(what: string, run: () => Promise<unknown>): void;
  size(): number;
  /** Retries everything once, then stops the timer; what still fails is reported lost. */
  close(): Promise<void>;
}

export function createRetryQueue(opts: RetryQueueOptions = {}): RetryQueue {
  const horizonMs = opts.horizonMs ?? 60_000;
  const maxQueued = opts.maxQueued ?? 100_000;
  const now = opts.now ?? Date.now;
  const onLost = opts.onLost ?? ((what: string, err: unknown) => process.stderr.write(`costwise: budget ${what} lost after retries: ${String(err)}\n`));
  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | null = null;
  let delayMs = 250;

  async function drain(final: boolean): Promise<void> {
    timer = null;
    const batch = queue;
    queue = [];
    for (const op of batch) {
      try {
        await op.run();
      } catch (err) {
        if (final || now() - op.since > horizonMs) onLost(op.what, err);
        else queue.push(op);
      }
    }
    if (queue.length === 0) delayMs = 250;
    else if (!final) schedule((delayMs = Math.min(delayMs * 2, 5_000)));
  }

  function schedule(ms: number): void {
    if (timer !== null) return;
    timer = setTimeout(() => void drain(false), ms);
    timer.unref();
  }

  return {
    push(what, run) {
      if (queue.length >= maxQueued) {
        onLost(what, new Error('retry queue full'));
        return;
      }
      queue.push({ what, run, since: now() });
      schedule(delayMs);
    },
    size: () => queue.length,
    async close() {
      if (timer !== null) clearTimeout(timer);
      await drain(true);
    },
  };
}

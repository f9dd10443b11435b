// The batches of one provider, in creation order, within LIMITS: when a new batch would exceed
// them, the oldest ended batches are dropped; when only active ones are left, creation is refused.
import { EmuError } from '../errors.js';
import type { BatchJob } from './job.js';
import { LIMITS } from './config.js';

export interface StoredBatch {
  readonly id: string;
  readonly job: BatchJob<{ customId: string }>;
}

export class BatchStore<B extends StoredBatch> {
  private readonly byId = new Map<string, B>();
  private items = 0;

  get(id: string): B | undefined {
    return this.byId.get(id);
  }

  /** Throws a 429 when the limits are full of active batches. */
  reserve(items: number): void {
    for (const b of this.byId.values()) {
      if (this.byId.size < LIMITS.maxBatches && this.items + items <= LIMITS.maxItems) return;
      if (!b.job.active) this.delete(b.id);
    }
    if (this.byId.size >= LIMITS.maxBatches || this.items + items > LIMITS.maxItems) {
      throw new EmuError(
        429,
        `The emulator keeps at most ${LIMITS.maxBatches} batches and ${LIMITS.maxItems} batch requests; wait for running batches to end.`,
        {
          code: 'batch_limit_exceeded',
        },
      );
    }
  }

  add(batch: B): void {
    this.reserve(batch.job.total);
    this.byId.set(batch.id, batch);
    this.items += batch.job.total;
  }

  delete(id: string): boolean {
    const b = this.byId.get(id);
    if (!b) return false;
    this.byId.delete(id);
    this.items -= b.job.total;
    return true;
  }

  newestFirst(): B[] {
    return [...this.byId.values()].reverse();
  }

  active(): B[] {
    const out: B[] = [];
    for (const b of this.byId.values()) if (b.job.active) out.push(b);
    return out;
  }
}

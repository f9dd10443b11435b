// Trace and span ids for the spans costwise records itself: bytes taken from a pool of random bytes
// that is refilled whole (one randomFillSync per 170 requests), never converted to hex unless a
// JSON export or a sampler asks. A span keeps the pool and its offset; a used pool is not written
// again, only replaced, so an id stays valid for as long as its span is referenced.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;

export class SpanIds {
  pool: Buffer = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
  private at = 0;

  /** The offset of `n` fresh random bytes in `this.pool` (read the pool after calling). */
  take(n: number): number {
    if (this.at + n > POOL_BYTES) {
      this.pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
      this.at = 0;
    }
    const at = this.at;
    this.at += n;
    return at;
  }
}

export function hexOf(pool: Buffer, at: number, n: number): string {
  return pool.toString('hex', at, at + n);
}

// Int8 vectors kept dense, row after row with their ids, and searched exactly with usearch's SIMD
// brute force: a flat partition is one of these, an inverted file one a centroid. Removal moves
// the last row into the hole, so the caller that maps ids to slots is told which id moved.
import usearch from 'usearch';
import type { VectorHit } from './vector-index.js';

const { exactSearch, MetricKind } = usearch;

export class DenseRows {
  private buf: Int8Array;
  private readonly ids: string[] = [];

  constructor(
    private readonly dim: number,
    initialRows = 16,
  ) {
    this.buf = new Int8Array(dim * initialRows);
  }

  get size(): number {
    return this.ids.length;
  }

  get byteLength(): number {
    return this.buf.byteLength;
  }

  /** Appends `q` under `id`; returns its slot. */
  append(id: string, q: Int8Array): number {
    const slot = this.ids.length;
    if ((slot + 1) * this.dim > this.buf.length) {
      const grown = new Int8Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf.set(q, slot * this.dim);
    this.ids.push(id);
    return slot;
  }

  /** Removes the row at `slot`; returns the id of the row moved into it (none when it was the last). */
  removeAt(slot: number): string | undefined {
    const last = this.ids.length - 1;
    let moved: string | undefined;
    if (slot !== last) {
      this.buf.copyWithin(slot * this.dim, last * this.dim, (last + 1) * this.dim);
      moved = this.ids[last]!;
      this.ids[slot] = moved;
    }
    this.ids.pop();
    return moved;
  }

  /** The rows as one block (a view, valid until the next change), and their ids. */
  all(): { buf: Int8Array; ids: readonly string[] } {
    return { buf: this.buf.subarray(0, this.ids.length * this.dim), ids: this.ids };
  }

  /** Up to `k` nearest rows by cosine, in usearch's order. */
  search(q: Int8Array, k: number): VectorHit[] {
    const n = this.ids.length;
    if (n === 0 || k <= 0) return [];
    const { keys, distances } = exactSearch(this.buf.subarray(0, n * this.dim), q, this.dim, Math.min(k, n), MetricKind.Cos, 1);
    const hits: VectorHit[] = [];
    for (let i = 0; i < keys.length; i++) {
      const id = this.ids[Number(keys[i]!)];
      const similarity = 1 - distances[i]!;
      if (id !== undefined && Number.isFinite(similarity)) hits.push({ id, similarity });
    }
    return hits;
  }
}

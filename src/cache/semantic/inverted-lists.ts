// An inverted file over int8 vectors: each vector lives in the list of its nearest centroid, and a
// search scans only the lists of the query's PROBES nearest centroids, exactly. usearch's brute
// force costs ~20 ns a stored vector whatever its width (100k vectors: ~2–3 ms a query), so a
// large partition scans a few of its lists instead of all of it; a near-duplicate of the query sits
// in the query's own list or a neighbouring one.
import usearch from 'usearch';
import { DenseRows } from './dense-rows.js';
import type { VectorHit } from './vector-index.js';

const { exactSearch, MetricKind } = usearch;

/** Centroids of a partition's lists. */
export const LIST_COUNT = 128;
/** Lists scanned a query. */
export const PROBES = 8;
/** Vectors the k-means steps learn the centroids from. */
const TRAINING_SAMPLE = 4096;
const KMEANS_STEPS = 4;

export class InvertedLists {
  private readonly rows: DenseRows[];
  private readonly where = new Map<string, { list: number; slot: number }>();

  /** `centroids`: LIST_COUNT unit vectors of width `dim`, row after row (trainCentroids). */
  constructor(
    private readonly dim: number,
    private readonly centroids: Float32Array,
  ) {
    this.rows = Array.from({ length: LIST_COUNT }, () => new DenseRows(dim, 8));
  }

  get size(): number {
    return this.where.size;
  }

  get byteLength(): number {
    let bytes = this.centroids.byteLength;
    for (const r of this.rows) bytes += r.byteLength;
    return bytes;
  }

  /** The lists, for a caller that moves every entry elsewhere. */
  lists(): readonly DenseRows[] {
    return this.rows;
  }

  add(id: string, q: Int8Array): void {
    this.remove(id);
    this.place(id, q, nearestCentroids(this.centroids, q, this.dim, 1)[0] ?? 0);
  }

  /** The rows of `buf` under `ids`, assigned to their lists in one batch. */
  addAll(ids: readonly string[], buf: Int8Array): void {
    const lists = assign(this.centroids, buf, this.dim);
    for (let i = 0; i < ids.length; i++) this.place(ids[i]!, buf.subarray(i * this.dim, (i + 1) * this.dim), lists[i]!);
  }

  remove(id: string): boolean {
    const at = this.where.get(id);
    if (at === undefined) return false;
    const moved = this.rows[at.list]!.removeAt(at.slot);
    if (moved !== undefined) this.where.set(moved, at);
    this.where.delete(id);
    return true;
  }

  /** Up to `k` nearest among the probed lists, most similar first. */
  search(q: Int8Array, k: number): VectorHit[] {
    const hits: VectorHit[] = [];
    for (const c of nearestCentroids(this.centroids, q, this.dim, PROBES)) hits.push(...this.rows[c]!.search(q, k));
    return hits.sort((a, b) => b.similarity - a.similarity).slice(0, k);
  }

  private place(id: string, q: Int8Array, list: number): void {
    this.where.set(id, { list, slot: this.rows[list]!.append(id, q) });
  }
}

/** The `count` centroids nearest `q` (by cosine), nearest first. */
function nearestCentroids(centroids: Float32Array, q: Int8Array, dim: number, count: number): number[] {
  const { keys } = exactSearch(centroids, Float32Array.from(q), dim, count, MetricKind.Cos, 1) as { keys: BigUint64Array };
  return Array.from(keys, Number);
}

/** The nearest centroid of each row of `rows`, in one native batch. */
function assign(centroids: Float32Array, rows: Int8Array, dim: number): Int32Array {
  const n = rows.length / dim;
  if (n === 0) return new Int32Array(0);
  if (n === 1) return Int32Array.of(nearestCentroids(centroids, rows, dim, 1)[0] ?? 0);
  const { keys } = exactSearch(centroids, Float32Array.from(rows), dim, 1, MetricKind.Cos, 0) as { keys: BigUint64Array };
  return Int32Array.from(keys, Number);
}

/**
 * LIST_COUNT centroids for the `n` vectors of `buf`: an evenly strided sample of them, moved by
 * KMEANS_STEPS steps of spherical k-means over TRAINING_SAMPLE of the vectors (each step one native
 * batch of sample × centroid cosines; done once, when a partition grows large).
 */
export function trainCentroids(buf: Int8Array, n: number, dim: number): Float32Array {
  const sample = Math.min(n, TRAINING_SAMPLE);
  const rows = new Int8Array(sample * dim);
  for (let s = 0; s < sample; s++) {
    const at = Math.floor((s * n) / sample) * dim;
    rows.set(buf.subarray(at, at + dim), s * dim);
  }
  let centroids: Float32Array = new Float32Array(LIST_COUNT * dim);
  for (let c = 0; c < LIST_COUNT; c++) {
    const at = Math.floor((c * sample) / LIST_COUNT) * dim;
    for (let i = 0; i < dim; i++) centroids[c * dim + i] = rows[at + i]!;
  }
  normalizeRows(centroids, dim, centroids);
  for (let step = 0; step < KMEANS_STEPS; step++) {
    const nearest = assign(centroids, rows, dim);
    const sums = new Float32Array(LIST_COUNT * dim);
    for (let s = 0; s < sample; s++) {
      const c = nearest[s]!;
      for (let i = 0; i < dim; i++) sums[c * dim + i] = sums[c * dim + i]! + rows[s * dim + i]!;
    }
    centroids = normalizeRows(sums, dim, centroids);
  }
  return centroids;
}

/** `rows` scaled to unit length, row by row; a zero row (a centroid no vector chose) keeps `previous`'s. */
function normalizeRows(rows: Float32Array, dim: number, previous: Float32Array): Float32Array {
  const out = new Float32Array(rows.length);
  for (let r = 0; r < rows.length / dim; r++) {
    let norm = 0;
    for (let i = 0; i < dim; i++) norm += rows[r * dim + i]! ** 2;
    if (norm === 0) {
      out.set(previous.subarray(r * dim, (r + 1) * dim), r * dim);
      continue;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < dim; i++) out[r * dim + i] = rows[r * dim + i]! * scale;
  }
  return out;
}

// Nearest-neighbour search partitioned by an opaque namespace key (the caller folds tenant, model
// tier and context hash into it): a search never looks outside its own partition.
//
// Each partition stores vectors as int8 (scaled per vector so its largest component is ±127; cosine
// does not see the scale) and searches them exactly with usearch's SIMD brute force until it holds
// more than `exactLimit` entries; it then moves to a usearch HNSW graph (also int8). From
// INVERTED_FROM entries up to that limit the exact search scans only the lists of the query's
// nearest centroids (inverted-lists.ts).
import usearch from 'usearch';
import { DenseRows } from './dense-rows.js';
import { InvertedLists, trainCentroids } from './inverted-lists.js';

const { Index, MetricKind } = usearch;
type UsearchIndex = InstanceType<typeof Index>;

export interface VectorIndexOptions {
  readonly dim: number;
  /** Largest partition searched exactly (default 100,000); larger ones use HNSW. */
  readonly exactLimit?: number;
  /** HNSW graph degree (default 16). */
  readonly connectivity?: number;
}

export interface VectorHit {
  readonly id: string;
  /** Cosine similarity in [-1, 1]. */
  readonly similarity: number;
}

export interface IndexMemory {
  readonly entries: number;
  readonly vectorBytes: number;
  /** Vector bytes plus an estimate of the per-entry bookkeeping (ids, maps). */
  readonly approxBytes: number;
  readonly bytesPerEntry: number;
}

/** int8 copy of `v` scaled so that max |component| = 127; all zeros stays all zeros. */
export function quantize(v: Float32Array, out: Int8Array = new Int8Array(v.length)): Int8Array {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]!));
  const scale = max > 0 && Number.isFinite(max) ? 127 / max : 0;
  for (let i = 0; i < v.length; i++) out[i] = Number.isFinite(v[i]!) ? Math.round(v[i]! * scale) : 0;
  return out;
}

/** A partition this large (and below `exactLimit`) moves to inverted lists. */
export const INVERTED_FROM = 32_768;

function isZero(v: Int8Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}

class Partition {
  /** The flat mode's rows (null once the partition has moved on). */
  private flat: DenseRows | null;
  private readonly slotOf = new Map<string, number>();
  private hnsw: UsearchIndex | null = null;
  private inverted: InvertedLists | null = null;
  private readonly keyOf = new Map<string, bigint>();
  private readonly idOfKey = new Map<bigint, string>();
  private nextKey = 0n;

  constructor(
    private readonly dim: number,
    private readonly exactLimit: number,
    private readonly connectivity: number,
  ) {
    this.flat = new DenseRows(dim);
  }

  get size(): number {
    return this.hnsw ? this.keyOf.size : (this.inverted?.size ?? this.flat?.size ?? 0);
  }

  get vectorBytes(): number {
    return this.hnsw ? this.keyOf.size * this.dim : (this.inverted?.byteLength ?? this.flat?.byteLength ?? 0);
  }

  add(id: string, q: Int8Array): void {
    this.remove(id);
    if (this.hnsw) {
      this.addHnsw(id, q);
    } else if (this.inverted) {
      this.inverted.add(id, q);
      if (this.inverted.size > this.exactLimit) this.toHnsw();
    } else if (this.flat) {
      this.slotOf.set(id, this.flat.append(id, q));
      if (this.flat.size > this.exactLimit) this.toHnsw();
      else if (this.flat.size >= INVERTED_FROM) this.toInverted();
    }
  }

  remove(id: string): boolean {
    if (this.hnsw) {
      const key = this.keyOf.get(id);
      if (key === undefined) return false;
      this.hnsw.remove(key);
      this.keyOf.delete(id);
      this.idOfKey.delete(key);
      return true;
    }
    if (this.inverted) return this.inverted.remove(id);
    const slot = this.slotOf.get(id);
    if (slot === undefined || !this.flat) return false;
    const moved = this.flat.removeAt(slot);
    if (moved !== undefined) this.slotOf.set(moved, slot);
    this.slotOf.delete(id);
    return true;
  }

  search(q: Int8Array, k: number): VectorHit[] {
    if (this.inverted) return this.inverted.search(q, k);
    if (!this.hnsw) return this.flat?.search(q, k) ?? [];
    const count = Math.min(k, this.size);
    if (count <= 0) return [];
    const { keys, distances } = this.hnsw.search(q, count, 1);
    const hits: VectorHit[] = [];
    for (let i = 0; i < keys.length; i++) {
      const id = this.idOfKey.get(keys[i]!);
      const similarity = 1 - distances[i]!;
      if (id !== undefined && Number.isFinite(similarity)) hits.push({ id, similarity });
    }
    return hits;
  }

  private addHnsw(id: string, q: Int8Array): void {
    const key = this.nextKey++;
    this.hnsw!.add(key, Float32Array.from(q), 1);
    this.keyOf.set(id, key);
    this.idOfKey.set(key, id);
  }

  private toInverted(): void {
    const { buf, ids } = this.flat!.all();
    const inverted = new InvertedLists(this.dim, trainCentroids(buf, ids.length, this.dim));
    inverted.addAll(ids, buf);
    this.inverted = inverted;
    this.flat = null;
    this.slotOf.clear();
  }

  private toHnsw(): void {
    this.hnsw = new Index({
      dimensions: this.dim,
      metric: MetricKind.Cos,
      quantization: usearch.ScalarKind.I8,
      connectivity: this.connectivity,
      expansion_add: 128,
      expansion_search: 64,
      multi: false,
    });
    const rows = this.flat ? [this.flat] : (this.inverted?.lists() ?? []);
    this.flat = null;
    this.inverted = null;
    this.slotOf.clear();
    for (const r of rows) {
      const { buf, ids } = r.all();
      for (let i = 0; i < ids.length; i++) this.addHnsw(ids[i]!, buf.subarray(i * this.dim, (i + 1) * this.dim));
    }
  }
}

export class NamespacedVectorIndex {
  readonly dim: number;
  private readonly exactLimit: number;
  private readonly connectivity: number;
  private readonly partitions = new Map<string, Partition>();
  private readonly scratch: Int8Array;

  constructor(opts: VectorIndexOptions) {
    if (!Number.isInteger(opts.dim) || opts.dim <= 0) throw new RangeError(`dim must be a positive integer, got ${opts.dim}`);
    this.dim = opts.dim;
    this.exactLimit = opts.exactLimit ?? 100_000;
    this.connectivity = opts.connectivity ?? 16;
    this.scratch = new Int8Array(opts.dim);
  }

  /** Add (or replace) `id` in `namespace`. A zero vector is not stored (it has no direction). */
  add(namespace: string, id: string, vector: Float32Array): boolean {
    this.checkDim(vector);
    const q = quantize(vector);
    if (isZero(q)) {
      this.partitions.get(namespace)?.remove(id);
      return false;
    }
    let p = this.partitions.get(namespace);
    if (!p) {
      p = new Partition(this.dim, this.exactLimit, this.connectivity);
      this.partitions.set(namespace, p);
    }
    p.add(id, q);
    return true;
  }

  remove(namespace: string, id: string): boolean {
    const p = this.partitions.get(namespace);
    if (!p) return false;
    const removed = p.remove(id);
    if (p.size === 0) this.partitions.delete(namespace);
    return removed;
  }

  /** Up to `k` nearest entries of `namespace`, most similar first. */
  search(namespace: string, vector: Float32Array, k: number): VectorHit[] {
    this.checkDim(vector);
    const p = this.partitions.get(namespace);
    if (!p) return [];
    const q = quantize(vector, this.scratch);
    if (isZero(q)) return [];
    return p.search(q, k).sort((a, b) => b.similarity - a.similarity);
  }

  /** Entries in one namespace, or in all of them. */
  size(namespace?: string): number {
    if (namespace !== undefined) return this.partitions.get(namespace)?.size ?? 0;
    let n = 0;
    for (const p of this.partitions.values()) n += p.size;
    return n;
  }

  memory(): IndexMemory {
    let entries = 0;
    let vectorBytes = 0;
    for (const p of this.partitions.values()) {
      entries += p.size;
      vectorBytes += p.vectorBytes;
    }
    // per entry: id string (~40 B) + one or two Map entries (~80 B each) + array slot (8 B)
    const approxBytes = vectorBytes + entries * 200;
    return { entries, vectorBytes, approxBytes, bytesPerEntry: entries ? approxBytes / entries : 0 };
  }

  private checkDim(v: Float32Array): void {
    if (v.length !== this.dim) throw new RangeError(`vector width ${v.length} does not match index dim ${this.dim}`);
  }
}

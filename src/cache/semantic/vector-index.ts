// Nearest-neighbour search partitioned by an opaque namespace key (the caller folds tenant, model
// tier and context hash into it): a search never looks outside its own partition.
//
// Each partition stores vectors as int8 (scaled per vector so its largest component is ±127; cosine
// does not see the scale) and searches them exactly with usearch's SIMD brute force until it holds
// more than `exactLimit` entries; it then moves to a usearch HNSW graph (also int8). From
// INVERTED_FROM entries up to that limit the exact search scans only the lists of the query's
// nearest centroids (inverted-lists.ts).
import usearch from 'usearch';
import { InvertedLists, trainCentroids } from './inverted-lists.js';

const { Index, exactSearch, MetricKind } = usearch;
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
  private buf: Int8Array;
  private ids: string[] = [];
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
    this.buf = new Int8Array(dim * 16);
  }

  get size(): number {
    return this.hnsw ? this.keyOf.size : (this.inverted?.size ?? this.ids.length);
  }

  get vectorBytes(): number {
    return this.hnsw ? this.keyOf.size * this.dim : (this.inverted?.byteLength ?? this.buf.byteLength);
  }

  add(id: string, q: Int8Array): void {
    this.remove(id);
    if (this.hnsw) {
      this.addHnsw(id, q);
      return;
    }
    if (this.inverted) {
      this.inverted.add(id, q);
      if (this.inverted.size > this.exactLimit) this.toHnsw();
      return;
    }
    const slot = this.ids.length;
    if ((slot + 1) * this.dim > this.buf.length) {
      const grown = new Int8Array(this.buf.length * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    this.buf.set(q, slot * this.dim);
    this.ids.push(id);
    this.slotOf.set(id, slot);
    if (this.ids.length > this.exactLimit) this.toHnsw();
    else if (this.ids.length >= INVERTED_FROM) this.toInverted();
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
    if (slot === undefined) return false;
    const last = this.ids.length - 1;
    if (slot !== last) {
      // move the last entry into the hole so the exact buffer stays dense
      this.buf.copyWithin(slot * this.dim, last * this.dim, (last + 1) * this.dim);
      const movedId = this.ids[last]!;
      this.ids[slot] = movedId;
      this.slotOf.set(movedId, slot);
    }
    this.ids.pop();
    this.slotOf.delete(id);
    return true;
  }

  search(q: Int8Array, k: number): VectorHit[] {
    const n = this.size;
    if (n === 0 || k <= 0) return [];
    const count = Math.min(k, n);
    let keys: BigUint64Array;
    let distances: Float32Array;
    if (this.hnsw) {
      ({ keys, distances } = this.hnsw.search(q, count, 1));
    } else if (this.inverted) {
      return this.inverted.search(q, count);
    } else {
      ({ keys, distances } = exactSearch(this.buf.subarray(0, n * this.dim), q, this.dim, count, MetricKind.Cos, 1));
    }
    const hits: VectorHit[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const id = this.hnsw ? this.idOfKey.get(key) : this.ids[Number(key)];
      const similarity = 1 - distances[i]!;
      if (id === undefined || !Number.isFinite(similarity)) continue;
      hits.push({ id, similarity });
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
    const n = this.ids.length;
    const inverted = new InvertedLists(this.dim, trainCentroids(this.buf, n, this.dim));
    inverted.addAll(this.ids, this.buf, n);
    this.inverted = inverted;
    this.ids = [];
    this.slotOf.clear();
    this.buf = new Int8Array(0);
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
    const ids = this.ids;
    const buf = this.buf;
    const inverted = this.inverted;
    this.ids = [];
    this.slotOf.clear();
    this.buf = new Int8Array(0);
    this.inverted = null;
    for (let i = 0; i < ids.length; i++) this.addHnsw(ids[i]!, buf.subarray(i * this.dim, (i + 1) * this.dim));
    if (inverted) for (const [id, q] of inverted.entries()) this.addHnsw(id, q);
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

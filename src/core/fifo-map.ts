// A map bounded by a total weight that drops its oldest entries first; keyed like TextMap (long
// texts are found without hashing them whole).
//
// Insertion order is kept in a queue beside the Map rather than read from the Map: deleting from a
// V8 Map leaves holes that iteration skips until the table is rebuilt, so evicting "the first key"
// per insert (`map.keys().next()`) costs O(entries deleted so far): ~10 µs at 20,000 entries.

import { TextMap } from './text-map.js';

export class FifoMap<V> {
  private readonly map = new TextMap<V>();
  private order: string[] = [];
  private head = 0;
  private weight = 0;

  constructor(
    private readonly maxWeight: number,
    private readonly weigh: (key: string, value: V) => number = () => 1,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Adds `key` at the back, or replaces its value where it stands; then drops from the front. */
  set(key: string, value: V): void {
    const old = this.map.get(key);
    if (old !== undefined || this.map.has(key)) this.weight -= this.weigh(key, old as V);
    else this.order.push(key);
    this.map.set(key, value);
    this.weight += this.weigh(key, value);
    while (this.weight > this.maxWeight && this.head < this.order.length) {
      const k = this.order[this.head++]!;
      this.weight -= this.weigh(k, this.map.get(k) as V);
      this.map.delete(k);
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}

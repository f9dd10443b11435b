// A Map keyed by strings that finds long keys (prompt texts) without hashing them whole.
//
// V8 hashes every character of a string the first time the string is used as a Map key (2–5 µs
// for a 1.5 KB prompt block), and the texts of a request are new string objects every time
// (JSON.parse), so each memo look-up of a prompt part paid that again. A long key is bucketed by
// its length and a few dozen of its characters instead, and told apart from the other keys of its
// bucket by comparison (a memcmp, usually ending at the first characters). A bucket that fills up
// (texts alike in every sampled character) sends its further keys to an ordinary Map.

/** Keys at least this long are bucketed; shorter ones hash cheaply. */
const LONG = 256;
const SAMPLES = 32;
const BUCKET_MAX = 8;

function sample(s: string): number {
  const last = s.length - 1;
  let h = Math.imul(s.length, 0x9e3779b1);
  for (let i = 0; i < SAMPLES; i++) h = Math.imul(h ^ s.charCodeAt(((i * last) / (SAMPLES - 1)) | 0), 0x01000193);
  return h >>> 0;
}

interface Slot<V> {
  key: string;
  value: V;
}

export class TextMap<V> {
  /** Short keys, and long keys that found their bucket full. */
  private readonly hashed = new Map<string, V>();
  private readonly buckets = new Map<number, Slot<V>[]>();
  private inBuckets = 0;
  /** Long keys in `hashed`: while there are none, a long key missing from its bucket is absent. */
  private overflow = 0;

  get size(): number {
    return this.hashed.size + this.inBuckets;
  }

  get(key: string): V | undefined {
    if (key.length < LONG) return this.hashed.get(key);
    const bucket = this.buckets.get(sample(key));
    if (bucket) for (const slot of bucket) if (slot.key === key) return slot.value;
    return this.overflow > 0 ? this.hashed.get(key) : undefined;
  }

  has(key: string): boolean {
    if (key.length < LONG) return this.hashed.has(key);
    const bucket = this.buckets.get(sample(key));
    if (bucket) for (const slot of bucket) if (slot.key === key) return true;
    return this.overflow > 0 && this.hashed.has(key);
  }

  set(key: string, value: V): void {
    if (key.length < LONG) {
      this.hashed.set(key, value);
      return;
    }
    const h = sample(key);
    let bucket = this.buckets.get(h);
    if (bucket) {
      for (const slot of bucket) {
        if (slot.key === key) {
          slot.value = value;
          return;
        }
      }
    }
    if (this.overflow > 0 && this.hashed.has(key)) {
      this.hashed.set(key, value);
    } else if (!bucket || bucket.length < BUCKET_MAX) {
      if (!bucket) this.buckets.set(h, (bucket = []));
      bucket.push({ key, value });
      this.inBuckets++;
    } else {
      this.hashed.set(key, value);
      this.overflow++;
    }
  }

  delete(key: string): boolean {
    if (key.length < LONG) return this.hashed.delete(key);
    const h = sample(key);
    const bucket = this.buckets.get(h);
    const i = bucket ? bucket.findIndex((slot) => slot.key === key) : -1;
    if (bucket && i >= 0) {
      bucket.splice(i, 1);
      this.inBuckets--;
      if (bucket.length === 0) this.buckets.delete(h);
      return true;
    }
    if (this.overflow > 0 && this.hashed.delete(key)) {
      this.overflow--;
      return true;
    }
    return false;
  }

  clear(): void {
    this.hashed.clear();
    this.buckets.clear();
    this.inBuckets = 0;
    this.overflow = 0;
  }
}

// Non-cryptographic, deterministic string hashing: a running 64-bit hash whose state after a prefix
// is the same whatever follows (prompt-prefix caching keys), and 32-bit digests of strings.
import { TextMap } from './text-map.js';

const M1 = 0x85ebca6b;
const M2 = 0xc2b2ae35;

export function fmix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), M1);
  h = Math.imul(h ^ (h >>> 13), M2);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A running 64-bit (two 32-bit lanes) hash of a sequence of strings and integers. A prefix of the
 * sequence always hashes to the same state, which is what prompt-prefix caching needs.
 */
export class RunningHash {
  a: number;
  b: number;
  constructor(seed = 0) {
    this.a = (0x811c9dc5 ^ seed) >>> 0;
    this.b = (0x27d4eb2f ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  }

  int(n: number): this {
    this.a = Math.imul(this.a ^ (n | 0), 0x01000193);
    this.b = Math.imul((this.b << 5) | (this.b >>> 27), 0x5bd1e995) ^ (n | 0);
    return this;
  }

  str(s: string): this {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul((b << 5) | (b >>> 27), 0x5bd1e995) ^ c;
    }
    this.a = a;
    this.b = b;
    // A separator, so ("ab","c") and ("a","bc") differ.
    return this.int(s.length ^ 0x5f3759df);
  }

  /** Mixes in a whole string through its (memoised) digest. */
  strDigest(s: string): this {
    return this.int(stringDigest(s)).int(s.length);
  }

  /** 32-bit digest of the current state. */
  digest32(): number {
    return fmix(this.a ^ fmix(this.b));
  }

  /** A string key naming the current state (for Map keys). */
  key(): string {
    return `${this.a >>> 0}.${this.b >>> 0}`;
  }
}

export function hashString(s: string, seed = 0): number {
  return new RunningHash(seed).str(s).digest32();
}

const digests = new TextMap<number>();
let digestChars = 0;
const DIGEST_CACHE_CHARS = 64_000_000;

/**
 * hashString(s), memoised for long strings: prompts repeat (system prompts, tool lists), and a
 * TextMap look-up (a comparison with the few texts that share its sampled characters) is far
 * cheaper than hashing the characters in JS again.
 */
export function stringDigest(s: string): number {
  if (s.length < 256) return hashString(s);
  let d = digests.get(s);
  if (d === undefined) {
    d = hashString(s);
    if (digestChars + s.length > DIGEST_CACHE_CHARS) {
      digests.clear();
      digestChars = 0;
    }
    digests.set(s, d);
    digestChars += s.length;
  }
  return d;
}

// A seeded PRNG: everything the emulator derives "at random" (reply words, tool-call ids, embedding
// vectors, fault draws) comes from it and the hashes of src/core/running-hash.ts, so runs are
// reproducible.
import { fmix } from '../core/running-hash.js';

/** A small counter-based PRNG (murmur3 finaliser over a Weyl sequence); returns [0, 1). */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    return fmix(state) / 4294967296;
  };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `length` base62 characters drawn from `rand`. */
export function randomId(rand: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET.charAt(Math.floor(rand() * 62));
  return out;
}

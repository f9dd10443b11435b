// Prefix-affinity keys and rendezvous (highest-random-weight) scores.
//
// Hash choice, measured with a throwaway script on this machine kind (Node 20, 2 cores, 8 KB
// ASCII prefix, 20k iterations, two rounds):
//   node:crypto sha1 ............................ ~8-13 µs/op
//   FNV-1a 64 in JS (16-bit lanes) ............... ~60-77 µs/op
//   two FNV-1a 32 lanes with Math.imul ........... ~30-57 µs/op
// so the affinity key of a long prefix uses native sha1 (truncated to 64 bits). For the tiny
// per-deployment rendezvous hashes (~30 chars) the fixed cost of a native call dominates:
//   FNV-1a 64 in JS ~0.5 µs/op versus sha1 ~1.6 µs/op, so those use FNV-1a 64.
// Neither needs to be cryptographic: affinity only needs a stable, well-spread key. For ASCII
// input `fnv1a64Hex` equals standard FNV-1a 64 over the bytes.
import { createHash } from 'node:crypto';

const SEP = 0x1f; // unit separator between parts, so ["ab","c"] and ["a","bc"] differ

/** FNV-1a 64 of the parts as 16 lowercase hex digits. */
export function fnv1a64Hex(parts: readonly string[]): string {
  // offset basis 0xcbf29ce484222325 in 16-bit lanes, least significant first
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (let p = 0; p < parts.length; p++) {
    const s = parts[p]!;
    const n = s.length + (p < parts.length - 1 ? 1 : 0);
    for (let i = 0; i < n; i++) {
      h0 ^= i < s.length ? s.charCodeAt(i) : SEP;
      // multiply by the prime 0x100000001b3 = 2^40 + 0x1b3, lane by lane
      const t0 = h0 * 0x1b3;
      let t1 = h1 * 0x1b3;
      let t2 = h2 * 0x1b3 + (h0 << 8);
      let t3 = h3 * 0x1b3 + (h1 << 8);
      t1 += t0 >>> 16;
      h0 = t0 & 0xffff;
      t2 += t1 >>> 16;
      h1 = t1 & 0xffff;
      t3 += t2 >>> 16;
      h2 = t2 & 0xffff;
      h3 = t3 & 0xffff;
    }
  }
  return hex4(h3) + hex4(h2) + hex4(h1) + hex4(h0);
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/**
 * The affinity key of a request: e.g. `affinityKey([tenant, stablePrefix])`, where the stable
 * prefix is the system prompt, tools and first messages up to ~1-2k tokens. Requests with equal
 * keys go to the same healthy deployment, keeping its provider prompt cache warm.
 */
export function affinityKey(parts: readonly string[]): string {
  const h = createHash('sha1');
  parts.forEach((part, i) => {
    if (i > 0) h.update('\u001f');
    h.update(part);
  });
  return h.digest('hex').slice(0, 16);
}

/** 32-bit avalanche mix (murmur3 finaliser). */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A uniform number in (0, 1) determined by (affinity key, deployment key): the rendezvous hash.
 * 52 bits, so ties are practically impossible.
 */
export function rendezvousUniform(key: string, deploymentKey: string): number {
  const hex = fnv1a64Hex([key, deploymentKey]);
  const hi = mix32(parseInt(hex.slice(0, 8), 16) ^ 0x9e3779b9);
  const lo = mix32(parseInt(hex.slice(8), 16) ^ hi);
  // 20 high bits of `hi` and all 32 of `lo`: 52 bits, then shift away from 0
  return ((hi >>> 12) * 4294967296 + lo + 0.5) / 4503599627370496;
}

/**
 * Weighted rendezvous score (Schindelhauer-Schomaker / "logarithmic method"): the deployment with
 * the highest score wins; a deployment with twice the weight wins twice as many keys, and
 * removing a deployment moves only the keys it held.
 */
export function rendezvousScore(key: string, deploymentKey: string, weight = 1): number {
  if (!(weight > 0)) return -Infinity;
  return -weight / Math.log(rendezvousUniform(key, deploymentKey));
}

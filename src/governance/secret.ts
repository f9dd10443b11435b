// Virtual key secrets: `cw-` + 43 base62 characters (256 bits from the OS CSPRNG, rejection-sampled
// so every character is uniform). Only the SHA-256 of the whole secret and a short display prefix
// are ever stored; the secret itself is shown once, at creation or rotation.
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 62^43 > 2^256. */
const SECRET_CHARS = 43;
const SECRET_PATTERN = /^cw-[0-9A-Za-z]{43}$/;
/** Characters of the secret (after `cw-`) kept for display. */
const DISPLAY_CHARS = 4;

/** `count` uniform base62 characters. */
export function randomBase62(count: number): string {
  let out = '';
  while (out.length < count) {
    for (const byte of randomBytes(count + 8)) {
      // 248 = 4 × 62: bytes at or above it would bias the first characters, so they are skipped.
      if (byte < 248) out += ALPHABET.charAt(byte % 62);
      if (out.length === count) break;
    }
  }
  return out;
}

export function generateSecret(): string {
  return `cw-${randomBase62(SECRET_CHARS)}`;
}

/** Whether `secret` has the shape of a costwise key (cheap; says nothing about validity). */
export function isWellFormedSecret(secret: string): boolean {
  return secret.length === SECRET_CHARS + 3 && SECRET_PATTERN.test(secret);
}

/** Hex SHA-256 of the whole secret: the only form in which a secret is stored or looked up. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What lists and logs show, e.g. `cw-AbC1…`. */
export function displayPrefix(secret: string): string {
  return `${secret.slice(0, 3 + DISPLAY_CHARS)}…`;
}

/** Record ids: `key_` / `team_` + 16 base62 characters. */
export function newId(kind: 'key' | 'team'): string {
  return `${kind}_${randomBase62(16)}`;
}

// Sinks for the canonical key text. The hash sink batches small writes into chunks before each
// native `hash.update` call: one update per piece costs a native call per quote and comma, and
// building the whole text first holds a copy of every image in memory. Measured in
// bench/cache.ts ("key sink" rows): 16 KiB chunks are as fast as one string (chat ~10 µs, 20
// tools ~58 µs) with bounded memory; an update per piece is ~1.5x slower.
import * as crypto from 'node:crypto';
import type { TextSink } from './canonical-json.js';

export const HASH_CHUNK_CHARS = 16 * 1024;

export class HashSink implements TextSink {
  /** Created once the text outgrows one chunk: a small key (most chat requests) is hashed in one call. */
  private hash: crypto.Hash | undefined;
  private pending = '';

  constructor(private readonly chunkChars: number = HASH_CHUNK_CHARS) {}

  write(text: string): void {
    if (text.length >= this.chunkChars) {
      this.update(this.pending);
      this.pending = '';
      this.update(text);
      return;
    }
    this.pending += text;
    if (this.pending.length >= this.chunkChars) {
      this.update(this.pending);
      this.pending = '';
    }
  }

  /** The lowercase hex sha256 of everything written. */
  digest(): string {
    const pending = this.pending;
    this.pending = '';
    if (this.hash === undefined) return oneShot(pending);
    if (pending.length > 0) this.hash.update(pending);
    return this.hash.digest('hex');
  }

  private update(text: string): void {
    if (text.length === 0) return;
    (this.hash ??= crypto.createHash('sha256')).update(text);
  }
}

// crypto.hash (Node ≥ 20.12) hashes a string in one native call, without the Hash object (a
// stream) that createHash builds: ~0.5 against ~1.3 µs for a chat request's key text, the same
// digest. Read from the namespace, as a named import would fail to link on an older Node 20.
const hashOnce = typeof crypto.hash === 'function' ? crypto.hash : undefined;

function oneShot(text: string): string {
  return hashOnce !== undefined ? hashOnce('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

export class StringSink implements TextSink {
  text = '';
  write(text: string): void {
    this.text += text;
  }
}

// The Redis value of one entry: everything `get` needs in one GET.
//   byte 0      kind: 1 = UTF-8 string value, 2 = bytes
//   bytes 1..4  header length n (uint32 big-endian)
//   next n      header JSON {"t":tenant,"m":model,"c":createdAt,"x":expiresAt}
//   the rest    the value
import type { CacheEntry, NewCacheEntry } from '../types.js';

const KIND_STRING = 1;
const KIND_BYTES = 2;

export function encodePayload(entry: NewCacheEntry): Buffer {
  const header = Buffer.from(JSON.stringify({ t: entry.tenant, m: entry.model, c: entry.createdAt, x: entry.expiresAt }));
  const v = entry.value;
  const value = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const prefix = Buffer.allocUnsafe(5);
  prefix[0] = typeof v === 'string' ? KIND_STRING : KIND_BYTES;
  prefix.writeUInt32BE(header.length, 1);
  return Buffer.concat([prefix, header, value]);
}

/** The entry in `payload`, or undefined if it is not one this codec wrote. */
export function decodePayload(key: string, payload: Buffer): CacheEntry | undefined {
  if (payload.length < 5) return undefined;
  const kind = payload[0];
  const headerEnd = 5 + payload.readUInt32BE(1);
  if ((kind !== KIND_STRING && kind !== KIND_BYTES) || headerEnd > payload.length) return undefined;
  const h = JSON.parse(payload.toString('utf8', 5, headerEnd)) as { t: string; m: string; c: number; x: number };
  const size = payload.length - headerEnd;
  const value = kind === KIND_STRING ? payload.toString('utf8', headerEnd) : new Uint8Array(payload.buffer, payload.byteOffset + headerEnd, size);
  return { key, tenant: h.t, model: h.m, createdAt: h.c, expiresAt: h.x, value, size };
}

import { randomBytes } from 'node:crypto';

// Request ids: time-ordered prefix + random suffix, cheap to make (one pooled random read per 4096 ids).
let pool = Buffer.alloc(0);
let offset = 0;

export function newRequestId(): string {
  if (offset + 8 > pool.length) {
    pool = randomBytes(8 * 4096);
    offset = 0;
  }
  const rand = pool.toString('hex', offset, offset + 8);
  offset += 8;
  return `cw_${Date.now().toString(36)}${rand}`;
}

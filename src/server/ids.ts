import { randomBytes } from 'node:crypto';

// Request ids: time-ordered (base-36 milliseconds) + a random per-process prefix + a counter, so they
// are unique across processes and restarts and cost one string concatenation to make.
const processTag = randomBytes(5).toString('hex');
let counter = 0;

export function newRequestId(): string {
  counter = (counter + 1) % 1_679_616; // 36^4
  return `cw_${Date.now().toString(36)}${processTag}${counter.toString(36).padStart(4, '0')}`;
}

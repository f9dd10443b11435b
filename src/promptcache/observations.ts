// What one planner tells the others behind the same provider cache: the arrivals it saw (reuse
// statistics) and the requests it sent with breakpoints (what the provider now caches). Replicas
// exchange these in the background (shared-redis.ts) and merge them into their own
// AutoCachePlanner, so each plans from the whole traffic instead of its own share of it.
import { MAX_BREAKPOINTS } from '../providers/anthropic-cache-rules.js';
import type { PromptBlock } from './blocks.js';
import type { Breakpoint } from './planner.js';

/** A request arrived at `at` with these blocks (PrefixStats.observe). */
export interface ArrivalEvent {
  kind: 'arrival';
  namespace: string;
  blocks: readonly PromptBlock[];
  at: number;
}

/**
 * A request with these breakpoints reached the provider at `at` (CacheTracker.record). `blocks`
 * stop at the last breakpoint: the provider's cache entries do not depend on what follows it.
 */
export interface SentEvent {
  kind: 'sent';
  namespace: string;
  model: string;
  blocks: readonly PromptBlock[];
  breakpoints: readonly Breakpoint[];
  at: number;
}

export type PlannerEvent = ArrivalEvent | SentEvent;

/** Block fields on the wire: [hash, tokens, cacheable]. `kind` only guides planning, never merging. */
type WireBlock = [string, number, 0 | 1];

type WireEvent = ['a', string, number, WireBlock[]] | ['s', string, number, WireBlock[], string, Array<[number, 0 | 1]>];

const toWire = (blocks: readonly PromptBlock[]): WireBlock[] => blocks.map((b) => [b.hash, b.tokens, b.cacheable ? 1 : 0]);
const fromWire = (blocks: readonly WireBlock[]): PromptBlock[] => blocks.map(([hash, tokens, c]) => ({ hash, tokens, kind: 'message', cacheable: c === 1 }));

const encodeOne = (e: PlannerEvent): WireEvent =>
  e.kind === 'arrival'
    ? ['a', e.namespace, e.at, toWire(e.blocks)]
    : ['s', e.namespace, e.at, toWire(e.blocks), e.model, e.breakpoints.map((b) => [b.blockIndex, b.ttl === '1h' ? 1 : 0])];

/** Compact JSON of a batch of events (an 80-block Mooncake prompt: ~2.5 KB). */
export function encodeEvents(events: readonly PlannerEvent[]): string {
  return JSON.stringify(events.map(encodeOne));
}

/** The well-formed events of a batch; anything malformed (another version's, or garbage) is skipped, never thrown. */
export function decodeEvents(text: string): PlannerEvent[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(v)) return [];
  const out: PlannerEvent[] = [];
  for (const raw of v as unknown[]) {
    const e = decodeOne(raw);
    if (e) out.push(e);
  }
  return out;
}

const isWireBlock = (v: unknown): v is WireBlock =>
  Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[1] === 'number' && v[1] >= 0 && (v[2] === 0 || v[2] === 1);

/** What the provider would accept: ≤ 4, ascending, no 1h after a 5m (else recording would throw). */
function validBreakpoints(bps: readonly Breakpoint[]): boolean {
  if (bps.length > MAX_BREAKPOINTS) return false;
  for (let i = 1; i < bps.length; i++) {
    if (bps[i]!.blockIndex <= bps[i - 1]!.blockIndex || (bps[i]!.ttl === '1h' && bps[i - 1]!.ttl === '5m')) return false;
  }
  return true;
}

function decodeOne(v: unknown): PlannerEvent | null {
  if (!Array.isArray(v) || typeof v[1] !== 'string' || typeof v[2] !== 'number' || !Array.isArray(v[3]) || !v[3].every(isWireBlock)) return null;
  const [kind, namespace, at, rawBlocks] = v as [unknown, string, number, WireBlock[]];
  const blocks = fromWire(rawBlocks);
  if (kind === 'a' && v.length === 4) return { kind: 'arrival', namespace, blocks, at };
  if (kind !== 's' || v.length !== 6 || typeof v[4] !== 'string' || !Array.isArray(v[5])) return null;
  const breakpoints: Breakpoint[] = [];
  for (const bp of v[5] as unknown[]) {
    if (!Array.isArray(bp) || !Number.isInteger(bp[0]) || (bp[1] !== 0 && bp[1] !== 1)) return null;
    const blockIndex = bp[0] as number;
    if (blockIndex < 0 || blockIndex >= blocks.length || !blocks[blockIndex]!.cacheable) return null;
    breakpoints.push({ blockIndex, ttl: bp[1] === 1 ? '1h' : '5m' });
  }
  if (breakpoints.length === 0 || !validBreakpoints(breakpoints)) return null;
  return { kind: 'sent', namespace, model: v[4], blocks, breakpoints, at };
}

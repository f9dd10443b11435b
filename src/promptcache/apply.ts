// Plan → request: `cacheControl` on the tool / system / message parts the plan names. A request
// that already carries any cache_control (top-level or on any part) is returned untouched: the
// caller's markers always win.
import type { CanonicalMessage, CanonicalRequest, ContentPart } from '../core/canonical.js';
import { blockSlots, type BlockSlot } from './blocks.js';
import type { BreakpointPlan } from './planner.js';
import { cacheControlOf } from './segments.js';

export function hasCallerCacheControl(req: CanonicalRequest): boolean {
  if (req.cacheControl) return true;
  if (req.tools?.some((t) => t.cacheControl)) return true;
  if (req.system.some((p) => p.cacheControl)) return true;
  return req.messages.some((m) => m.content.some(partHasCacheControl));
}

function partHasCacheControl(p: ContentPart): boolean {
  if (p.type === 'thinking') return false;
  if (p.cacheControl) return true;
  return p.type === 'tool_result' && p.content.some((c) => c.cacheControl !== undefined);
}

/** A copy of the request with the plan's breakpoints; the input is never mutated. */
export function applyBreakpoints(req: CanonicalRequest, plan: Pick<BreakpointPlan, 'breakpoints'>): CanonicalRequest {
  if (plan.breakpoints.length === 0 || hasCallerCacheControl(req)) return req;
  const slots = blockSlots(req);
  const out: CanonicalRequest = { ...req, system: [...req.system], messages: [...req.messages] };
  if (req.tools) out.tools = [...req.tools];
  const copied = new Set<number>();
  for (const bp of plan.breakpoints) {
    const slot = slots[bp.blockIndex];
    if (!slot) throw new RangeError(`breakpoint on block ${bp.blockIndex}, but the request has ${slots.length} blocks`);
    mark(out, slot, cacheControlOf(bp.ttl), copied);
  }
  return out;
}

function mark(out: CanonicalRequest, slot: BlockSlot, cc: ReturnType<typeof cacheControlOf>, copied: Set<number>): void {
  switch (slot.kind) {
    case 'tools':
      out.tools![slot.tool] = { ...out.tools![slot.tool]!, cacheControl: cc };
      return;
    case 'system':
      out.system[slot.part] = { ...out.system[slot.part]!, cacheControl: cc };
      return;
    case 'message': {
      if (!copied.has(slot.message)) {
        const m = out.messages[slot.message]!;
        out.messages[slot.message] = { ...m, content: [...m.content] } satisfies CanonicalMessage;
        copied.add(slot.message);
      }
      const content = out.messages[slot.message]!.content;
      const part = content[slot.part]!;
      if (part.type === 'thinking') throw new RangeError('a thinking block cannot carry cache_control');
      content[slot.part] = { ...part, cacheControl: cc };
      return;
    }
  }
}

// Mooncake traces (kvcache-ai/Mooncake): one JSON object per line with `timestamp` (ms),
// `input_length`, `output_length` and `hash_ids`, one id per 512-token prompt block, equal ids
// meaning an identical prefix up to and including that block. Agent traces (eval/agent-trace.ts) add
// `session_id` and the response's `stop_reason`, which the planner's continuation signals read.
import { z } from 'zod';
import { chainHash, type PromptBlock } from './blocks.js';

export const MOONCAKE_BLOCK_TOKENS = 512;

export interface TraceRequest {
  timestamp: number;
  inputLength: number;
  outputLength: number;
  hashIds: number[];
  /** The conversation the request belongs to, when the trace records it. */
  sessionId?: string;
  /** How the request's response ended (`tool_use`, `end_turn`, …), when the trace records it. */
  stopReason?: string;
}

const lineSchema = z.object({
  timestamp: z.number().nonnegative(),
  input_length: z.number().int().positive(),
  output_length: z.number().int().nonnegative(),
  hash_ids: z.array(z.number().int()).min(1),
  session_id: z.union([z.string(), z.number()]).optional(),
  stop_reason: z.string().optional(),
});

export function parseMooncakeTrace(text: string, limit = Infinity): TraceRequest[] {
  const out: TraceRequest[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && out.length < limit; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new Error(`trace line ${i + 1}: not JSON`);
    }
    const r = lineSchema.safeParse(raw);
    if (!r.success) throw new Error(`trace line ${i + 1}: ${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? 'invalid'}`);
    const { timestamp, input_length, output_length, hash_ids, session_id, stop_reason } = r.data;
    const last = input_length - MOONCAKE_BLOCK_TOKENS * (hash_ids.length - 1);
    if (last <= 0 || last > MOONCAKE_BLOCK_TOKENS) {
      throw new Error(`trace line ${i + 1}: input_length ${input_length} does not fit ${hash_ids.length} blocks of ${MOONCAKE_BLOCK_TOKENS}`);
    }
    const prev = out[out.length - 1];
    if (prev && timestamp < prev.timestamp) throw new Error(`trace line ${i + 1}: timestamps must not decrease`);
    const req: TraceRequest = { timestamp, inputLength: input_length, outputLength: output_length, hashIds: hash_ids };
    if (session_id !== undefined) req.sessionId = String(session_id);
    if (stop_reason !== undefined) req.stopReason = stop_reason;
    out.push(req);
  }
  return out;
}

/**
 * Blocks of a trace request: 512 tokens each, the last one `input_length − 512·(n−1)`. The token
 * count is part of the hash, so a partial last block never matches a full block with the same id.
 */
export function blocksOfTraceRequest(req: TraceRequest): PromptBlock[] {
  const n = req.hashIds.length;
  let prev = '';
  return req.hashIds.map((id, i) => {
    const tokens = i === n - 1 ? req.inputLength - MOONCAKE_BLOCK_TOKENS * (n - 1) : MOONCAKE_BLOCK_TOKENS;
    prev = chainHash(prev, `${id}/${tokens}`);
    return { hash: prev, tokens, kind: 'message', cacheable: true };
  });
}

// Mooncake traces (kvcache-ai/Mooncake): JSONL with `timestamp` (ms from the trace start),
// `input_length`, `output_length` and `hash_ids`, one id per 512-token prompt block. Each id
// becomes one text part with text determined by the id alone, so requests that share ids share
// identical leading blocks, and the provider's prompt cache and the gateway's planner see the
// trace's prefix reuse. Lines are validated by the prompt-cache evaluator's own parser.
import { MOONCAKE_BLOCK_TOKENS, parseMooncakeTrace } from '../../promptcache/trace.js';
import { BlockTexts } from '../synth.js';
import type { SyntheticChat } from '../synthetic.js';
import type { Trace, TraceProblem, TraceRequest } from '../types.js';
import { numberedLines } from './lines.js';

/** Relative trace times are placed on the simulated clock from this instant (2024-01-01T00:00Z). */
export const RELATIVE_EPOCH_MS = Date.UTC(2024, 0, 1);

export function readMooncakeTrace(text: string, chat: SyntheticChat): Trace {
  const blocks = new BlockTexts();
  const broken: TraceProblem[] = [];
  const requests: TraceRequest[] = [];
  for (const { line, text: raw } of numberedLines(text)) {
    let parsed;
    try {
      parsed = parseMooncakeTrace(raw)[0]!;
    } catch (err) {
      broken.push({ line, reason: (err as Error).message.replace(/^trace line \d+: /, '') });
      continue;
    }
    const { hashIds, inputLength, outputLength } = parsed;
    requests.push({
      line,
      ts: RELATIVE_EPOCH_MS + parsed.timestamp,
      build: () => {
        const last = hashIds.length - 1;
        // The framing tokens come off the last block, so the whole prompt is input_length tokens.
        const parts = hashIds.map((id, i) => {
          const tokens = i < last ? MOONCAKE_BLOCK_TOKENS : Math.max(1, inputLength - MOONCAKE_BLOCK_TOKENS * last - chat.framing);
          return blocks.get(`mooncake:${id}`, tokens, MOONCAKE_BLOCK_TOKENS);
        });
        return chat.request({ parts, outputTokens: outputLength });
      },
    });
  }
  return { format: 'mooncake', requests, broken, skipped: [] };
}

// EGRESS: upstream `chat.completion.chunk` SSE events → canonical stream events.
// OpenAI chunks have no block boundaries, so they are synthesised: a text run, a reasoning run
// (`reasoning_content`, sent by DeepSeek / vLLM and other compatible servers) and each tool call
// (a new `tool_calls[].index`) is one block. `start` comes from the first chunk with zero usage;
// ONE `finish` comes after the stream ends, with the last usage seen (zero if none was sent).
// A `delta.refusal` is streamed as text (canonical streams have no refusal channel).
import { ZERO_USAGE, type StopReason, type StreamEvent, type Usage } from '../../core/canonical.js';
import type { SseEvent } from '../sse.js';
import { parseOpenAIError, statusForStreamError } from './errors.js';
import { fromOpenAIFinishReason } from './finish-reason.js';
import { malformed } from './upstream.js';
import { parseUsage } from './usage.js';
import { isRecord, type Json } from './validate.js';

export interface ChunkParseOptions {
  /** Provider name for errors (default `openai`). */
  provider?: string;
}

type OpenBlock = { kind: 'text' } | { kind: 'thinking' } | { kind: 'tool'; toolIndex: number };

export async function* openAIChunksToEvents(events: AsyncIterable<SseEvent>, opts: ChunkParseOptions = {}): AsyncGenerator<StreamEvent> {
  const provider = opts.provider ?? 'openai';
  let started = false;
  let done = false;
  let stopReason: StopReason | null = null;
  let usage: Usage = { ...ZERO_USAGE };
  // Block state lives in one object: the helpers below mutate it.
  const st: { index: number; open: OpenBlock | null; closedTools: Set<number> } = { index: -1, open: null, closedTools: new Set() };

  for await (const sse of events) {
    if (sse.data === '[DONE]') {
      done = true;
      break;
    }
    const chunk = parseJson(sse.data, provider);
    if (sse.event === 'error' || chunk.error !== undefined) {
      const body = chunk.error !== undefined ? chunk : { error: chunk };
      throw parseOpenAIError(statusForStreamError(body), body, {}, provider);
    }
    if (!started) {
      started = true;
      yield {
        type: 'start',
        id: typeof chunk.id === 'string' ? chunk.id : '',
        model: typeof chunk.model === 'string' ? chunk.model : '',
        created: typeof chunk.created === 'number' ? chunk.created : Math.floor(Date.now() / 1000),
        usage: { ...ZERO_USAGE },
      };
    }
    if (chunk.usage !== undefined && chunk.usage !== null) usage = parseUsage(chunk.usage, provider);
    const choice = firstChoice(chunk, provider);
    if (!choice) continue;
    const delta = choice.delta;
    if (isRecord(delta)) {
      const reasoning = delta.reasoning_content;
      if (typeof reasoning === 'string' && reasoning !== '') {
        if (st.open?.kind !== 'thinking') yield* switchTo({ kind: 'thinking' }, { type: 'thinking' });
        yield { type: 'thinking_delta', index: st.index, text: reasoning };
      }
      for (const key of ['content', 'refusal'] as const) {
        const text = delta[key];
        if (typeof text !== 'string' || text === '') continue;
        if (st.open?.kind !== 'text') yield* switchTo({ kind: 'text' }, { type: 'text' });
        yield { type: 'text_delta', index: st.index, text };
      }
      const calls = delta.tool_calls;
      if (Array.isArray(calls)) for (const call of calls) yield* toolCallDelta(call);
    }
    if (typeof choice.finish_reason === 'string') {
      stopReason = fromOpenAIFinishReason(choice.finish_reason);
      yield* closeOpen();
    }
  }

  if (!done && stopReason === null) {
    throw malformed('the stream ended before a finish_reason or [DONE]', provider);
  }
  if (!started) yield { type: 'start', id: '', model: '', created: Math.floor(Date.now() / 1000), usage: { ...ZERO_USAGE } };
  yield* closeOpen();
  yield { type: 'finish', stopReason: stopReason ?? 'end_turn', stopSequence: null, usage };

  function* closeOpen(): Generator<StreamEvent> {
    if (st.open === null) return;
    if (st.open.kind === 'tool') st.closedTools.add(st.open.toolIndex);
    st.open = null;
    yield { type: 'block_stop', index: st.index };
  }

  function* switchTo(next: OpenBlock, block: Extract<StreamEvent, { type: 'block_start' }>['block']): Generator<StreamEvent> {
    yield* closeOpen();
    st.open = next;
    st.index++;
    yield { type: 'block_start', index: st.index, block };
  }

  function* toolCallDelta(call: unknown): Generator<StreamEvent> {
    if (!isRecord(call)) throw malformed('a tool_calls delta is not an object', provider);
    const fn = isRecord(call.function) ? call.function : {};
    const toolIndex = typeof call.index === 'number' ? call.index : 0;
    if (st.open?.kind !== 'tool' || st.open.toolIndex !== toolIndex) {
      // Canonical blocks are sequential: a tool call cannot resume once another block started.
      if (st.closedTools.has(toolIndex)) throw malformed(`tool call ${toolIndex} resumed after it was closed`, provider);
      yield* switchTo(
        { kind: 'tool', toolIndex },
        { type: 'tool_call', id: typeof call.id === 'string' ? call.id : '', name: typeof fn.name === 'string' ? fn.name : '' },
      );
    }
    const args = fn.arguments;
    if (typeof args === 'string' && args !== '') yield { type: 'tool_args_delta', index: st.index, partialJson: args };
  }
}

function parseJson(data: string, provider: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw malformed('a stream chunk is not JSON', provider);
  }
  if (!isRecord(value)) throw malformed('a stream chunk is not a JSON object', provider);
  return value;
}

function firstChoice(chunk: Json, provider: string): Json | undefined {
  const choices = chunk.choices;
  if (choices === undefined || choices === null) return undefined;
  if (!Array.isArray(choices)) throw malformed('choices is not an array', provider);
  for (const c of choices) {
    if (isRecord(c) && (c.index === undefined || c.index === 0)) return c;
  }
  return undefined;
}

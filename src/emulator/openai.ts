// OpenAI Chat Completions: `POST /v1/chat/completions`, non-streaming and streaming.
import { EmuError } from './errors.js';
import type { Exchange, Frame } from './exchange.js';
import { isKnownModel } from './models.js';
import { parseOpenAIChat } from './openai-parse.js';
import { analyzePrompt, replyFor, tokensPerPiece, type Reply } from './reply.js';

export function modelNotFound(model: string): EmuError {
  return new EmuError(404, `The model \`${model}\` does not exist or you do not have access to it.`, { code: 'model_not_found' });
}

function finishReason(r: Reply): string {
  if (r.kind === 'tool') return 'tool_calls';
  return r.stop === 'max_tokens' ? 'length' : 'stop';
}

function usageBody(prompt: number, cached: number, completion: number): Record<string, unknown> {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

function messageBody(r: Reply): Record<string, unknown> {
  if (r.kind === 'text') return { role: 'assistant', content: r.text, refusal: null, annotations: [] };
  return {
    role: 'assistant',
    content: null,
    refusal: null,
    annotations: [],
    tool_calls: [{ id: `call_${r.idSuffix}`, type: 'function', function: { name: r.name, arguments: r.arguments } }],
  };
}

export async function handleOpenAIChat(ex: Exchange, body: unknown): Promise<void> {
  const { canon, n } = parseOpenAIChat(body);
  const model = canon.model;
  if (!isKnownModel(model)) throw modelNotFound(model);
  const tier = serviceTier(body, ex);
  const prompt = analyzePrompt(canon, model);
  const replies: Reply[] = [];
  let completion = 0;
  for (let i = 0; i < n; i++) {
    const r = replyFor(ex, canon, model, prompt, i);
    replies.push(r);
    completion += r.outputTokens;
  }
  ex.admit(prompt.tokens, completion);
  const cached = ex.state.openaiCache.lookupAndStore(model, canon.promptCacheKey, prompt.segments, prompt.tokens);
  const usage = usageBody(prompt.tokens, cached, completion);
  const id = `chatcmpl-${ex.state.nextId()}`;
  const created = Math.floor(ex.state.now() / 1000);
  if (!canon.stream) {
    return ex.sendJson(
      {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: replies.map((r, index) => ({ index, message: messageBody(r), logprobs: null, finish_reason: finishReason(r) })),
        usage,
        service_tier: tier,
        system_fingerprint: 'fp_emulator',
      },
      completion,
    );
  }
  const head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"service_tier":"${tier}","system_fingerprint":"fp_emulator","choices":[`;
  const tail = canon.streamUsage ? '],"usage":null}\n\n' : ']}\n\n';
  const frames: Frame[] = [];
  const chunk = (index: number, delta: unknown, finish: string | null, tokens = 0): void => {
    frames.push({ data: `${head}${JSON.stringify({ index, delta, logprobs: null, finish_reason: finish })}${tail}`, tokens });
  };
  replies.forEach((r, index) => {
    if (r.kind === 'text') {
      chunk(index, { role: 'assistant', content: '', refusal: null }, null);
      const per = tokensPerPiece(r.outputTokens, r.pieces.length);
      for (const piece of r.pieces) chunk(index, { content: piece }, null, per);
    } else {
      const call = { index: 0, id: `call_${r.idSuffix}`, type: 'function', function: { name: r.name, arguments: '' } };
      chunk(index, { role: 'assistant', content: null, tool_calls: [call], refusal: null }, null);
      const per = tokensPerPiece(r.outputTokens, r.argumentPieces.length);
      for (const piece of r.argumentPieces) chunk(index, { tool_calls: [{ index: 0, function: { arguments: piece } }] }, null, per);
    }
    chunk(index, {}, finishReason(r));
  });
  if (canon.streamUsage) {
    frames.push({ data: `${head}],"usage":${JSON.stringify(usage)}}\n\n`, tokens: 0 });
  }
  frames.push({ data: 'data: [DONE]\n\n', tokens: 0 });
  return ex.sendStream(frames);
}

/**
 * The tier that served the request, echoed in the response: `flex` and `priority` as asked,
 * anything else `default`. `x-emulator-fault: flex_unavailable` plays flex without capacity
 * (OpenAI's 429 "Resource Unavailable"); a request on another tier is unaffected.
 */
function serviceTier(body: unknown, ex: Exchange): string {
  const asked = (body as { service_tier?: unknown }).service_tier;
  const tier = asked === 'flex' || asked === 'priority' ? asked : 'default';
  if (tier === 'flex' && ex.header('x-emulator-fault') === 'flex_unavailable') {
    throw new EmuError(429, 'Resource Unavailable: flex processing has no capacity for this request right now. Please retry later or use the default tier.', {
      openaiType: 'invalid_request_error',
      code: 'resource_unavailable',
    });
  }
  return tier;
}

// Bedrock InvokeModel for Claude: `POST /model/{id}/invoke` and `/invoke-with-response-stream` with
// Anthropic's own Messages body (`anthropic_version: bedrock-2023-05-31`, no `model`, no `stream`).
// Played by the Anthropic handler (its prompt cache, 1-hour TTLs included); a stream's events go
// out as event-stream `chunk` messages, each event's JSON base64-encoded in `bytes`.
import { encodeEvent, EVENT_STREAM_TYPE } from '../wire/bedrock/event-stream.js';
import { handleAnthropicMessages, type MessagesFraming } from './anthropic.js';
import { emulatedModel, isBedrockModelId } from './bedrock.js';
import { badRequest, EmuError } from './errors.js';
import type { Exchange } from './exchange.js';
import { isObj } from './parse-util.js';

const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

const CHUNKS: MessagesFraming = {
  encode: (event) => encodeEvent('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') }),
  contentType: EVENT_STREAM_TYPE,
};

const malformed = (detail: string): EmuError =>
  badRequest(`Malformed input request: #: ${detail}, please reformat your input and try again.`, null, 'ValidationException');

export function handleInvoke(ex: Exchange, body: unknown, modelId: string, stream: boolean): Promise<void> {
  if (!isBedrockModelId(modelId)) throw new EmuError(400, 'The provided model identifier is invalid.', { code: 'ValidationException' });
  const model = emulatedModel(modelId);
  // Other publishers' bodies (Nova, Llama, Mistral…) differ per model; the emulator plays Claude's.
  if (!model.startsWith('claude-'))
    throw badRequest(`The emulator plays InvokeModel for Anthropic models only, not ${modelId}; use Converse.`, null, 'ValidationException');
  if (!isObj(body)) throw malformed('expected type: JSONObject');
  const { anthropic_version: version, ...rest } = body;
  if (version === undefined) throw malformed('required key [anthropic_version] not found');
  if (version !== BEDROCK_ANTHROPIC_VERSION)
    throw badRequest(`anthropic_version: Invalid value ${JSON.stringify(version)}; expected ${BEDROCK_ANTHROPIC_VERSION}`, null, 'ValidationException');
  for (const key of ['model', 'stream']) if (key in rest) throw malformed(`extraneous key [${key}] is not permitted`);
  return handleAnthropicMessages(ex, { ...rest, model, ...(stream ? { stream: true } : {}) }, stream ? CHUNKS : undefined);
}

// The one internal shape every wire format translates to and from. Later pipeline stages see only
// these types, so an OpenAI-format request can be served by a Claude model and back.
// Modelled on content blocks (as Anthropic does) because that is the richer of the two formats:
// an OpenAI message maps onto blocks losslessly, the reverse needs only tool-message splitting.

export type WireFormat = 'openai' | 'anthropic' | 'gemini';

export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export type ImageSource = { kind: 'url'; url: string } | { kind: 'base64'; mediaType: string; data: string };

export interface TextPart {
  type: 'text';
  text: string;
  cacheControl?: CacheControl;
}

export interface ImagePart {
  type: 'image';
  source: ImageSource;
  /** OpenAI `image_url.detail`; kept so same-format upstreams see it unchanged. */
  detail?: 'auto' | 'low' | 'high';
  cacheControl?: CacheControl;
}

export interface ToolCallPart {
  type: 'tool_call';
  id: string;
  name: string;
  /** JSON text of the arguments, exactly as produced (OpenAI keeps it as a string). */
  arguments: string;
  cacheControl?: CacheControl;
}

export interface ToolResultPart {
  type: 'tool_result';
  toolCallId: string;
  content: Array<TextPart | ImagePart>;
  isError?: boolean;
  cacheControl?: CacheControl;
}

export interface ThinkingPart {
  type: 'thinking';
  text: string;
  signature?: string;
}

export type ContentPart = TextPart | ImagePart | ToolCallPart | ToolResultPart | ThinkingPart;

export interface CanonicalMessage {
  role: 'user' | 'assistant';
  content: ContentPart[];
  /** OpenAI `name` on a message; carried for same-format upstreams. */
  name?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  strict?: boolean;
  cacheControl?: CacheControl;
  /** Anthropic `eager_input_streaming`: stream the arguments without buffering; delivery only (other providers stream them anyway). */
  eagerInputStreaming?: boolean;
}

export type ToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; name: string };

export type ResponseFormat =
  { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; name: string; schema: Record<string, unknown>; strict?: boolean; description?: string };

export interface CanonicalRequest {
  /** Model name as the caller asked for it (a catalog public name). */
  model: string;
  system: TextPart[];
  messages: CanonicalMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  stream: boolean;
  /** The client asked to see usage in the stream (OpenAI `stream_options.include_usage`). */
  streamUsage: boolean;
  /** End-user identifier (OpenAI `user` / `safety_identifier`, Anthropic `metadata.user_id`). */
  user?: string;
  promptCacheKey?: string;
  reasoningEffort?: string;
  thinking?: { type: 'enabled'; budgetTokens: number } | { type: 'disabled' };
  /** Anthropic top-level automatic `cache_control`. */
  cacheControl?: CacheControl;
  /**
   * Fields the ingress format has that the canonical shape does not model, kept verbatim.
   * They are forwarded only to an upstream of the same format; otherwise each one becomes a
   * warning (never silently dropped).
   */
  passthrough: { format: WireFormat; fields: Record<string, unknown> };
}

/** A request with nothing in it yet (before parsing), in the given wire format. */
export function emptyRequest(format: WireFormat): CanonicalRequest {
  return { model: '', system: [], messages: [], stream: false, streamUsage: false, passthrough: { format, fields: {} } };
}

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'content_filter' | 'refusal' | 'pause_turn';

/** Tokens by billing class. `inputTokens` excludes cache reads and writes. */
export interface Usage {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  /** Billed output, reasoning included. */
  outputTokens: number;
  /** The reasoning share of outputTokens (informational; already inside outputTokens). */
  reasoningTokens: number;
}

export const ZERO_USAGE: Readonly<Usage> = Object.freeze({
  inputTokens: 0,
  cacheReadTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
});

export function totalInputTokens(u: Usage): number {
  return u.inputTokens + u.cacheReadTokens + u.cacheWrite5mTokens + u.cacheWrite1hTokens;
}

export interface CanonicalResponse {
  id: string;
  /** Upstream model id as reported by the provider. */
  model: string;
  content: Array<TextPart | ToolCallPart | ThinkingPart>;
  stopReason: StopReason;
  stopSequence: string | null;
  usage: Usage;
  /** A refusal message (OpenAI `message.refusal`), if any. */
  refusal?: string;
  created: number;
  /** The OpenAI service tier that served it (`flex`, `priority`), when not the default. */
  serviceTier?: 'flex' | 'priority';
}

// Streams: a sequence of content blocks, each started, filled by deltas and stopped, framed by
// `start` and `finish`. Producers for formats without explicit blocks (OpenAI chunks) synthesise
// the block boundaries; consumers for such formats drop them.
export type StreamBlock = { type: 'text' } | { type: 'tool_call'; id: string; name: string } | { type: 'thinking' };

export type StreamEvent =
  | { type: 'start'; id: string; model: string; created: number; usage: Usage }
  | { type: 'block_start'; index: number; block: StreamBlock }
  | { type: 'text_delta'; index: number; text: string }
  | { type: 'tool_args_delta'; index: number; partialJson: string }
  | { type: 'thinking_delta'; index: number; text: string }
  | { type: 'signature_delta'; index: number; signature: string }
  | { type: 'block_stop'; index: number }
  /** Final stop reason and the CUMULATIVE usage of the whole request. */
  | { type: 'finish'; stopReason: StopReason; stopSequence: string | null; usage: Usage };

export interface EmbeddingRequest {
  model: string;
  input: string[];
  /** The caller's wire shape: a single string in, a single item out. */
  inputWasString: boolean;
  encodingFormat: 'float' | 'base64';
  dimensions?: number;
  user?: string;
}

export interface EmbeddingResponse {
  model: string;
  embeddings: number[][];
  usage: { inputTokens: number };
}

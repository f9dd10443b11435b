// What of a CanonicalRequest goes into the exact-cache key: every field of every request type is
// named here, either with an encoder or with the reason it is excluded. A field added to
// core/canonical.ts is a type error here until someone decides (Rules<T> is exhaustive).
//
// Provider defaults dropped (each equal to "absent" for OpenAI, Anthropic and Gemini alike):
//   toolChoice {type:'auto'} when tools are given · parallelToolCalls true · responseFormat
//   {type:'text'} · tool.strict false · image detail 'auto' · toolResult isError false ·
//   stop [] · tools [] · passthrough with no fields.
// Kept although it may equal a default (the default differs by provider or model, or is not
// documented): temperature 1, topP 1, thinking {type:'disabled'}, maxTokens, reasoningEffort.
import type {
  CanonicalMessage,
  CanonicalRequest,
  ContentPart,
  ImagePart,
  TextPart,
  ThinkingPart,
  ToolCallPart,
  ToolDefinition,
  ToolResultPart,
} from '../../core/canonical.js';
import { canonicalJson, canonicalJsonText, quote, type TextSink } from './canonical-json.js';

/** State shared while one request is encoded. */
export interface EncodeContext {
  readonly request: CanonicalRequest;
  /** Tool-call id → ordinal of first appearance (see `toolCallRef`). */
  readonly toolIds: Map<string, number>;
}

type Encode<V> = (value: V, out: TextSink, ctx: EncodeContext) => void;
type Rule<V> = { encode: Encode<V>; isDefault?: (value: V, ctx: EncodeContext) => boolean } | { excluded: string };
/** One rule per field of T, optional ones included: exhaustive by construction. */
export type Rules<T> = { readonly [K in keyof T]-?: Rule<Exclude<T[K], undefined>> };

interface CompiledRule {
  name: string;
  quoted: string;
  encode: Encode<never>;
  isDefault: ((value: never, ctx: EncodeContext) => boolean) | undefined;
}

/** The encoded fields of a rule table, in sorted name order (excluded ones dropped). */
export function compile<T>(rules: Rules<T>): readonly CompiledRule[] {
  const out: CompiledRule[] = [];
  for (const name of Object.keys(rules).sort()) {
    const rule = (rules as Record<string, Rule<never>>)[name]!;
    if ('excluded' in rule) continue;
    out.push({ name, quoted: quote(name), encode: rule.encode, isDefault: rule.isDefault });
  }
  return out;
}

/** `{"field":value,...}` over the encoded, non-default, defined fields of `record`. */
export function writeRecord(record: object, fields: readonly CompiledRule[], out: TextSink, ctx: EncodeContext): void {
  out.write('{');
  let first = true;
  for (const field of fields) {
    const value = (record as Record<string, unknown>)[field.name];
    if (value === undefined) continue;
    // each rule takes its own field's type, which `compile` erased to `never`
    if (field.isDefault !== undefined && field.isDefault(value as never, ctx)) continue;
    out.write(first ? field.quoted : ',' + field.quoted);
    out.write(':');
    field.encode(value as never, out, ctx);
    first = false;
  }
  out.write('}');
}

const EXCLUDED_CACHE_CONTROL = { excluded: 'a provider prompt-cache hint; the answer is the same' } as const;
const json: Encode<unknown> = (v, out) => out.write(canonicalJson(v));
const str: Encode<string> = (v, out) => out.write(quote(v));

function list<V>(item: Encode<V>): Encode<readonly V[]> {
  return (values, out, ctx) => {
    out.write('[');
    for (let i = 0; i < values.length; i++) {
      if (i > 0) out.write(',');
      item(values[i]!, out, ctx);
    }
    out.write(']');
  };
}

/**
 * Tool-call ids are provider-generated (call_…, toolu_…) and only link a result to its call, so
 * they are replaced by the ordinal of their first appearance: the same conversation carried
 * through either wire format, or with ids re-minted, shares an entry, and the call/result
 * pairing is still part of the key. An id never seen on a call stays verbatim, tagged apart.
 */
function toolCallRef(id: string, out: TextSink, ctx: EncodeContext, define: boolean): void {
  let ordinal = ctx.toolIds.get(id);
  if (ordinal === undefined && define) {
    ordinal = ctx.toolIds.size;
    ctx.toolIds.set(id, ordinal);
  }
  out.write(ordinal === undefined ? `{"unlinked":${quote(id)}}` : `{"call":${ordinal}}`);
}

const TEXT_PART: Rules<TextPart> = { type: { encode: str }, text: { encode: str }, cacheControl: EXCLUDED_CACHE_CONTROL };
const IMAGE_PART: Rules<ImagePart> = {
  type: { encode: str },
  source: { encode: json }, // url, or media type + base64 data: the image itself
  detail: { encode: str, isDefault: (v) => v === 'auto' },
  cacheControl: EXCLUDED_CACHE_CONTROL,
};
const TOOL_CALL_PART: Rules<ToolCallPart> = {
  type: { encode: str },
  id: { encode: (id, out, ctx) => toolCallRef(id, out, ctx, true) },
  name: { encode: str },
  arguments: { encode: (text, out) => out.write(canonicalJsonText(text)) },
  cacheControl: EXCLUDED_CACHE_CONTROL,
};
const TEXT_PART_FIELDS = compile(TEXT_PART);
const IMAGE_PART_FIELDS = compile(IMAGE_PART);
const resultItem: Encode<TextPart | ImagePart> = (part, out, ctx) => writeRecord(part, part.type === 'text' ? TEXT_PART_FIELDS : IMAGE_PART_FIELDS, out, ctx);
const TOOL_RESULT_PART: Rules<ToolResultPart> = {
  type: { encode: str },
  toolCallId: { encode: (id, out, ctx) => toolCallRef(id, out, ctx, false) },
  content: { encode: list(resultItem) },
  isError: { encode: json, isDefault: (v) => !v },
  cacheControl: EXCLUDED_CACHE_CONTROL,
};
const THINKING_PART: Rules<ThinkingPart> = {
  type: { encode: str },
  text: { encode: str },
  // Opaque but bound to the thinking text; kept, as the provider verifies it.
  signature: { encode: str },
};

const PART_FIELDS: { readonly [K in ContentPart['type']]: readonly CompiledRule[] } = {
  text: TEXT_PART_FIELDS,
  image: IMAGE_PART_FIELDS,
  tool_call: compile(TOOL_CALL_PART),
  tool_result: compile(TOOL_RESULT_PART),
  thinking: compile(THINKING_PART),
};
const part: Encode<ContentPart> = (p, out, ctx) => writeRecord(p, PART_FIELDS[p.type], out, ctx);

const MESSAGE_FIELDS = compile<CanonicalMessage>({
  role: { encode: str },
  content: { encode: list(part) },
  name: { encode: str }, // OpenAI participant name: part of the prompt
});
const TOOL_FIELDS = compile<ToolDefinition>({
  name: { encode: str },
  description: { encode: str },
  parameters: { encode: json },
  strict: { encode: json, isDefault: (v) => !v },
  cacheControl: EXCLUDED_CACHE_CONTROL,
  eagerInputStreaming: { excluded: 'how the arguments are delivered, not what they are' },
});

export const REQUEST_RULES: Rules<CanonicalRequest> = {
  model: { excluded: 'the scope model (what the caller asked for) is hashed in the key header instead' },
  system: { encode: list((p: TextPart, out, ctx) => writeRecord(p, TEXT_PART_FIELDS, out, ctx)) },
  messages: { encode: list((m: CanonicalMessage, out, ctx) => writeRecord(m, MESSAGE_FIELDS, out, ctx)) },
  maxTokens: { encode: json },
  temperature: { encode: json },
  topP: { encode: json },
  topK: { encode: json },
  stop: { encode: list(str), isDefault: (v) => v.length === 0 }, // order kept
  seed: { encode: json },
  tools: { encode: list((t: ToolDefinition, out, ctx) => writeRecord(t, TOOL_FIELDS, out, ctx)), isDefault: (v) => v.length === 0 },
  toolChoice: { encode: json, isDefault: (v, ctx) => v.type === 'auto' && (ctx.request.tools?.length ?? 0) > 0 },
  parallelToolCalls: { encode: json, isDefault: (v) => v },
  responseFormat: { encode: json, isDefault: (v) => v.type === 'text' },
  stream: { excluded: 'delivery only; a cached answer is replayed as a stream or not' },
  streamUsage: { excluded: 'delivery only' },
  user: { excluded: 'end-user id for abuse tracking; does not change the answer' },
  promptCacheKey: { excluded: 'a provider prompt-cache routing hint' },
  reasoningEffort: { encode: str },
  thinking: { encode: json },
  cacheControl: EXCLUDED_CACHE_CONTROL,
  // The format tag is kept only with fields: the same field name can mean different things in
  // two formats. Passthrough fields are all kept (unknown fields may change the answer).
  passthrough: { encode: json, isDefault: (v) => isEmpty(v.fields) },
};

export const REQUEST_FIELDS = compile(REQUEST_RULES);

function isEmpty(record: Record<string, unknown>): boolean {
  for (const _ in record) return false;
  return true;
}

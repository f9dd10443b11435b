// Schemas of the providers' JSON bodies (OpenAI, Anthropic, Gemini) as the suites read them, from
// the emulator or through the gateway; see ./json.ts for how they are used. Each names only what
// tests read: the bodies carry more.
import { z } from 'zod';

/** The usage of an OpenAI chat completion. */
export const ChatUsage = z.object({
  prompt_tokens: z.number(),
  completion_tokens: z.number(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().optional() }).nullish(),
});

/** An OpenAI chat completion, as far as tests read it. */
export const ChatCompletionBody = z.object({ usage: ChatUsage });

/** An error body in OpenAI's shape. */
export const OpenAIErrorBody = z.object({
  error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }),
});

/** An error body in Anthropic's shape. */
export const AnthropicErrorBody = z.object({
  type: z.string(),
  error: z.object({ type: z.string(), message: z.string() }),
  request_id: z.string().optional(),
});

/** An error body in OpenAI's or Anthropic's shape: `error` has a type and a message either way; `param` and `code` only OpenAI's, `type` beside it only Anthropic's. */
export const ErrorBody = z.object({
  type: z.string().optional(),
  error: z.object({ type: z.string(), message: z.string(), param: z.string().nullish(), code: z.string().nullish() }),
  request_id: z.string().optional(),
});

/** An error body in Gemini's shape. */
export const GeminiErrorBody = z.object({ error: z.object({ code: z.number(), message: z.string(), status: z.string() }) });

/** At least one `item`, typed so that the first needs no check. */
const nonEmpty = <T extends z.ZodType>(item: T) => z.tuple([item], item);

const GeminiPart = z.object({ text: z.string().optional(), functionCall: z.unknown().optional() });

const GeminiUsage = z.object({
  promptTokenCount: z.number(),
  candidatesTokenCount: z.number(),
  totalTokenCount: z.number(),
  cachedContentTokenCount: z.number().optional(),
});

const GeminiCandidate = z.object({
  content: z.object({ role: z.string(), parts: nonEmpty(GeminiPart) }),
  finishReason: z.string().optional(),
});

/** A Gemini generateContent answer. */
export const GeminiReply = z.object({ candidates: nonEmpty(GeminiCandidate), usageMetadata: GeminiUsage });

/** A chunk of a Gemini streamGenerateContent answer: usage only in the last. */
export const GeminiChunk = z.object({ candidates: nonEmpty(GeminiCandidate), usageMetadata: GeminiUsage.optional() });

/** A Gemini `cachedContents` resource. */
export const GeminiCache = z.object({
  name: z.string(),
  model: z.string(),
  displayName: z.string().optional(),
  createTime: z.string(),
  updateTime: z.string(),
  expireTime: z.string(),
  usageMetadata: z.object({ totalTokenCount: z.number() }),
});

/** A line of an OpenAI batch output or error file; `response.body` is the provider-shaped answer, read through another schema. */
export const OutputLine = z.object({
  id: z.string(),
  custom_id: z.string().nullable(),
  response: z.object({ status_code: z.number(), request_id: z.string(), body: z.unknown() }).nullable(),
  error: z.object({ code: z.string(), message: z.string(), param: z.string().nullable().optional(), line: z.number().optional() }).nullable(),
});
export type OutputLine = z.infer<typeof OutputLine>;

/** An OpenAI chat completion: object, usage and each choice's text. */
export const ChatCompletionReply = z.object({
  object: z.string(),
  model: z.string(),
  usage: ChatUsage,
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })),
});

/** An OpenAI embeddings answer. */
export const EmbeddingsReply = z.object({
  usage: z.object({ prompt_tokens: z.number(), total_tokens: z.number() }),
  data: z.array(z.object({ embedding: z.array(z.number()) })),
});

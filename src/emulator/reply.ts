// What the emulated model answers, independent of wire format: a text reply or one tool call.
// The reply is a function of (model, prompt content, seed, choice index) only.
import type { CanonicalRequest, ResponseFormat, ToolDefinition } from '../core/canonical.js';
import { countTextTokens, decodeTokens, encodeText, layoutPrompt, type PromptSegment } from '../tokens/count.js';
import { badRequest } from './errors.js';
import { hashString, RunningHash } from '../core/running-hash.js';
import { prng, randomId } from './hash.js';
import { generatePieces, splitPieces } from './text-gen.js';
import { argumentsForSchema } from './tool-args.js';
import type { RecordedAnswers } from './outcomes.js';

export interface Prompt {
  segments: PromptSegment[];
  tokens: number;
  /** 32-bit digest of the whole prompt content. */
  digest: number;
}

export function analyzePrompt(req: CanonicalRequest, model: string): Prompt {
  const segments = layoutPrompt(req, model);
  const h = new RunningHash(hashString(model));
  let tokens = 0;
  for (const s of segments) {
    tokens += s.tokens;
    h.strDigest(s.text ?? s.tag);
  }
  return { segments, tokens, digest: h.digest32() };
}

export type TextStop = 'end_turn' | 'max_tokens' | 'stop_sequence';

export interface TextReply {
  kind: 'text';
  text: string;
  /** Stream chunks; `pieces.join('') === text`. */
  pieces: string[];
  outputTokens: number;
  stop: TextStop;
  stopSequence: string | null;
}

export interface ToolReply {
  kind: 'tool';
  /** Random id body; each format adds its prefix (`call_`, `toolu_`). */
  idSuffix: string;
  name: string;
  arguments: string;
  argumentPieces: string[];
  outputTokens: number;
}

export type Reply = TextReply | ToolReply;

export interface ReplyOptions {
  req: CanonicalRequest;
  model: string;
  prompt: Prompt;
  seed: number;
  choice?: number;
  /** `x-emulator-output-tokens`: exact output length (still capped by max tokens). */
  forcedTokens?: number;
  /** `x-emulator-echo`: answer with the last user message's text. */
  echo?: boolean;
  /** Recorded answers (./outcomes.ts): a recorded prompt gets its recorded text instead of generated words. */
  answers?: RecordedAnswers | undefined;
}

export function makeReply(o: ReplyOptions): Reply {
  const rand = prng(o.prompt.digest ^ Math.imul(o.seed, 0x9e3779b1) ^ Math.imul((o.choice ?? 0) + 1, 0x85ebca6b));
  const max = o.req.maxTokens;
  if (o.echo) return applyStop(echoReply(o.req, o.model, max), o.req.stop, o.model);
  const tool = chooseTool(o.req);
  if (tool) {
    const args = argumentsForSchema(tool.parameters);
    return {
      kind: 'tool',
      idSuffix: randomId(rand, 24),
      name: tool.name,
      arguments: args,
      argumentPieces: args.match(/[\s\S]{1,12}/g) ?? [],
      outputTokens: countTextTokens(tool.name, o.model) + countTextTokens(args, o.model),
    };
  }
  const format = o.req.responseFormat;
  if (format !== undefined && format.type !== 'text') return jsonReply(format, o.model, max);
  const recorded = o.answers?.answer(o.model, lastUserText(o.req));
  if (recorded !== undefined) return applyStop(fixedReply(recorded, o.model, max), o.req.stop, o.model);
  const wanted = o.forcedTokens ?? 20 + Math.floor(rand() * 101);
  const n = max !== undefined ? Math.min(wanted, max) : wanted;
  const pieces = generatePieces(o.model, n, rand);
  const reply: TextReply = {
    kind: 'text',
    text: pieces.join(''),
    pieces,
    outputTokens: n,
    stop: n < wanted ? 'max_tokens' : 'end_turn',
    stopSequence: null,
  };
  return applyStop(reply, o.req.stop, o.model);
}

function chooseTool(req: CanonicalRequest): ToolDefinition | null {
  const tools = req.tools;
  if (!tools || tools.length === 0) return null;
  const choice = req.toolChoice ?? { type: 'auto' };
  if (choice.type === 'none') return null;
  const last = req.messages[req.messages.length - 1];
  if (!last || last.role !== 'user' || last.content.some((p) => p.type === 'tool_result')) return null;
  if (choice.type === 'tool') return tools.find((t) => t.name === choice.name) ?? { name: choice.name, parameters: {} };
  return tools[0] ?? null;
}

/** The text of the last user message (its text parts, concatenated). */
export function lastUserText(req: CanonicalRequest): string {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const m = req.messages[i]!;
    if (m.role !== 'user') continue;
    let text = '';
    for (const p of m.content) if (p.type === 'text') text += p.text;
    return text;
  }
  return '';
}

function echoReply(req: CanonicalRequest, model: string, max: number | undefined): TextReply {
  return fixedReply(lastUserText(req), model, max);
}

/** A JSON reply satisfying the requested schema (`{}` for plain JSON mode), as structured outputs answer. */
function jsonReply(format: ResponseFormat, model: string, max: number | undefined): TextReply {
  return fixedReply(format.type === 'json_schema' ? argumentsForSchema(format.schema) : '{}', model, max);
}

/** A given text as the reply, cut at `max` tokens; usage is the text's own token count. */
function fixedReply(answer: string, model: string, max: number | undefined): TextReply {
  let text = answer;
  let outputTokens = countTextTokens(text, model);
  let stop: TextStop = 'end_turn';
  if (max !== undefined && outputTokens > max) {
    text = decodeTokens(encodeText(text, model).slice(0, max), model);
    outputTokens = max;
    stop = 'max_tokens';
  }
  return { kind: 'text', text, pieces: splitPieces(text), outputTokens, stop, stopSequence: null };
}

/** Cuts the reply before the earliest stop sequence it contains. */
function applyStop(reply: TextReply, stops: string[] | undefined, model: string): TextReply {
  if (!stops || stops.length === 0) return reply;
  let at = -1;
  let which: string | null = null;
  for (const s of stops) {
    if (s.length === 0) continue;
    const i = reply.text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) {
      at = i;
      which = s;
    }
  }
  if (at < 0) return reply;
  const text = reply.text.slice(0, at);
  return { kind: 'text', text, pieces: splitPieces(text), outputTokens: countTextTokens(text, model), stop: 'stop_sequence', stopSequence: which };
}

export const MAX_FORCED_TOKENS = 1_000_000;

/** The emulator's own request headers: `x-emulator-output-tokens: N`, `x-emulator-echo: 1`. */
/** What replyFor needs of an exchange: its headers and the emulator's seed and recorded answers. */
export interface ReplySource {
  header(name: string): string | undefined;
  readonly state: { readonly seed: number; readonly outcomes: RecordedAnswers | undefined };
}

/** The reply every format's handler renders: the request's `x-emulator-*` directives applied, a recorded answer where there is one. */
export function replyFor(src: ReplySource, req: CanonicalRequest, model: string, prompt: Prompt, choice = 0): Reply {
  const d = directives((h) => src.header(h));
  return makeReply({
    req,
    model,
    prompt,
    seed: src.state.seed,
    choice,
    echo: d.echo,
    answers: src.state.outcomes,
    ...(d.forcedTokens !== undefined ? { forcedTokens: d.forcedTokens } : {}),
  });
}

/** The stop reason of the Messages and Converse formats: a tool call ends in `tool_use`. */
export function messagesStopReason(r: Reply): string {
  return r.kind === 'tool' ? 'tool_use' : r.stop;
}

export function directives(header: (name: string) => string | undefined): { forcedTokens?: number; echo: boolean } {
  const out: { forcedTokens?: number; echo: boolean } = { echo: header('x-emulator-echo') === '1' };
  const forced = header('x-emulator-output-tokens');
  if (forced !== undefined) {
    const n = /^\s*\d+\s*$/.test(forced) ? Number(forced) : NaN;
    if (!(n <= MAX_FORCED_TOKENS)) throw badRequest(`x-emulator-output-tokens must be an integer from 0 to ${MAX_FORCED_TOKENS}.`);
    out.forcedTokens = n;
  }
  return out;
}

/** Distributes a reply's output tokens over its stream pieces (for pacing). */
export function tokensPerPiece(outputTokens: number, pieces: number): number {
  return pieces === 0 ? 0 : outputTokens / pieces;
}

// Canonical messages → Gemini `contents`: roles user/model, consecutive same-role turns merged,
// tool calls as `functionCall` parts and tool results as `functionResponse` parts whose NAME is
// looked up from the earlier tool call with the same id (Gemini keys responses by name).
import type { CanonicalMessage, ImagePart, ToolCallPart, ToolResultPart } from '../../core/canonical.js';
import { invalidRequest } from '../../core/errors.js';
import { SIGNATURE_PREFIX, SKIP_SIGNATURE_SENTINEL, notSent, type GeminiContent, type GeminiPart } from './types.js';

export interface ContentsOptions {
  /** Give every model turn's first function call a thought signature (Gemini 3+ requires one). */
  requireCallSignatures: boolean;
}

export function toGeminiContents(messages: CanonicalMessage[], warnings: string[], options: ContentsOptions): GeminiContent[] {
  const callNames = new Map<string, string>();
  const contents: GeminiContent[] = [];
  messages.forEach((message, i) => {
    if (message.name !== undefined) pushOnce(warnings, notSent('messages[].name'));
    const role = message.role === 'user' ? 'user' : 'model';
    const parts = toParts(message, i, { callNames, warnings });
    if (parts.length === 0) return; // Gemini rejects a turn without parts
    const last = contents.at(-1);
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  });
  if (options.requireCallSignatures) {
    for (const content of contents) if (content.role === 'model') ensureCallSignature(content.parts);
  }
  return contents;
}

interface PartCtx {
  /** tool call id → function name, from the tool calls seen so far (latest wins). */
  callNames: Map<string, string>;
  warnings: string[];
}

function toParts(message: CanonicalMessage, i: number, ctx: PartCtx): GeminiPart[] {
  const parts: GeminiPart[] = [];
  // A Gemini signature travels in a canonical thinking part placed just before the part it
  // belonged to (see ./blocks.ts); it is put back on the next part written.
  let pending: string | undefined;
  const emit = (part: GeminiPart): void => {
    if (pending !== undefined) {
      part.thoughtSignature = pending;
      pending = undefined;
    }
    parts.push(part);
  };
  message.content.forEach((part, j) => {
    const path = `messages[${i}].content[${j}]`;
    switch (part.type) {
      case 'text':
        emit({ text: part.text });
        break;
      case 'image': {
        const image = imagePart(part, path, ctx.warnings);
        if (image) emit(image);
        break;
      }
      case 'tool_call':
        ctx.callNames.set(part.id, part.name);
        emit({ functionCall: { id: part.id, name: part.name, args: parseArgs(part, path) } });
        break;
      case 'tool_result':
        for (const p of toolResultParts(part, path, ctx)) emit(p);
        break;
      case 'thinking':
        // Thought text is not sent back (Gemini does not take its own summaries as input, and it
        // would be billed as input); only Gemini's own signatures matter.
        if (part.signature?.startsWith(SIGNATURE_PREFIX)) pending = part.signature.slice(SIGNATURE_PREFIX.length);
        break;
    }
  });
  const last = parts.at(-1);
  if (pending !== undefined && last && last.thoughtSignature === undefined) last.thoughtSignature = pending;
  return parts;
}

function parseArgs(part: ToolCallPart, path: string): Record<string, unknown> {
  if (part.arguments.trim() === '') return {};
  let args: unknown;
  try {
    args = JSON.parse(part.arguments);
  } catch {
    throw invalidRequest(`tool call "${part.name}" has arguments that are not valid JSON`, `${path}.arguments`);
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw invalidRequest(`tool call "${part.name}" arguments must be a JSON object for gemini`, `${path}.arguments`);
  }
  return args as Record<string, unknown>;
}

function toolResultParts(part: ToolResultPart, path: string, ctx: PartCtx): GeminiPart[] {
  const name = ctx.callNames.get(part.toolCallId);
  if (name === undefined) {
    throw invalidRequest(`tool result "${part.toolCallId}" does not answer any earlier tool call (gemini needs the function name)`, `${path}.toolCallId`);
  }
  const text = part.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n');
  // Gemini's convention: `error` for a failed call, any other key for the output.
  const response = part.isError ? { error: text } : { content: text };
  const out: GeminiPart[] = [{ functionResponse: { id: part.toolCallId, name, response } }];
  // Images returned by a tool follow the function response as ordinary parts of the same turn.
  part.content.forEach((c, k) => {
    if (c.type !== 'image') return;
    const image = imagePart(c, `${path}.content[${k}]`, ctx.warnings);
    if (image) out.push(image);
  });
  return out;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  heif: 'image/heif',
};

function imagePart(part: ImagePart, path: string, warnings: string[]): GeminiPart | null {
  if (part.detail !== undefined && part.detail !== 'auto') pushOnce(warnings, notSent('image detail'));
  const source = part.source;
  if (source.kind === 'base64') return { inlineData: { mimeType: source.mediaType, data: source.data } };
  const dataUrl = /^data:([^;,]+);base64,(.*)$/s.exec(source.url);
  if (dataUrl) return { inlineData: { mimeType: dataUrl[1] ?? '', data: dataUrl[2] ?? '' } };
  const mimeType = guessMimeType(source.url);
  if (mimeType === undefined) {
    warnings.push(`the image at ${path} was not sent: gemini needs its media type and none could be guessed from the URL`);
    return null;
  }
  return { fileData: { fileUri: source.url, mimeType } };
}

export function guessMimeType(url: string): string | undefined {
  let pathname: string;
  try {
    pathname = new URL(url).pathname;
  } catch {
    pathname = url;
  }
  const ext = /\.([a-z0-9]+)$/i.exec(pathname)?.[1]?.toLowerCase();
  return ext === undefined ? undefined : MIME_BY_EXTENSION[ext];
}

function ensureCallSignature(parts: GeminiPart[]): void {
  // Parallel calls carry one signature, on the first call; later ones need none.
  const first = parts.find((p) => 'functionCall' in p);
  if (first && first.thoughtSignature === undefined) first.thoughtSignature = SKIP_SIGNATURE_SENTINEL;
}

export function pushOnce(warnings: string[], warning: string): void {
  if (!warnings.includes(warning)) warnings.push(warning);
}

// The lossless rewrite of a canonical request: the same content in fewer tokens, deterministic
// (the same request always gives byte-identical output, so a rewritten prefix stays cacheable).
//   - prose: whitespace runs collapsed outside code (./whitespace.ts); a text that is a JSON document is compacted;
//   - tool results and tool-call arguments that are JSON objects or arrays: compact (./json-compact.ts);
//     other tool-result text is left as is (a file an agent read must stay byte-exact for its edits);
//   - tools: exact duplicate definitions dropped, empty descriptions dropped;
//   - empty text parts dropped (a message keeps at least one part).
// Nothing up to the caller's last `cache_control` marker is changed unless `cachedPrefix` is
// `optimize`: the caller's cache entries were written for those exact bytes. A top-level (automatic)
// `cache_control` covers the whole prompt.
import type { CanonicalMessage, CanonicalRequest, ContentPart, TextPart, ToolDefinition } from '../../core/canonical.js';
import { compactJson } from './json-compact.js';
import { collapseWhitespace } from './whitespace.js';

export interface LosslessOptions {
  /** `keep` (default): the caller's cache_control prefix is left byte for byte. */
  cachedPrefix: 'keep' | 'optimize';
}

/** The rewritten request, or the same object when nothing changed. */
export function optimizeLossless(req: CanonicalRequest, opts: LosslessOptions): CanonicalRequest {
  const frozen = opts.cachedPrefix === 'keep' ? callerPrefix(req) : NOTHING_FROZEN;
  if (frozen.all) return req;
  const tools = req.tools ? optimizeTools(req.tools, frozen.tools) : undefined;
  const system = frozen.system >= req.system.length ? req.system : optimizeTextParts(req.system, frozen.system);
  let messages = req.messages;
  for (let i = Math.max(0, frozen.messages); i < req.messages.length; i++) {
    const m = req.messages[i]!;
    const content = optimizeContent(m.content, i === frozen.messages ? frozen.partsOfLast : 0);
    if (content !== m.content) {
      if (messages === req.messages) messages = req.messages.slice();
      messages[i] = withContent(m, content);
    }
  }
  if (tools === req.tools && system === req.system && messages === req.messages) return req;
  const out: CanonicalRequest = { ...req, system, messages };
  if (tools !== undefined) out.tools = tools;
  return out;
}

/** How much of the request the caller's cache_control markers cover (counts of leading items). */
interface Frozen {
  all: boolean;
  tools: number;
  system: number;
  /** Messages before this index are frozen; in this one, the first `partsOfLast` parts. */
  messages: number;
  partsOfLast: number;
}

const NOTHING_FROZEN: Frozen = { all: false, tools: 0, system: 0, messages: 0, partsOfLast: 0 };
const ALL_FROZEN: Frozen = { all: true, tools: 0, system: 0, messages: 0, partsOfLast: 0 };

/** Anthropic's prefix order: tools, system, messages; a marker caches everything up to itself. */
function callerPrefix(req: CanonicalRequest): Frozen {
  if (req.cacheControl) return ALL_FROZEN;
  for (let i = req.messages.length - 1; i >= 0; i--) {
    const parts = req.messages[i]!.content;
    for (let j = parts.length - 1; j >= 0; j--) {
      const p = parts[j]!;
      if ('cacheControl' in p && p.cacheControl) return { all: false, tools: Infinity, system: Infinity, messages: i, partsOfLast: j + 1 };
    }
  }
  for (let i = req.system.length - 1; i >= 0; i--)
    if (req.system[i]!.cacheControl) return { all: false, tools: Infinity, system: i + 1, messages: 0, partsOfLast: 0 };
  const tools = req.tools ?? [];
  for (let i = tools.length - 1; i >= 0; i--) if (tools[i]!.cacheControl) return { all: false, tools: i + 1, system: 0, messages: 0, partsOfLast: 0 };
  return NOTHING_FROZEN;
}

function withContent(m: CanonicalMessage, content: ContentPart[]): CanonicalMessage {
  const out: CanonicalMessage = { role: m.role, content };
  if (m.name !== undefined) out.name = m.name;
  return out;
}

/** A text that is a JSON document is compacted (its strings kept); prose has its whitespace collapsed. */
function rewriteText(text: string): string {
  return compactJson(text) ?? collapseWhitespace(text);
}

function optimizeTextParts(parts: TextPart[], frozen: number): TextPart[] {
  let out = parts;
  for (let i = frozen; i < parts.length; i++) {
    const p = parts[i]!;
    const text = rewriteText(p.text);
    if (text !== p.text) {
      if (out === parts) out = parts.slice();
      out[i] = { ...p, text };
    }
  }
  const kept = out.filter((p, i) => i < frozen || p.text !== '' || p.cacheControl);
  return kept.length === out.length ? out : kept;
}

function optimizeContent(parts: ContentPart[], frozen: number): ContentPart[] {
  let out = parts;
  for (let i = frozen; i < parts.length; i++) {
    const p = parts[i]!;
    const q = optimizePart(p);
    if (q !== p) {
      if (out === parts) out = parts.slice();
      out[i] = q;
    }
  }
  const kept = out.filter((p, i) => i < frozen || !(p.type === 'text' && p.text === '' && !p.cacheControl));
  return kept.length === out.length || kept.length === 0 ? out : kept;
}

function optimizePart(p: ContentPart): ContentPart {
  switch (p.type) {
    case 'text': {
      const text = rewriteText(p.text);
      return text === p.text ? p : { ...p, text };
    }
    case 'tool_call': {
      const args = compactJson(p.arguments);
      return args === undefined || args === p.arguments ? p : { ...p, arguments: args };
    }
    case 'tool_result': {
      let content = p.content;
      for (let i = 0; i < p.content.length; i++) {
        const c = p.content[i]!;
        if (c.type !== 'text') continue;
        const text = compactJson(c.text);
        if (text === undefined || text === c.text) continue;
        if (content === p.content) content = p.content.slice();
        content[i] = { ...c, text };
      }
      return content === p.content ? p : { ...p, content };
    }
    default:
      return p;
  }
}

function optimizeTools(tools: ToolDefinition[], frozen: number): ToolDefinition[] {
  const seen = new Set<string>();
  const out: ToolDefinition[] = [];
  let changed = false;
  for (let i = 0; i < tools.length; i++) {
    const t = tools[i]!;
    if (i < frozen) {
      seen.add(JSON.stringify(t));
      out.push(t);
      continue;
    }
    const o = optimizeTool(t);
    const key = JSON.stringify(o);
    if (seen.has(key)) {
      changed = true;
      continue;
    }
    seen.add(key);
    if (o !== t) changed = true;
    out.push(o);
  }
  return changed ? out : tools;
}

function optimizeTool(t: ToolDefinition): ToolDefinition {
  const parameters = withoutEmptyDescriptions(t.parameters) as Record<string, unknown>;
  const description = t.description === undefined ? undefined : collapseWhitespace(t.description);
  if (parameters === t.parameters && description === t.description) return t;
  const out: ToolDefinition = { ...t, parameters };
  if (description === '' || description === undefined) delete out.description;
  else out.description = description;
  return out;
}

/** A JSON schema with `"description": ""` removed and descriptions' whitespace collapsed; the same object when unchanged. */
function withoutEmptyDescriptions(node: unknown): unknown {
  if (Array.isArray(node)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < node.length; i++) {
      const v = withoutEmptyDescriptions(node[i]);
      if (v !== node[i]) (out ??= node.slice())[i] = v;
    }
    return out ?? node;
  }
  if (node === null || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(obj)) {
    let w: unknown;
    if (k === 'description' && typeof v === 'string') {
      w = collapseWhitespace(v);
      if (w === '') {
        out ??= { ...obj };
        delete out.description;
        continue;
      }
    } else w = withoutEmptyDescriptions(v);
    if (w !== v) (out ??= { ...obj })[k] = w;
  }
  return out ?? obj;
}

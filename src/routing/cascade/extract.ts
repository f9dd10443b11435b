// The answer inside an answer: the choice letter of a multiple-choice reply, the final number of a
// worked solution, the code of a programming reply. Two answers agree when what they extract is
// the same, however differently each was worded. Used by the `answer` and `consistency` cascade
// checks and by shadow evaluation (a candidate model's answer against the served one).
import { stripFences } from './answer.js';

export type AnswerKind = 'choice' | 'number' | 'code' | 'text';

export interface Extracted {
  kind: AnswerKind;
  /** Normalised: `B`, `42`, code without comments and blank lines, or the collapsed lower-cased text. */
  value: string;
}

/** `auto` tries choice, code, then number, then falls back to the whole text (code before number: a program's last number is no answer). */
export type ExtractMode = AnswerKind | 'auto';

// "B", "B)", "(B)", "**B**", "Answer: B", "The answer is B." — the letter must stand alone.
const CHOICE_LEAD = /^[\s*_("'[]*([A-J])(?:[)\].:,*]|\s*$|\s*\n)/;
const CHOICE_STATED = /\b(?:answer|choice|option)\s*(?:is|:)?\s*[*_("'[]*([A-J])\b(?![a-z'])/gi;
const NUMBER = /-?\$?\d[\d,]*(?:\.\d+)?/g;
const FINAL_NUMBER = /(?:####|answer\s*(?:is|:)|=)\s*\**\s*(-?\$?\d[\d,]*(?:\.\d+)?)/gi;
const CODE_FENCE = /```[\w+-]*[ \t]*\r?\n([\s\S]*?)```/g;

export function extractChoice(text: string): string | undefined {
  let stated: string | undefined;
  for (const m of text.matchAll(CHOICE_STATED)) stated = m[1]!.toUpperCase();
  if (stated !== undefined) return stated;
  const lead = CHOICE_LEAD.exec(text.trim());
  return lead?.[1];
}

/** "#### 42", "the answer is 42", "= 42", else the last number written; commas and "$" dropped. */
export function extractNumber(text: string): string | undefined {
  let found: string | undefined;
  for (const m of text.matchAll(FINAL_NUMBER)) found = m[1];
  if (found === undefined) for (const m of text.matchAll(NUMBER)) found = m[0];
  if (found === undefined) return undefined;
  const n = Number(found.replace(/[$,]/g, ''));
  return Number.isFinite(n) ? String(n) : undefined;
}

/** The fenced code blocks (or the whole answer when it is one fence), comments and blank lines removed. */
export function extractCode(text: string): string | undefined {
  const blocks = [...text.matchAll(CODE_FENCE)].map((m) => m[1]!);
  const code = blocks.length > 0 ? blocks.join('\n') : text.trim().startsWith('```') ? stripFences(text) : undefined;
  if (code === undefined) return undefined;
  const lines = code
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+(#|\/\/).*$/, '').trimEnd())
    .filter((l) => l.trim() !== '' && !/^\s*(#|\/\/)/.test(l));
  return lines.length > 0 ? lines.join('\n') : undefined;
}

const PAIRS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/**
 * Whether code could parse, language-independently: brackets balance outside strings and comments,
 * and no string is left open. A cheap structural test, not a compiler: it catches a truncated or
 * garbled block, which is what an answer that stops early looks like.
 */
export function codeParses(code: string): boolean {
  const stack: string[] = [];
  let quote: string | null = null;
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (quote !== null) {
      if (c === '\\') i++;
      else if (code.startsWith(quote, i)) {
        i += quote.length - 1;
        quote = null;
      } else if (c === '\n' && quote.length === 1) return false;
      continue;
    }
    if (c === '#' || (c === '/' && code[i + 1] === '/')) {
      const end = code.indexOf('\n', i);
      if (end < 0) break;
      i = end;
    } else if (c === '"' || c === "'" || c === '`') {
      quote = code.startsWith(c.repeat(3), i) ? c.repeat(3) : c;
      i += quote.length - 1;
      if (c === '`') quote = '`';
    } else if (c === '(' || c === '[' || c === '{') stack.push(c);
    else if (c in PAIRS && stack.pop() !== PAIRS[c]) return false;
  }
  return quote === null && stack.length === 0;
}

const AUTO_ORDER: readonly AnswerKind[] = ['choice', 'code', 'number', 'text'];

export function extractAnswer(text: string, mode: ExtractMode = 'auto'): Extracted | undefined {
  const kinds: readonly AnswerKind[] = mode === 'auto' ? AUTO_ORDER : [mode];
  for (const kind of kinds) {
    const value = extractAs(text, kind);
    if (value !== undefined) return { kind, value };
  }
  return undefined;
}

function extractAs(text: string, kind: AnswerKind): string | undefined {
  switch (kind) {
    case 'choice':
      return extractChoice(text);
    case 'number':
      return extractNumber(text);
    case 'code':
      return extractCode(text);
    case 'text': {
      const t = text.replace(/\s+/g, ' ').trim().toLowerCase();
      return t === '' ? undefined : t;
    }
  }
}

export type Agreement = { verdict: 'agree' | 'disagree'; kind: AnswerKind } | { verdict: 'unknown'; kind: null };

/**
 * Whether two answers say the same. In `auto` mode the kind is the first one BOTH answers yield
 * (a letter against a letter, a number against a number), so one model's chatty preamble does
 * not turn a shared "B" into a text mismatch. `unknown`: an answer yields nothing (empty).
 */
export function compareAnswers(a: string, b: string, mode: ExtractMode = 'auto'): Agreement {
  const kinds: readonly AnswerKind[] = mode === 'auto' ? AUTO_ORDER : [mode];
  for (const kind of kinds) {
    const x = extractAs(a, kind);
    const y = extractAs(b, kind);
    if (x !== undefined && y !== undefined) return { verdict: x === y ? 'agree' : 'disagree', kind };
  }
  return { verdict: 'unknown', kind: null };
}

// RouterBench stores each prompt as the Python repr of a list of strings (`['line one\n...']`),
// escapes included. The gateway sees the decoded text, so training must too: otherwise line-based
// features (options, blank-line-separated few-shot blocks) never fire.

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

/**
 * The strings of a Python list-of-strings literal, joined by a newline; the input unchanged when it
 * is not one (so plain prompts pass through).
 */
export function decodePythonStringList(text: string): string {
  const t = text.trim();
  if (!/^\[\s*['"]/.test(t) || !t.endsWith(']')) return text;
  const parts: string[] = [];
  let i = 1;
  while (i < t.length) {
    const c = t[i];
    if (c === ' ' || c === ',' || c === '\n') {
      i++;
      continue;
    }
    if (c === ']') return i === t.length - 1 ? parts.join('\n') : text;
    if (c !== "'" && c !== '"') return text;
    const parsed = readLiteral(t, i);
    if (!parsed) return text;
    parts.push(parsed.value);
    i = parsed.end;
  }
  return text;
}

function readLiteral(t: string, start: number): { value: string; end: number } | undefined {
  const quote = t[start];
  let out = '';
  let i = start + 1;
  while (i < t.length) {
    const c = t[i] as string;
    if (c === quote) return { value: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const n = t[i + 1] ?? '';
    const simple = SIMPLE_ESCAPES[n];
    if (simple !== undefined) {
      out += simple;
      i += 2;
    } else if (n === 'x' || n === 'u' || n === 'U') {
      const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
      const code = Number.parseInt(t.slice(i + 2, i + 2 + len), 16);
      if (!Number.isFinite(code)) return undefined;
      out += String.fromCodePoint(code);
      i += 2 + len;
    } else {
      out += '\\' + n; // Python keeps unknown escapes verbatim
      i += 2;
    }
  }
  return undefined;
}

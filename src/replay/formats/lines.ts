// Shared by the line-oriented readers: split a file into numbered, non-blank lines.

export interface NumberedLine {
  /** 1-based. */
  line: number;
  text: string;
}

export function numberedLines(text: string): NumberedLine[] {
  const out: NumberedLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t !== '') out.push({ line: i + 1, text: t });
  }
  return out;
}

/** JSON.parse that returns the reason instead of throwing. */
export function parseJsonLine(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `not JSON (${(err as Error).message})` };
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

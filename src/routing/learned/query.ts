// Few-shot prompts repeat the same worked examples in front of every question, so features of the
// whole prompt mostly describe the examples. The query (the last blank-line-separated block, grown
// backwards until it has some substance) is what distinguishes one prompt from the next.

export interface PromptParts {
  /** Everything before the query ('' for a single-block prompt). */
  context: string;
  query: string;
  /** Number of worked examples before the query (blocks ending in an answer). */
  shots: number;
}

const MIN_QUERY_CHARS = 60;
const BLOCK_SEP = /\n[ \t]*\n/;
const ANSWERED = /(answer|a)\s*[:：]\s*\S[^\n]*$/i;

export function splitPrompt(prompt: string): PromptParts {
  const blocks = prompt
    .split(BLOCK_SEP)
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (blocks.length <= 1) return { context: '', query: prompt.trim(), shots: 0 };
  let k = blocks.length - 1;
  let query = blocks[k] as string;
  while (query.length < MIN_QUERY_CHARS && k > 0) {
    k--;
    query = `${blocks[k] as string}\n\n${query}`;
  }
  const before = blocks.slice(0, k);
  return { context: before.join('\n\n'), query, shots: before.filter((b) => ANSWERED.test(b)).length };
}

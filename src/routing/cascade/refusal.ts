// Spotting a refusal in an answer. Deliberately narrow: an answer that merely apologises ("Sorry for
// the confusion, here is the fix") or mentions a limitation later on is an answer, not a refusal.

/** First-person refusal openers. No bare "sorry", "I can't" or "unfortunately": too common in real answers. */
export const DEFAULT_REFUSAL_PHRASES: readonly string[] = [
  "I can't help with",
  'I cannot help with',
  "I can't assist with",
  'I cannot assist with',
  "I can't help you with",
  'I cannot help you with',
  "I can't provide",
  'I cannot provide',
  "I can't comply",
  'I cannot comply',
  "I can't fulfill",
  'I cannot fulfill',
  "I'm unable to",
  'I am unable to',
  "I'm not able to help",
  'I am not able to help',
  "I won't be able to help",
  "I'm not comfortable",
  'I must decline',
  'As an AI',
];

// A refusal leads the answer; a phrase further down is usually part of the content (a quoted reply,
// a caveat after the real answer).
export const REFUSAL_WINDOW_CHARS = 300;

/** Typographic apostrophes are folded to ASCII in both phrases and answers. */
function fold(text: string): string {
  return text.replace(/[\u2018\u2019\u02bc]/g, "'");
}

export function refusalMatcher(phrases: readonly string[]): RegExp {
  const alternatives = phrases.map((p) =>
    fold(p.trim())
      .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\s+/g, '\\s+'),
  );
  // Not glued to neighbouring letters: "As an AI" must not match "as an aide".
  return new RegExp(`(?<!\\w)(?:${alternatives.join('|')})(?!\\w)`, 'i');
}

/** The matched phrase, or undefined. */
export function findRefusal(text: string, matcher: RegExp): string | undefined {
  return matcher.exec(fold(text.trimStart().slice(0, REFUSAL_WINDOW_CHARS)))?.[0];
}

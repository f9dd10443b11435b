// "Did you mean …?": the valid name closest to a misspelt one, or none when nothing is close.
import { distance } from 'fastest-levenshtein';

/** Words people carry over from other tools' configs, mapped to costwise's key. */
const SYNONYMS: Readonly<Record<string, string>> = { type: 'kind', url: 'baseUrl', key: 'apiKey', id: 'name', model: 'name' };

const normalise = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');

/** The closest of `valid` to `given`: same word up to case and `-`/`_`, a known synonym, or a few edits away. */
export function closestName(given: string, valid: readonly string[]): string | undefined {
  if (valid.length === 0) return undefined;
  const plain = normalise(given);
  const same = valid.find((v) => normalise(v) === plain);
  if (same !== undefined) return same;
  const synonym = SYNONYMS[plain];
  if (synonym !== undefined && valid.includes(synonym)) return synonym;
  // Two edits (a swapped pair: "redsi" → "redis"), one in three on longer words, one on short ones.
  const allowed = given.length <= 3 ? 1 : Math.max(2, Math.floor(given.length / 3));
  let best: string | undefined;
  let bestDistance = allowed + 1;
  for (const v of valid) {
    const d = distance(plain, normalise(v));
    if (d < bestDistance) {
      best = v;
      bestDistance = d;
    }
  }
  return best;
}

/** ` (did you mean "x"?)`, or '' when nothing is close. */
export function didYouMean(given: string, valid: readonly string[]): string {
  const best = closestName(given, valid);
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

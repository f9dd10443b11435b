// Deterministic reply text whose token count is known without tokenising it: the text is built
// from words that are ONE token both bare and with a leading space in the model's encoding, plus
// "." (one token, never doubled). BPE never merges across a space-prefixed word boundary, so a
// reply of N pieces is exactly N tokens.
import { countTextTokens, encodingForModel, type EncodingName } from '../tokens/count.js';

const CANDIDATES = (
  'the of and to in is that it was for on are as with his they at be this from have or by one ' +
  'had not but what all were when we there can an your which their said if do will each about ' +
  'how up out them then she many some so these would other into has more her two like him see ' +
  'time could no make than first been its who now people my made over did down only way find ' +
  'use may water long little very after words called just where most know get through back much ' +
  'before go good new write our used me man too any day same right look think also around another ' +
  'came come work three word must because does part even place well such here take why things ' +
  'help put years different away again off went old number great tell men say small every found ' +
  'still between name should home big give air line set own under read last never us left end ' +
  'along while might next sound below saw something thought both few those always looked show ' +
  'large often together asked house world going want school important until form food keep ' +
  'children feet land side without boy once animals life enough took sometimes four head above ' +
  'kind began almost live page got earth need far hand high year mother light parts country father'
).split(' ');

const byEncoding = new Map<EncodingName, readonly string[]>();

/** Words usable for `model` (verified single tokens; computed once per encoding). */
export function singleTokenWords(model: string): readonly string[] {
  const enc = encodingForModel(model);
  let words = byEncoding.get(enc);
  if (!words) {
    words = CANDIDATES.filter((w) => countTextTokens(w, model) === 1 && countTextTokens(` ${w}`, model) === 1);
    byEncoding.set(enc, words);
  }
  return words;
}

/**
 * Exactly `tokens` pieces (each one token) forming sentences. Pieces include their leading space,
 * so `pieces.join('')` is the text and each piece is a natural stream chunk.
 */
export function generatePieces(model: string, tokens: number, rand: () => number): string[] {
  const words = singleTokenWords(model);
  const pieces: string[] = [];
  let sinceStop = 0;
  let sentence = 6 + Math.floor(rand() * 10);
  for (let i = 0; i < tokens; i++) {
    // A "." only after a word, never as the first piece, never two in a row.
    if (sinceStop >= sentence && i > 0) {
      pieces.push('.');
      sinceStop = 0;
      sentence = 6 + Math.floor(rand() * 10);
      continue;
    }
    const w = words[Math.floor(rand() * words.length)] ?? 'the';
    pieces.push(i === 0 ? w : ` ${w}`);
    sinceStop++;
  }
  return pieces;
}

/** Splits arbitrary text into stream-sized pieces (word with its leading whitespace). */
export function splitPieces(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? (text.length > 0 ? [text] : []);
}

// A SentencePiece unigram tokenizer over a vocabulary of (piece, log-probability) pairs: the text is
// NFKC-normalised, each space becomes "▁" and one is prefixed, then the segmentation with the
// highest total log-probability wins (Viterbi). A character no piece covers becomes id 0 (unknown).
const SEPARATOR = '\u2581';

export class SentencePieceTokenizer {
  private readonly ids = new Map<string, number>();
  private readonly scores: Float64Array;
  private readonly maxLen: number;
  private readonly unknownScore: number;

  /** `reserved` leading entries (control symbols) are never produced. */
  constructor(pieces: ReadonlyArray<readonly [string, number]>, reserved: number) {
    this.scores = new Float64Array(pieces.length);
    let maxLen = 1;
    let min = 0;
    pieces.forEach(([piece, score], id) => {
      this.scores[id] = score;
      if (id < reserved) return;
      this.ids.set(piece, id);
      maxLen = Math.max(maxLen, Array.from(piece).length); // code points, as SentencePiece counts
      min = Math.min(min, score);
    });
    this.maxLen = maxLen;
    this.unknownScore = min - 10;
  }

  encode(text: string): number[] {
    const normalised = text.normalize('NFKC');
    if (normalised.length === 0) return [];
    const symbols = Array.from(SEPARATOR + normalised.replace(/ /g, SEPARATOR));
    const m = symbols.length;
    const best = new Float64Array(m + 1).fill(-Infinity);
    const from = new Int32Array(m + 1);
    const token = new Int32Array(m + 1);
    best[0] = 0;
    for (let end = 1; end <= m; end++) {
      let piece = '';
      for (let len = 1; len <= this.maxLen && len <= end; len++) {
        const start = end - len;
        piece = symbols[start]! + piece;
        const id = this.ids.get(piece);
        const score = id !== undefined ? this.scores[id]! : len === 1 ? this.unknownScore : undefined;
        if (score === undefined || best[start] === -Infinity) continue;
        const total = best[start]! + score;
        if (total > best[end]!) {
          best[end] = total;
          from[end] = start;
          token[end] = id ?? 0;
        }
      }
    }
    const out: number[] = [];
    for (let end = m; end > 0; end = from[end]!) {
      const id = token[end]!;
      if (!(id === 0 && out.at(-1) === 0)) out.push(id);
    }
    return out.reverse();
  }
}

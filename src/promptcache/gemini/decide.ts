// The economics of one explicit Gemini cache, as pure functions of integer pico-dollars.
//
// A cache of T tokens kept for D hours costs T × storage × D; every request that reads it instead
// of sending the prefix saves T × (input − cacheRead). It pays when
//     expectedReads × T × (input − cacheRead)  >  T × storage × D  +  creation cost.
// expectedReads is estimated from the recent past: the requests with the same prefix seen in the
// last D hours are taken as the number that will come in the next D hours.

const MS_PER_HOUR = 3_600_000n;

/** Storage cost in pico-dollars of `tokens` kept for `ms`, rounded half up to a whole pico. */
export function storagePico(tokens: number, picoPerTokenHour: number, ms: number): number {
  if (tokens <= 0 || ms <= 0) return 0;
  const exact = BigInt(tokens) * BigInt(picoPerTokenHour) * BigInt(Math.round(ms));
  return Number((exact + MS_PER_HOUR / 2n) / MS_PER_HOUR);
}

export interface CacheEconomics {
  tokens: number;
  /** Pico-dollars per token. */
  inputPrice: number;
  cacheReadPrice: number;
  storagePicoPerTokenHour: number;
  /** Extra one-off cost of creating the cache, pico-dollars per cached token (0 on the Gemini API). */
  creationPicoPerToken: number;
}

export interface Verdict {
  pays: boolean;
  savingPico: number;
  costPico: number;
}

/** Whether keeping the cache `ms` longer pays for `expectedReads` reads (creation counted when `creating`). */
export function judge(e: CacheEconomics, expectedReads: number, ms: number, creating: boolean): Verdict {
  const savingPico = Math.max(0, expectedReads) * e.tokens * Math.max(0, e.inputPrice - e.cacheReadPrice);
  const costPico = storagePico(e.tokens, e.storagePicoPerTokenHour, ms) + (creating ? e.tokens * e.creationPicoPerToken : 0);
  return { pays: savingPico > costPico, savingPico, costPico };
}

/** Reads needed within `ms` before a cache of this size pays (for logs and docs). */
export function breakEvenReads(e: CacheEconomics, ms: number): number {
  const perRead = e.tokens * (e.inputPrice - e.cacheReadPrice);
  if (perRead <= 0) return Infinity;
  const cost = storagePico(e.tokens, e.storagePicoPerTokenHour, ms) + e.tokens * e.creationPicoPerToken;
  return Math.floor(cost / perRead) + 1;
}

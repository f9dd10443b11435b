// Prefix churn: requests of one route whose prompts share a long tail but differ near the start
// (a timestamp or request id early in the system prompt) can never hit a provider's prefix cache.
// The detector compares each long system prompt with the route's recent ones and totals what the
// churn costs: the shared tail's tokens, billed at the full input price instead of the cache-read
// price, on every affected request.

/** What is learnt from one served request. */
export interface ChurnObservation {
  /** e.g. `tenant:model asked for`. */
  route: string;
  /** The system prompt (and tool text) as sent: the part expected to stay stable. */
  stableText: string;
  /** pico-dollars per token that a cache read would have saved on the serving model (input − cacheRead). */
  savingPerTokenPico: number;
}

export interface ChurnReport {
  route: string;
  /** Long-prompt requests seen on the route. */
  requests: number;
  /** Of those, requests whose prompt matched a recent one only after an early difference. */
  churned: number;
  /** Estimated tokens that could have been read from the cache but were not. */
  tokensLost: number;
  picoLost: number;
  /** Where the prompts first differ (characters from the start), in the latest churned request. */
  firstDifferenceAt: number;
  /** The differing text of the latest churned request (truncated): what to move to the end. */
  example: string;
}

export interface ChurnOptions {
  /** Prompts shorter than this are ignored (a provider caches nothing below ~1,024 tokens). */
  minChars?: number;
  /** Recent prompts kept per route. */
  samplesPerRoute?: number;
  /** Routes tracked at once; the least recently seen is dropped beyond it. */
  maxRoutes?: number;
}

interface RouteState {
  samples: string[];
  report: ChurnReport;
}

const CHARS_PER_TOKEN = 4;

export class PrefixChurnDetector {
  private readonly routes = new Map<string, RouteState>();
  private readonly minChars: number;
  private readonly samplesPerRoute: number;
  private readonly maxRoutes: number;

  constructor(opts: ChurnOptions = {}) {
    this.minChars = opts.minChars ?? 4096;
    this.samplesPerRoute = opts.samplesPerRoute ?? 8;
    this.maxRoutes = opts.maxRoutes ?? 1000;
  }

  observe(o: ChurnObservation): void {
    const text = o.stableText;
    if (text.length < this.minChars) return;
    const state = this.stateOf(o.route);
    state.report.requests += 1;
    // The recent prompt this one shares the most with: a cache-friendly repeat has a long common
    // prefix; churn shows as a short common prefix with a long common tail.
    let bestPrefix = 0;
    let churnTail = 0;
    let churnAt = 0;
    for (const sample of state.samples) {
      // Only whether the prefixes agree for `minChars` matters: the comparison stops there, so a
      // long cache-friendly repeat costs O(minChars), not O(prompt length), per sample.
      const prefix = commonPrefix(text, sample, this.minChars);
      if (prefix > bestPrefix) bestPrefix = prefix;
      if (prefix >= this.minChars) continue;
      const tail = commonSuffix(text, sample, prefix);
      if (tail >= this.minChars && tail > churnTail) {
        churnTail = tail;
        churnAt = prefix;
      }
    }
    if (bestPrefix < this.minChars && churnTail > 0) {
      const r = state.report;
      const tokens = Math.floor(churnTail / CHARS_PER_TOKEN);
      r.churned += 1;
      r.tokensLost += tokens;
      r.picoLost += tokens * o.savingPerTokenPico;
      r.firstDifferenceAt = churnAt;
      r.example = text.slice(churnAt, Math.min(text.length - churnTail, churnAt + 80)).replace(/\s+/g, ' ');
    }
    if (text !== state.samples[0]) {
      state.samples.unshift(text);
      if (state.samples.length > this.samplesPerRoute) state.samples.pop();
    }
  }

  /** Routes with churn first, costliest first. */
  report(): ChurnReport[] {
    return [...this.routes.values()].map((s) => ({ ...s.report })).sort((a, b) => b.picoLost - a.picoLost || b.requests - a.requests);
  }

  private stateOf(route: string): RouteState {
    let state = this.routes.get(route);
    if (state) {
      this.routes.delete(route); // re-insert: most recently seen last
    } else {
      state = { samples: [], report: { route, requests: 0, churned: 0, tokensLost: 0, picoLost: 0, firstDifferenceAt: 0, example: '' } };
      if (this.routes.size >= this.maxRoutes) this.routes.delete(this.routes.keys().next().value!);
    }
    this.routes.set(route, state);
    return state;
  }
}

function commonPrefix(a: string, b: string, limit: number): number {
  const n = Math.min(a.length, b.length, limit);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** Common suffix, not overlapping the common prefix. */
function commonSuffix(a: string, b: string, prefix: number): number {
  const n = Math.min(a.length, b.length) - prefix;
  let i = 0;
  while (i < n && a.charCodeAt(a.length - 1 - i) === b.charCodeAt(b.length - 1 - i)) i++;
  return i;
}

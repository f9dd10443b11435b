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
  /** What those tokens cost above a cache read: exact pico-dollars. */
  picoLost: bigint;
  /** Where the prompts first differ (characters from the start), in the latest churned request. */
  firstDifferenceAt: number;
  /** The differing text of the latest churned request (truncated): what to move to the end. */
  example: string;
  /** When the latest churned request was seen (epoch ms; 0 when none was). */
  lastChurnAt: number;
}

export interface ChurnOptions {
  /** Prompts shorter than this are ignored (a provider caches nothing below ~1,024 tokens). */
  minChars?: number;
  /** Recent prompts kept per route. */
  samplesPerRoute?: number;
  /** Routes tracked at once; the least recently seen is dropped beyond it. */
  maxRoutes?: number;
  /** Epoch-ms clock (default wall time). */
  now?: () => number;
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
  private readonly now: () => number;

  constructor(opts: ChurnOptions = {}) {
    this.minChars = opts.minChars ?? 4096;
    this.samplesPerRoute = opts.samplesPerRoute ?? 8;
    this.maxRoutes = opts.maxRoutes ?? 1000;
    this.now = opts.now ?? Date.now;
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
      r.picoLost += BigInt(tokens) * BigInt(o.savingPerTokenPico);
      r.firstDifferenceAt = churnAt;
      r.lastChurnAt = this.now();
      r.example = text.slice(churnAt, Math.min(text.length - churnTail, churnAt + 80)).replace(/\s+/g, ' ');
    }
    if (text !== state.samples[0]) {
      state.samples.unshift(text);
      if (state.samples.length > this.samplesPerRoute) state.samples.pop();
    }
  }

  /** Routes with churn first, costliest first. */
  report(): ChurnReport[] {
    return [...this.routes.values()].map((s) => ({ ...s.report })).sort(costliestFirst);
  }

  private stateOf(route: string): RouteState {
    let state = this.routes.get(route);
    if (state) {
      this.routes.delete(route); // re-insert: most recently seen last
    } else {
      state = { samples: [], report: { route, requests: 0, churned: 0, tokensLost: 0, picoLost: 0n, firstDifferenceAt: 0, example: '', lastChurnAt: 0 } };
      if (this.routes.size >= this.maxRoutes) this.routes.delete(this.routes.keys().next().value!);
    }
    this.routes.set(route, state);
    return state;
  }
}

/**
 * Several replicas' reports as one: counts and money summed per route, where the prompts differ
 * and the example taken from the replica that saw churn last.
 */
export function mergeChurnReports(reports: readonly ChurnReport[]): ChurnReport[] {
  const byRoute = new Map<string, ChurnReport>();
  for (const r of reports) {
    const into = byRoute.get(r.route);
    if (into === undefined) {
      byRoute.set(r.route, { ...r });
      continue;
    }
    into.requests += r.requests;
    into.churned += r.churned;
    into.tokensLost += r.tokensLost;
    into.picoLost += r.picoLost;
    if (r.lastChurnAt > into.lastChurnAt) {
      into.lastChurnAt = r.lastChurnAt;
      into.firstDifferenceAt = r.firstDifferenceAt;
      into.example = r.example;
    }
  }
  return [...byRoute.values()].sort(costliestFirst);
}

function costliestFirst(a: ChurnReport, b: ChurnReport): number {
  return b.picoLost > a.picoLost ? 1 : b.picoLost < a.picoLost ? -1 : b.requests - a.requests;
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

// The advisor's report, as `costwise advise --format json` prints it and `GET /api/advice` returns
// it (the dashboard's Recommendations page reads the same shape). Money as exact decimal USD strings.

export type RecommendationKind = 'model' | 'batch' | 'prompt_cache' | 'response_cache' | 'max_tokens';

export interface ModelEvidence {
  /** Shadow comparisons of the candidate's answer with the served one. */
  shadow_samples: number;
  agreements: number;
  /** agreements / shadow_samples. */
  agreement: number;
  /** Wilson interval of the agreement rate at `confidence`. */
  interval: [number, number];
  confidence: number;
  /** Upper bound of the accuracy the change can lose: 1 − the interval's lower end, or the graded interval's upper end when lower. */
  max_accuracy_loss: number;
  /** Comparisons per extracted answer kind (choice, number, code, text, unknown). */
  compared_as: Record<string, number>;
  /** Shadowed requests whose served and candidate answers were both graded (advise --grades). */
  graded?: {
    pairs: number;
    served_only_right: number;
    candidate_only_right: number;
    /** (served_only_right − candidate_only_right) / pairs. */
    accuracy_loss: number;
    /** Agresti–Min interval of the loss at `confidence`; its upper end must be at most maxLoss. */
    interval: [number, number];
  };
}

export interface Evidence {
  /** Requests in the scope served by the current model in the window. */
  requests: number;
  window_days: number;
  current_cost_usd: string;
  /** The same requests' token classes priced at the recommended model (or its batch prices). */
  repriced_cost_usd: string;
  model?: ModelEvidence;
  /** Batching: the share of the scope's requests that were non-streaming. */
  non_streaming_share?: number;
  /** Prompt caching: what prefix churn cost on the requests the churn detector saw. */
  churn?: { requests: number; churned_requests: number; tokens_lost: number; cost_lost_usd: string; first_difference_at_char: number; example: string };
  /** Response caching: requests the cache never saw, and how many repeated one within its TTL. */
  repeats?: { uncached_requests: number; exact_repeats: number; repeat_share: number; ttl_seconds: number };
  /** max_tokens: answers, how many stopped at the cap, the output p99 and the caps asked for. */
  output?: {
    answers: number;
    truncated: number;
    truncated_share: number;
    output_p99_tokens: number;
    uncapped: number;
    median_cap_tokens: number | null;
  };
  note: string;
}

export interface Recommendation {
  kind: RecommendationKind;
  /** `tag:<tag>` (a row counts under its first tag) or `key:<key id>` for untagged traffic. */
  scope: string;
  current_model: string;
  recommended_model: string;
  /** Saving over the window scaled to 30 days. */
  monthly_saving_usd: string;
  evidence: Evidence;
  /**
   * YAML of a ready-to-paste rule: a routing rule (`routing.rules`) or a deferral rule
   * (`batch.deferral.rules`), a cache rule (`cache.rules`); for prompt caching and max_tokens, YAML
   * comments saying what to change in the callers' requests.
   */
  rule: string;
}

/** A candidate that was measured and turned down, with why (kept so a report shows what was tried). */
export interface Rejected {
  scope: string;
  current_model: string;
  candidate_model: string;
  reason: string;
  evidence: ModelEvidence;
}

export interface AdviceReport {
  window: { days: number; from: string | null; to: string | null };
  recommendations: Recommendation[];
  rejected: Rejected[];
}

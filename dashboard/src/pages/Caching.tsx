// The response cache (hit rates, what the hits saved, the store), prompt caching's saving, and the
// prompt prefixes that keep changing and so never hit a provider's prefix cache.
import { useMemo } from 'preact/hooks';
import { apiPath, useApi } from '../api.js';
import { bounds, type RangeName } from '../range.js';
import { bytes, count, pct, usd } from '../format.js';
import type { CacheStoreResponse, CachingResponse, PromptCacheResponse } from '../types.js';
import { Card, Empty, ErrorNote, Loading, Stat, Usd } from '../components/ui.js';

export function Caching({ range }: { range: RangeName }) {
  const b = useMemo(() => bounds(range), [range]);
  const c = useApi<CachingResponse>(apiPath('/api/caching', { from: b.from, to: b.to }));
  const store = useApi<CacheStoreResponse>('/api/cache');
  const churn = useApi<PromptCacheResponse>('/api/promptcache');
  if (c.error) return <ErrorNote message={c.error} />;
  if (!c.data) return <Loading />;
  const rc = c.data.response_cache;
  return (
    <div class="page">
      <h1>Caching</h1>
      <div class="stats">
        <Stat
          label="Response cache hit rate"
          value={rc.lookups > 0 ? pct(rc.hit_rate) : '–'}
          note={`${count(rc.hits_exact + rc.hits_semantic)} hits of ${count(rc.lookups)} lookups`}
          testId="hit-rate"
        />
        <Stat label="Saved by the response cache" value={usd(rc.saving_usd)} exact={rc.saving_usd} testId="cache-saving" />
        <Stat label="Saved by prompt caching" value={usd(c.data.prompt_cache.saving_usd)} exact={c.data.prompt_cache.saving_usd} testId="prompt-cache-saving" />
      </div>
      <div class="grid">
        <Card title="Response cache">
          {rc.lookups === 0 ? (
            <Empty>No request consulted the response cache in this range. By default only deterministic requests (temperature 0 or a seed) are cached.</Empty>
          ) : (
            <table class="table" data-testid="cache-table">
              <tbody>
                <tr>
                  <td>exact hits</td>
                  <td class="num">{count(rc.hits_exact)}</td>
                  <td class="num">
                    <Usd value={rc.exact_saving_usd} />
                  </td>
                </tr>
                <tr>
                  <td>semantic hits</td>
                  <td class="num">{count(rc.hits_semantic)}</td>
                  <td class="num">
                    <Usd value={rc.semantic_saving_usd} />
                  </td>
                </tr>
                <tr>
                  <td>misses</td>
                  <td class="num">{count(rc.misses)}</td>
                  <td />
                </tr>
              </tbody>
            </table>
          )}
          {store.data && (
            <p class="hint">
              Store: {store.data.backend}, policy {store.data.policy}, scope {store.data.scope}; {count(store.data.entries)} entries, {bytes(store.data.bytes)}
              {store.data.maxBytes ? ` of ${bytes(store.data.maxBytes)}` : ''}, {count(store.data.evictions)} evicted.
            </p>
          )}
          {store.data?.semantic && store.data.semantic.namespaces.length > 0 && (
            <table class="table" data-testid="semantic-verify">
              <tbody>
                {store.data.semantic.namespaces.map((n) => (
                  <tr key={n.namespace}>
                    <td>{n.namespace}</td>
                    <td class="num">threshold {n.threshold.toFixed(3)}</td>
                    <td class="num">
                      {n.wrong_hit_rate === null || !n.wrong_hit_rate_ci
                        ? 'no checks yet'
                        : `wrong hits ${pct(n.wrong_hit_rate)} (95% CI ${pct(n.wrong_hit_rate_ci[0])}–${pct(n.wrong_hit_rate_ci[1])}) over ${count(n.samples_at_threshold)} checks`}
                    </td>
                    <td class="num">target {pct(store.data?.semantic?.max_wrong_hit_rate ?? 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
        <Card title="Prompt prefix churn" wide testId="churn">
          {!churn.data ? (
            <Loading />
          ) : churn.data.churn.length === 0 ? (
            <Empty>
              No churning prefixes seen {churn.data.churn_scope === 'all_replicas' ? 'by any replica in the last 7 days' : 'since the gateway started'}. Churn
              is a prompt that differs early (a timestamp at the start of the system prompt, say) but shares a long tail with recent prompts, so the provider's
              prefix cache cannot hit.
            </Empty>
          ) : (
            <div class="scroll">
              <table class="table">
                <thead>
                  <tr>
                    <th>route</th>
                    <th class="num">requests</th>
                    <th class="num">churned</th>
                    <th class="num">tokens lost</th>
                    <th class="num">cost lost</th>
                    <th class="num hide-sm">differs at char</th>
                  </tr>
                </thead>
                <tbody>
                  {churn.data.churn.map((r) => (
                    <tr key={r.route}>
                      <td class="mono clip">{r.route}</td>
                      <td class="num">{count(r.requests)}</td>
                      <td class="num">{count(r.churned_requests)}</td>
                      <td class="num">{count(r.tokens_lost)}</td>
                      <td class="num">
                        <Usd value={r.cost_lost_usd} />
                      </td>
                      <td class="num hide-sm">{r.first_difference_at_char}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p class="hint">
                Move the text that changes to the end of the prompt.{' '}
                {churn.data.churn_scope === 'all_replicas'
                  ? "Summed over every replica (others' traffic up to 10 s late)."
                  : "This replica's traffic since it started."}
              </p>
            </div>
          )}
        </Card>
      </div>
    </div>
  );
}

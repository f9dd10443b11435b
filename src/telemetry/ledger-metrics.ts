// The Prometheus series that sum the ledger: every row the gateway appends (requests, sub-calls,
// provider charges) is added here as it is appended, so each counter equals the same sum over the
// ledger. Rows are summed into plain per-series cells (no prom-client call, no allocation once a
// series exists); prom-client reads the cells only when /metrics is scraped.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LedgerRow } from '../storage/types.js';
import { UsdSum } from './usd-sum.js';

export interface LedgerMetricsOptions {
  /** Adds a `key` label (the caller's key id) to every series: one series per key, so opt-in. */
  keyLabel: boolean;
}

const TOKEN_CLASSES = ['input', 'cache_read', 'cache_write_5m', 'cache_write_1h', 'output', 'reasoning'] as const;
const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;

interface Money {
  cost: UsdSum;
  baseline: UsdSum;
}

/** Everything summed for one (key,) model and provider. */
interface Cell {
  readonly labels: Readonly<Record<string, string>>;
  /** Indexed like TOKEN_CLASSES. */
  readonly tokens: number[];
  /** Surface → request counts indexed like STATUS_CLASSES. */
  readonly requests: Map<string, number[]>;
  /** Error kind → count. */
  readonly errors: Map<string, number>;
  /** Technique (`none` when served as asked) → cost and baseline. */
  readonly money: Map<string, Money>;
  readonly promptCache: UsdSum;
}

type Nested<T> = Map<string, Map<string, T>>;

export class LedgerMetrics {
  /** key ('' without keyLabel) → model → provider → cell. */
  private readonly cells = new Map<string, Nested<Cell>>();
  private readonly savings = new Map<string, UsdSum>();
  private readonly cacheLookups = new Map<string, number>([
    ['hit_exact', 0],
    ['hit_semantic', 0],
    ['miss', 0],
  ]);

  constructor(
    registry: Registry,
    private readonly options: LedgerMetricsOptions,
  ) {
    this.register(registry);
  }

  observe(row: LedgerRow): void {
    const cell = this.cellOf(this.options.keyLabel ? row.keyId : '', row.servedModel || row.requestedModel, row.provider);
    const t = cell.tokens;
    t[0]! += row.inputTokens;
    t[1]! += row.cacheReadTokens;
    t[2]! += row.cacheWrite5mTokens;
    t[3]! += row.cacheWrite1hTokens;
    t[4]! += row.outputTokens;
    t[5]! += row.reasoningTokens;
    const technique = row.technique ?? 'none';
    let money = cell.money.get(technique);
    if (money === undefined) cell.money.set(technique, (money = { cost: new UsdSum(), baseline: new UsdSum() }));
    money.cost.add(row.costPico);
    money.baseline.add(row.baselinePico);
    cell.promptCache.add(row.promptCachePico);
    let saving = this.savings.get(technique);
    if (saving === undefined) this.savings.set(technique, (saving = new UsdSum()));
    saving.add(row.baselinePico - row.costPico);
    // Sub-call rows (cascade steps, judges, embeddings) and provider charges are billed, not requests.
    if (row.parentId !== null) return;
    let byStatus = cell.requests.get(row.ingress);
    if (byStatus === undefined) cell.requests.set(row.ingress, (byStatus = [0, 0, 0, 0, 0, 0]));
    byStatus[Math.min(5, Math.max(0, Math.floor(row.status / 100)))]! += 1;
    if (row.errorKind !== null) cell.errors.set(row.errorKind, (cell.errors.get(row.errorKind) ?? 0) + 1);
    if (row.cache !== null) {
      const result = row.cache === 'hit-exact' ? 'hit_exact' : row.cache === 'hit-semantic' ? 'hit_semantic' : 'miss';
      this.cacheLookups.set(result, this.cacheLookups.get(result)! + 1);
    }
  }

  private cellOf(key: string, model: string, provider: string): Cell {
    let byModel = this.cells.get(key);
    if (byModel === undefined) this.cells.set(key, (byModel = new Map<string, Map<string, Cell>>()));
    let byProvider = byModel.get(model);
    if (byProvider === undefined) byModel.set(model, (byProvider = new Map<string, Cell>()));
    let cell = byProvider.get(provider);
    if (cell === undefined) {
      const labels: Record<string, string> = this.options.keyLabel ? { key, model, provider } : { model, provider };
      cell = { labels, tokens: [0, 0, 0, 0, 0, 0], requests: new Map(), errors: new Map(), money: new Map(), promptCache: new UsdSum() };
      byProvider.set(provider, cell);
    }
    return cell;
  }

  private *eachCell(): Generator<Cell> {
    for (const byModel of this.cells.values()) for (const byProvider of byModel.values()) yield* byProvider.values();
  }

  private register(registry: Registry): void {
    const base = this.options.keyLabel ? ['key', 'model', 'provider'] : ['model', 'provider'];
    const cells = (): Generator<Cell> => this.eachCell();
    const savings = this.savings;
    const cacheLookups = this.cacheLookups;
    const registers = [registry];
    new Counter({
      name: 'costwise_requests_total',
      help: 'Requests answered, by the model that served, its provider, the status class returned and the wire format (surface) asked in.',
      labelNames: [...base, 'status_class', 'surface'],
      registers,
      collect() {
        this.reset();
        for (const c of cells())
          for (const [surface, counts] of c.requests)
            for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) this.inc({ ...c.labels, status_class: STATUS_CLASSES[i]!, surface }, counts[i]);
      },
    });
    new Counter({
      name: 'costwise_errors_total',
      help: 'Requests that ended in an error, by error type (the ledger row’s errorKind).',
      labelNames: [...base, 'type'],
      registers,
      collect() {
        this.reset();
        for (const c of cells()) for (const [type, n] of c.errors) this.inc({ ...c.labels, type }, n);
      },
    });
    new Counter({
      name: 'costwise_tokens_total',
      help: 'Tokens billed, by class: input (uncached), cache_read, cache_write_5m, cache_write_1h, output (reasoning included), reasoning.',
      labelNames: [...base, 'class'],
      registers,
      collect() {
        this.reset();
        for (const c of cells()) for (let i = 0; i < c.tokens.length; i++) this.inc({ ...c.labels, class: TOKEN_CLASSES[i]! }, c.tokens[i]);
      },
    });
    const money = (name: string, help: string, pick: (m: Money) => UsdSum): void => {
      new Counter({
        name,
        help,
        labelNames: [...base, 'technique'],
        registers,
        collect() {
          this.reset();
          for (const c of cells()) for (const [technique, m] of c.money) this.inc({ ...c.labels, technique }, pick(m).usd());
        },
      });
    };
    money('costwise_cost_usd_total', 'What the providers bill, in USD: the sum of the ledger’s cost.', (m) => m.cost);
    money('costwise_baseline_usd_total', 'What the same requests would have cost as sent, with no optimisation, in USD.', (m) => m.baseline);
    new Gauge({
      name: 'costwise_saving_usd',
      help: 'Net saving (baseline − cost) in USD since start, by the technique it is attributed to; falls when a cascade escalates.',
      labelNames: ['technique'],
      registers,
      collect() {
        this.reset();
        for (const [technique, sum] of savings) this.set({ technique }, sum.usd());
      },
    });
    new Gauge({
      name: 'costwise_prompt_cache_saving_usd',
      help: 'Prompt caching’s share of the saving in USD since start (falls with Gemini context-cache storage charges).',
      labelNames: base,
      registers,
      collect() {
        this.reset();
        for (const c of cells()) this.set(c.labels, c.promptCache.usd());
      },
    });
    new Counter({
      name: 'costwise_response_cache_lookups_total',
      help: 'Response-cache lookups by result: hit_exact, hit_semantic, miss.',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        for (const [result, n] of cacheLookups) this.inc({ result }, n);
      },
    });
  }
}

// The gateway's Prometheus registry: the ledger's sums (ledger-metrics.ts), upstream latency
// (upstream-metrics.ts), budgets remaining (a gauge read at scrape time from a source the server
// gives), and Node's own process metrics.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { LedgerMetrics, type LedgerMetricsOptions } from './ledger-metrics.js';
import { UpstreamMetrics } from './upstream-metrics.js';

/** One budget of one key, as the gauge shows it. */
export interface BudgetRemaining {
  /** The key's id (as in the ledger's keyId). */
  key: string;
  name: string;
  period: string;
  remainingUsd: number;
}

export interface MetricsOptions extends LedgerMetricsOptions {
  /** The keys' budgets; read on each scrape. */
  budgets?: () => Promise<readonly BudgetRemaining[]>;
}

/** Node's process metrics, once per process (several gateways may run in one test process). */
let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly ledger: LedgerMetrics;
  readonly upstream: UpstreamMetrics;
  readonly contentType = this.registry.contentType;

  constructor(options: MetricsOptions) {
    this.ledger = new LedgerMetrics(this.registry, options);
    this.upstream = new UpstreamMetrics(this.registry);
    const budgets = options.budgets;
    if (budgets !== undefined) {
      new Gauge({
        name: 'costwise_budget_remaining_usd',
        help: 'What a virtual key’s budget has left in its current period (limit − spent − reserved), in USD.',
        labelNames: ['key', 'name', 'period'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const b of await budgets()) this.set({ key: b.key, name: b.name, period: b.period }, b.remainingUsd);
        },
      });
    }
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async render(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}\n${process}`;
  }
}
